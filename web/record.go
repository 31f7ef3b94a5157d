package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/commons-directory/commons"
	"github.com/gorilla/mux"
)

var (
	hdrNoCache = []string{"no-cache"}
	hdrJSON    = []string{mediaJSON}
)

// handleRecordGet answers GET /api/v1/records/{slug}: the record's JSON
// document with a strong ETag, or 304 to a matching If-None-Match.
func (s *server) handleRecordGet(w http.ResponseWriter, r *http.Request) error {
	return s.getRecord(w, r, mux.Vars(r)["slug"])
}

// getRecord answers GET /api/v1/records/{slug}, also from serveFast. The
// store is asked on every request whether the cached encoding is current,
// which costs no copy of the record; only a miss reads and encodes it.
func (s *server) getRecord(w http.ResponseWriter, r *http.Request, slug string) error {
	id, version, hash, err := s.dir.RecordVersion(r.Context(), slug)
	if err != nil {
		return err
	}
	if e := s.records.current(id, version, hash); e != nil {
		s.writeEncoded(w, r, http.StatusOK, e)
		return nil
	}
	rec, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	return s.writeRecord(w, r, http.StatusOK, rec)
}

// writeRecord sends rec's (cached) JSON document with its ETag. For a 200
// answer it honours If-None-Match.
func (s *server) writeRecord(w http.ResponseWriter, r *http.Request, status int, rec *commons.Record) error {
	e, err := s.records.encoded(rec)
	if err != nil {
		return err
	}
	s.writeEncoded(w, r, status, e)
	return nil
}

// writeEncoded sends an encoded record with its ETag, honouring
// If-None-Match for a 200 answer.
func (s *server) writeEncoded(w http.ResponseWriter, r *http.Request, status int, e *encodedRecord) {
	h := w.Header()
	h["Etag"] = e.etagHdr
	h["Cache-Control"] = hdrNoCache
	if status == http.StatusOK {
		if inm := r.Header.Get("If-None-Match"); inm != "" && matchAny(inm, e.etag, true) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h["Content-Type"] = hdrJSON
	h["Content-Length"] = e.lengthHdr
	w.WriteHeader(status)
	w.Write(e.body) //nolint:errcheck // the client went away; nothing to do
}

// handleRecordCreate answers POST /api/v1/records: 201 with the stored
// record, its Location and ETag.
func (s *server) handleRecordCreate(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	b, err := s.readBody(w, r, mediaJSON)
	if err != nil {
		return err
	}
	rec, err := decodeRecord(b)
	if err != nil {
		return err
	}
	serverOwned(rec)
	if err := s.dir.CreateRecord(r.Context(), rec, u.Name); err != nil {
		return err
	}
	s.recordChanged()
	w.Header().Set("Location", s.base+"/api/v1/records/"+rec.Slug)
	return s.writeRecord(w, r, http.StatusCreated, rec)
}

// handleRecordPut answers PUT /api/v1/records/{slug}: a full replacement,
// conditional on If-Match.
func (s *server) handleRecordPut(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	slug := mux.Vars(r)["slug"]
	if err := requireIfMatch(r); err != nil {
		return err
	}
	b, err := s.readBody(w, r, mediaJSON)
	if err != nil {
		return err
	}
	rec, err := decodeRecord(b)
	if err != nil {
		return err
	}
	if rec.Slug != "" && rec.Slug != slug {
		return &commons.Error{Code: commons.EINVALID, Message: "the record is invalid", Fields: []commons.FieldError{
			{Field: "slug", Message: "must be " + slug + " (the URL's) or left out; a slug cannot change"},
		}}
	}
	rec.Slug = slug
	cur, err := s.current(r.Context(), r, slug)
	if err != nil {
		return err
	}
	return s.update(w, r, rec, cur.Provenance.Version, u)
}

// handleRecordPatch answers PATCH /api/v1/records/{slug}: an RFC 7396 merge
// patch applied to the stored record's JSON, conditional on If-Match.
func (s *server) handleRecordPatch(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	slug := mux.Vars(r)["slug"]
	if err := requireIfMatch(r); err != nil {
		return err
	}
	b, err := s.readBody(w, r, mediaPatch)
	if err != nil {
		return err
	}
	var patch any
	if err := decodeOne(b, &patch); err != nil {
		return err
	}
	cur, err := s.current(r.Context(), r, slug)
	if err != nil {
		return err
	}
	var doc any
	if err := reencode(cur, &doc); err != nil {
		return err
	}
	merged, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return commons.Errorf(commons.EINVALID, "The patched record cannot be encoded: %v.", err)
	}
	rec, err := decodeRecord(merged)
	if err != nil {
		return err
	}
	if rec.Slug != slug {
		return &commons.Error{Code: commons.EINVALID, Message: "the record is invalid", Fields: []commons.FieldError{
			{Field: "slug", Message: "cannot change (it is " + slug + ")"},
		}}
	}
	return s.update(w, r, rec, cur.Provenance.Version, u)
}

