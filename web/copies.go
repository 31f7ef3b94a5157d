package web

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
)

// A copy is this instance's copy of a peer's record. Its page, history and
// JSON live under /instances/{host}/records/{slug}, beside the peer's own
// page on this instance, and show what the record's home shows.

// copyRecord returns the copy named by the {host} and {slug} of the URL.
func (s *server) copyRecord(r *http.Request) (*commons.Record, error) {
	host, slug := mux.Vars(r)["host"], mux.Vars(r)["slug"]
	var rec *commons.Record
	var err error
	for _, scheme := range []string{"https://", "http://"} {
		rec, err = s.dir.RecordByID(r.Context(), scheme+host+"/records/"+slug)
		if commons.ErrorCode(err) != commons.ENOTFOUND {
			break
		}
	}
	return rec, err
}

// copyURL is the page of a copy here.
func copyURL(rec *commons.Record) string {
	return "/instances/" + url.PathEscape(hostOf(rec.Provenance.Origin)) + "/records/" + url.PathEscape(rec.Slug)
}

// handleRemoteRecordPage answers /instances/{host}/records/{slug}: this
// instance's copy of a peer's record. A fediverse server (Accept:
// ActivityPub) is sent to the record's own IRI, its actor at its origin,
// so that the copy's URL pasted into a search finds the record.
func (s *server) handleRemoteRecordPage(w http.ResponseWriter, r *http.Request) error {
	host, slug := mux.Vars(r)["host"], mux.Vars(r)["slug"]
	if host == hostOf(s.base) {
		http.Redirect(w, r, "/records/"+url.PathEscape(slug), http.StatusSeeOther)
		return nil
	}
	rec, err := s.copyRecord(r)
	if err != nil {
		return err
	}
	if wantsActivity(r, actorPageOffers) {
		http.Redirect(w, r, rec.ID, http.StatusFound)
		return nil
	}
	if negotiate(r.Header.Get("Accept"), pageOffers) == mediaJSON {
		return s.writeRecord(w, r, http.StatusOK, rec)
	}
	return s.renderRecord(w, r, rec)
}

// handleCopyHistoryPage answers /instances/{host}/records/{slug}/history:
// the versions of a copy this instance received, with their differences.
func (s *server) handleCopyHistoryPage(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.copyRecord(r)
	if err != nil {
		return err
	}
	revs, err := s.dir.RecordHistoryByID(r.Context(), rec.ID)
	if err != nil {
		return err
	}
	return s.renderHistory(w, r, rec, revs, copyURL(rec))
}

// handleCopyIcon answers /instances/{host}/records/{slug}/icon.png: the
// copy's icon, drawn here as its origin draws it, so that the page shows
// no outside image.
func (s *server) handleCopyIcon(w http.ResponseWriter, r *http.Request) error {
	if s.fed == nil {
		return commons.Errorf(commons.ENOTFOUND, "This instance does not federate.")
	}
	rec, err := s.copyRecord(r)
	if err != nil {
		return err
	}
	return s.fed.ServeRecordIcon(w, r, rec)
}

// handleCopyGet answers GET /api/v1/instances/{host}/records/{slug}: a
// copy's JSON document, as GET /api/v1/records/{slug} answers at its
// origin.
func (s *server) handleCopyGet(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.copyRecord(r)
	if err != nil {
		return err
	}
	return s.writeRecord(w, r, http.StatusOK, rec)
}

// handleCopyHistory answers GET /api/v1/instances/{host}/records/{slug}/history.
func (s *server) handleCopyHistory(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.copyRecord(r)
	if err != nil {
		return err
	}
	revs, err := s.dir.RecordHistoryByID(r.Context(), rec.ID)
	if err != nil {
		return err
	}
	return s.writeHistory(w, r, revs)
}

// handleCopyListings answers GET /api/v1/instances/{host}/records/{slug}/listings.
func (s *server) handleCopyListings(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.copyRecord(r)
	if err != nil {
		return err
	}
	return s.writeListings(w, r, rec)
}

// handleSocial answers GET /api/v1/instances/{host}/records/{slug}/social
// and /api/v1/records/{slug}/social: the follower count and latest posts.
func (s *server) handleSocial(w http.ResponseWriter, r *http.Request) error {
	var rec *commons.Record
	var err error
	if mux.Vars(r)["host"] != "" {
		rec, err = s.copyRecord(r)
	} else {
		rec, err = s.dir.Record(r.Context(), mux.Vars(r)["slug"])
	}
	if err != nil {
		return err
	}
	soc := &commons.Social{Posts: []commons.PostSummary{}, AlsoListedBy: []commons.Listing{}}
	if s.fed != nil {
		if soc, err = s.fed.RecordSocial(r.Context(), rec, 20); err != nil {
			return err
		}
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, soc)
	return nil
}

// handleRecordLookup answers GET /api/v1/lookup?id=IRI: the record, local
// or copy, whose IRI is id, with its page and API URL in Content-Location.
func (s *server) handleRecordLookup(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if id == "" {
		return commons.Errorf(commons.EINVALID, "id: the query names no record IRI")
	}
	rec, err := s.dir.RecordByID(r.Context(), id)
	if err != nil {
		return err
	}
	if rec.IsLocal(s.base) {
		w.Header().Set("Content-Location", "/api/v1/records/"+url.PathEscape(rec.Slug))
	} else {
		w.Header().Set("Content-Location", "/api/v1"+copyURL(rec))
	}
	return s.writeRecord(w, r, http.StatusOK, rec)
}
