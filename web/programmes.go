package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/commons-directory/commons"
	"github.com/gorilla/mux"
)

// Funding programmes: records with a programme part, left out of the
// directory's lists and listed here instead. They are created, changed
// and deleted through /api/v1/records like any record.

// programmeMatchJSON is a programme that fits, in the API.
type programmeMatchJSON struct {
	Programme    *commons.Record       `json:"programme"`
	URL          string                `json:"url"`
	NextDeadline string                `json:"next_deadline,omitempty"`
	Reasons      []commons.MatchReason `json:"reasons"`
}

// commonsMatchJSON is a commons a programme may fund, in the API.
type commonsMatchJSON struct {
	ID      string                `json:"id"`
	Slug    string                `json:"slug"`
	Name    commons.Text          `json:"name"`
	URL     string                `json:"url"`
	Reasons []commons.MatchReason `json:"reasons"`
}

// today is the date matching counts deadlines from, in UTC.
func (s *server) today() string { return time.Now().UTC().Format(time.DateOnly) }

// programmeURL is the page of a programme: ours under /funding/programmes,
// a copy's at its home.
func (s *server) programmeURL(p *commons.Record) string {
	if p.Provenance.Origin == "" || p.IsLocal(s.base) {
		return s.base + "/funding/programmes/" + url.PathEscape(p.Slug)
	}
	return p.Provenance.Origin + "/funding/programmes/" + url.PathEscape(p.Slug)
}

// localProgramme reads the local programme slug: ENOTFOUND when the
// record is not one.
func (s *server) localProgramme(r *http.Request) (*commons.Record, error) {
	slug := mux.Vars(r)["slug"]
	p, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return nil, err
	}
	if p.Programme == nil {
		return nil, commons.Errorf(commons.ENOTFOUND, "There is no funding programme %q here.", slug)
	}
	return p, nil
}

func (s *server) matchesJSON(ms []commons.ProgrammeMatch) []programmeMatchJSON {
	out := make([]programmeMatchJSON, len(ms))
	for i, m := range ms {
		out[i] = programmeMatchJSON{Programme: m.Programme, URL: s.programmeURL(m.Programme), NextDeadline: m.NextDeadline, Reasons: nonNilReasons(m.Reasons)}
	}
	return out
}

func nonNilReasons(rs []commons.MatchReason) []commons.MatchReason {
	if rs == nil {
		return []commons.MatchReason{}
	}
	return rs
}

// handleProgrammeList answers GET /api/v1/programmes: every programme the
// directory holds, local and copies, by slug.
func (s *server) handleProgrammeList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.programmes(r.Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []*commons.Record{}
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, struct {
		Items []*commons.Record `json:"items"`
	}{ps})
	return nil
}

// handleProgrammeGet answers GET /api/v1/programmes/{slug}.
func (s *server) handleProgrammeGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.localProgramme(r)
	if err != nil {
		return err
	}
	return s.writeRecord(w, r, http.StatusOK, p)
}

// fundingQuery reads the matching form's answers, from a page or the API.
func fundingQuery(r *http.Request) commons.FundingQuery {
	q := r.URL.Query()
	return commons.FundingQuery{
		Country:   strings.ToUpper(strings.TrimSpace(q.Get("country"))),
		Kind:      strings.TrimSpace(q.Get("kind")),
		LegalForm: strings.TrimSpace(q.Get("legal_form")),
		Purpose:   strings.TrimSpace(q.Get("purpose")),
	}
}

// handleFundingMatch answers GET /api/v1/funding/match: the programmes
// that fit the answers, soonest deadline first, each with its reasons.
func (s *server) handleFundingMatch(w http.ResponseWriter, r *http.Request) error {
	q := fundingQuery(r)
	if err := q.Validate(); err != nil {
		return err
	}
	ps, err := s.programmes(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, struct {
		Items []programmeMatchJSON `json:"items"`
	}{s.matchesJSON(commons.MatchProgrammes(ps, q, s.today()))})
	return nil
}

// handleRecordProgrammes answers GET /api/v1/records/{slug}/programmes:
// the programmes that may fund the local record.
func (s *server) handleRecordProgrammes(w http.ResponseWriter, r *http.Request) error {
	slug := mux.Vars(r)["slug"]
	rec, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	if rec.Programme != nil {
		return commons.Errorf(commons.ENOTFOUND, "%q is a funding programme, not a commons.", slug)
	}
	ps, err := s.programmes(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, struct {
		Items []programmeMatchJSON `json:"items"`
	}{s.matchesJSON(commons.ProgrammesFor(ps, rec, s.today()))})
	return nil
}

// maxSuited is how many of the commons a programme may suit its page and
// the API list; the total is given beside.
const maxSuited = 100

// suitedCommons lists the commons, local and copies, a programme may
// fund, by name: the first maxSuited, and how many there are.
func (s *server) suitedCommons(r *http.Request, p *commons.Record) ([]commons.CommonsMatch, int, error) {
	recs, err := s.applicants(r.Context())
	if err != nil {
		return nil, 0, err
	}
	// recs are sorted by name: keep the first maxSuited that fit, count the rest.
	var ms []commons.CommonsMatch
	n := 0
	for _, r := range recs {
		if why, ok := p.SuitsApplicant(r.app); ok {
			if n < maxSuited {
				ms = append(ms, commons.CommonsMatch{Record: r.rec, Reasons: why})
			}
			n++
		}
	}
	return ms, n, nil
}