// update stores rec as the new content of its local record, provided the
// stored version is still ifVersion, and answers with the result.
func (s *server) update(w http.ResponseWriter, r *http.Request, rec *commons.Record, ifVersion int, u *commons.User) error {
	serverOwned(rec)
	if err := s.dir.UpdateRecord(r.Context(), rec, ifVersion, u.Name); err != nil {
		return err
	}
	s.recordChanged()
	return s.writeRecord(w, r, http.StatusOK, rec)
}

// handleRecordDelete answers DELETE /api/v1/records/{slug}: 204, conditional
// on If-Match. The URL answers 410 from then on.
func (s *server) handleRecordDelete(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	slug := mux.Vars(r)["slug"]
	if err := requireIfMatch(r); err != nil {
		return err
	}
	cur, err := s.current(r.Context(), r, slug)
	if err != nil {
		return err
	}
	if err := s.dir.DeleteRecord(r.Context(), slug, cur.Provenance.Version, u.Name); err != nil {
		return err
	}
	s.recordChanged()
	s.records.forget(cur.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRecordHistory answers GET /api/v1/records/{slug}/history, newest
// revision first.
func (s *server) handleRecordHistory(w http.ResponseWriter, r *http.Request) error {
	revs, err := s.dir.RecordHistory(r.Context(), mux.Vars(r)["slug"])
	if err != nil {
		return err
	}
	return s.writeHistory(w, r, revs)
}

// writeHistory sends a record's revisions, newest first.
func (s *server) writeHistory(w http.ResponseWriter, r *http.Request, revs []commons.Revision) error {
	if revs == nil {
		revs = []commons.Revision{}
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, struct {
		Items []commons.Revision `json:"items"`
	}{revs})
	return nil
}

// requireIfMatch refuses a write that does not say which version it
// changes: without If-Match a concurrent edit would be silently lost.
func requireIfMatch(r *http.Request) error {
	if r.Header.Get("If-Match") == "" {
		return commons.Errorf(ePreconditionRequired,
			"This request needs an If-Match header with the record's ETag (GET the record first), so that no concurrent change is lost.")
	}
	return nil
}

// current returns the stored record slug if its ETag matches the request's
// If-Match (strong comparison), else EPRECONDITION. The store checks the
// version again when it writes, so a change in between is caught too.
func (s *server) current(ctx context.Context, r *http.Request, slug string) (*commons.Record, error) {
	cur, err := s.dir.Record(ctx, slug)
	if err != nil {
		return nil, err
	}
	tag := etag(cur.Provenance.Version, cur.Provenance.Hash)
	if !matchAny(r.Header.Get("If-Match"), tag, false) {
		return nil, commons.Errorf(commons.EPRECONDITION,
			"Record %s has changed: it is at version %d (ETag %s), not the one If-Match names.", slug, cur.Provenance.Version, tag)
	}
	return cur, nil
}

// serverOwned clears what a client may not set: the id and the provenance
// belong to the store. Records written through the API have source "api".
func serverOwned(rec *commons.Record) {
	rec.ID = ""
	rec.Provenance = commons.Provenance{Source: "api"}
}

// decodeOne decodes exactly one JSON value, numbers kept exact.
func decodeOne(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return commons.Errorf(commons.EINVALID, "Malformed JSON at byte %d: %v.", syntax.Offset, err)
		}
		return commons.Errorf(commons.EINVALID, "Malformed JSON: %v.", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return commons.Errorf(commons.EINVALID, "The body holds more than one JSON value.")
	}
	return nil
}

// reencode turns a value into its generic JSON form.
func reencode(v any, out *any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return decodeOne(b, out)
}