// applicants returns what matching needs of every commons the directory
// holds (slug, id, origin, names, kinds, countries, governance model), by
// name as commons.CommonsFor orders them. After a write it is patched with
// the records written (up to applicantPatchMax of them) rather than read
// again, so that a programme's page after a write does not decode the
// whole directory. Shared: read only.
func (s *server) applicants(ctx context.Context) ([]applicantRecord, error) {
	seq, err := s.dir.ChangeSeq(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.progs
	c.amu.Lock()
	defer c.amu.Unlock()
	if c.aready && c.aseq == seq {
		return c.recs, nil
	}
	if c.aready {
		ids, recs, ok, err := s.dir.RecordChanges(ctx, c.aseq, applicantPatchMax)
		if err != nil {
			return nil, err
		}
		if ok {
			c.recs, c.aseq = patchApplicants(c.recs, ids, recs), seq
			return c.recs, nil
		}
	}
	var out []applicantRecord
	if err := s.dir.ExportRecords(ctx, true, func(rec *commons.Record) error {
		out = append(out, newApplicant(rec))
		return nil
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(out, compareApplicants)
	c.recs, c.aseq, c.aready = out, seq, true
	return out, nil
}

// applicantPatchMax is how many records written since the last read the
// applicants are patched with; beyond it they are read again.
const applicantPatchMax = 1000

// newApplicant keeps of rec what matching and the lists read.
func newApplicant(rec *commons.Record) applicantRecord {
	a := &commons.Record{ID: rec.ID, Slug: rec.Slug, Name: rec.Name, Kinds: rec.Kinds, Countries: rec.Countries, Provenance: rec.Provenance}
	if g := rec.Governance; g != nil && g.Model != "" {
		a.Governance = &commons.Governance{Model: g.Model}
	}
	return applicantRecord{rec: a, app: commons.ApplicantOf(a), key: strings.ToLower(a.Name.String())}
}

// compareApplicants orders commons by name, then slug and id.
func compareApplicants(x, y applicantRecord) int {
	return cmp.Or(strings.Compare(x.key, y.key), strings.Compare(x.rec.Slug, y.rec.Slug), strings.Compare(x.rec.ID, y.rec.ID))
}

// patchApplicants returns a new sorted list: cur without the records
// written (ids), with those of them that are live commons (recs[i] not
// nil) in their place. cur is shared with readers, so it is not changed.
func patchApplicants(cur []applicantRecord, ids []string, recs []*commons.Record) []applicantRecord {
	written := make(map[string]bool, len(ids))
	for _, id := range ids {
		written[id] = true
	}
	out := make([]applicantRecord, 0, len(cur)+len(recs))
	for _, a := range cur {
		if !written[a.rec.ID] {
			out = append(out, a)
		}
	}
	for _, rec := range recs {
		if rec == nil {
			continue
		}
		a := newApplicant(rec)
		i, _ := slices.BinarySearchFunc(out, a, compareApplicants)
		out = slices.Insert(out, i, a)
	}
	return out
}

// handleProgrammeCommons answers GET /api/v1/programmes/{slug}/commons:
// the commons the programme may suit, by name.
func (s *server) handleProgrammeCommons(w http.ResponseWriter, r *http.Request) error {
	p, err := s.localProgramme(r)
	if err != nil {
		return err
	}
	ms, total, err := s.suitedCommons(r, p)
	if err != nil {
		return err
	}
	out := make([]commonsMatchJSON, len(ms))
	for i, m := range ms {
		out[i] = commonsMatchJSON{ID: m.Record.ID, Slug: m.Record.Slug, Name: m.Record.Name, URL: s.base + s.recordURL(m.Record), Reasons: nonNilReasons(m.Reasons)}
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, struct {
		Items []commonsMatchJSON `json:"items"`
		Total int                `json:"total"`
	}{out, total})
	return nil
}

// programmeCache keeps the directory's programmes, read again only when
// the store's change counter has moved, so that a record page, which
// shows the programmes that may fund it, costs one read of that counter
// rather than a scan of the records. Its zero value is ready to use.
type programmeCache struct {
	mu    sync.Mutex
	seq   int64
	ready bool
	ps    []*commons.Record // shared, read only

	// The commons, as much of them as matching needs (applicants).
	amu    sync.Mutex
	aseq   int64
	aready bool
	recs   []applicantRecord
}

// applicantRecord is a commons and what matching reads of it.
type applicantRecord struct {
	rec *commons.Record
	app commons.Applicant
	key string // the name, lower-cased, by which the list is sorted
}

// programmes returns every programme (shared: not to be changed).
func (s *server) programmes(ctx context.Context) ([]*commons.Record, error) {
	seq, err := s.dir.ChangeSeq(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.progs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready && c.seq == seq {
		return c.ps, nil
	}
	ps, err := s.dir.Programmes(ctx)
	if err != nil {
		return nil, err
	}
	c.ps, c.seq, c.ready = ps, seq, true
	return ps, nil
}
