package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// programmeJSON is a valid programme document: EU-wide, for software,
// open to associations, with a call whose deadline is in days.
func programmeJSON(slug, status string, countries string, deadlineInDays int) string {
	deadline := time.Now().UTC().AddDate(0, 0, deadlineInDays).Format(time.DateOnly)
	return fmt.Sprintf(`{
		"slug": %q,
		"name": {"en": "Fund %s", "fr": "Fonds %s"},
		"description": {"en": "Grants for the commons."},
		"countries": [{"code": "NL", "role": "origin"}],
		"programme": {
			"funder": {"name": {"en": "A Foundation"}, "url": "https://fund.example/"},
			"kind": "grant",
			"eligibility": {"countries": %s, "kinds": ["geodata", "software"], "legal_forms": ["association", "foundation"]},
			"purposes": ["maintenance", "security"],
			"amount": {"min": 5000, "max": 50000, "currency": "EUR"},
			"co_funding": {"required": "no"},
			"status": %q,
			"calls": [{"title": {"en": "Call"}, "opens": "2024-01-01", "deadline": %q, "url": "https://fund.example/call"}],
			"apply_url": "https://fund.example/apply",
			"source_url": "https://fund.example/programme",
			"checked": "2026-12-06"
		}
	}`, slug, slug, slug, countries, status, deadline)
}

type apiMatch struct {
	Programme struct {
		Slug string `json:"slug"`
	} `json:"programme"`
	URL          string `json:"url"`
	NextDeadline string `json:"next_deadline"`
	Reasons      []struct {
		Code  string `json:"code"`
		Value string `json:"value"`
	} `json:"reasons"`
}

func matchSlugs(t *testing.T, b []byte) []string {
	t.Helper()
	var v struct{ Items []apiMatch }
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range v.Items {
		out = append(out, m.Programme.Slug)
	}
	return out
}

// TestProgrammesAPI creates programmes through the records API and reads
// them, and the matches both ways, through the funding API.
func TestProgrammesAPI(t *testing.T) {
	s := newTestServer(t, spec, nil)
	for _, body := range []string{
		programmeJSON("late", "open", `["EU"]`, 40),
		programmeJSON("soon", "open", `["FR"]`, 10),
		programmeJSON("always", "rolling", `[]`, -400),
		programmeJSON("shut", "closed", `[]`, 30),
	} {
		resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: body})
		expect(t, resp, b, http.StatusCreated)
	}
	s.create(t, "osm") // geodata, intended for the EU, no governance model
	// A programme names its field when it is wrong.
	bad := strings.Replace(programmeJSON("bad", "open", `["EU"]`, 1), `"kind": "grant"`, `"kind": "loan"`, 1)
	resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: bad})
	expect(t, resp, b, http.StatusBadRequest)
	if p := problemOf(t, b); len(p.Errors) != 1 || p.Errors[0].Field != "programme.kind" {
		t.Errorf("bad kind: %+v", p)
	}

	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/programmes", Path: "/api/v1/programmes"})
	expect(t, resp, b, 200)
	var list struct{ Items []struct{ Slug string } }
	if err := json.Unmarshal(b, &list); err != nil || len(list.Items) != 4 || list.Items[0].Slug != "always" {
		t.Errorf("programmes: %s", b)
	}
	// Programmes are not commons: the directory's search leaves them out.
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/records", Path: "/api/v1/records"})
	expect(t, resp, b, 200)
	if strings.Contains(string(b), `"programme"`) {
		t.Errorf("the record search lists programmes: %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/programmes/{slug}", Path: "/api/v1/programmes/soon"})
	expect(t, resp, b, 200)
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/programmes/{slug}", Path: "/api/v1/programmes/osm"})
	expect(t, resp, b, 404)
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/programmes/{slug}", Path: "/api/v1/programmes/nothing"})
	expect(t, resp, b, 404)

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"soon", "late", "always"}},
		{"?country=fr&kind=software&legal_form=association&purpose=security", []string{"soon", "late", "always"}},
		{"?country=DE", []string{"late", "always"}},
		{"?country=NO", []string{"always"}},
		{"?kind=software&purpose=maintenance", []string{"soon", "late", "always"}},
		{"?kind=data", nil},
		{"?legal_form=company", nil},
		{"?purpose=translation", nil},
	} {
		resp, b := s.do(t, req{Method: "GET", Route: "/api/v1/funding/match", Path: "/api/v1/funding/match" + c.query})
		expect(t, resp, b, 200)
		if got := matchSlugs(t, b); !reflect.DeepEqual(got, c.want) {
			t.Errorf("match%s = %v, want %v", c.query, got, c.want)
		}
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/funding/match", Path: "/api/v1/funding/match?country=FR&legal_form=gmbh"})
	expect(t, resp, b, 400)
	if p := problemOf(t, b); len(p.Errors) != 1 || p.Errors[0].Field != "legal_form" {
		t.Errorf("bad legal form: %+v", p)
	}
	// The reasons of one match.
	_, b = s.do(t, req{Method: "GET", Route: "/api/v1/funding/match", Path: "/api/v1/funding/match?country=DE&kind=geodata&purpose=maintenance"})
	var v struct{ Items []apiMatch }
	if err := json.Unmarshal(b, &v); err != nil || len(v.Items) == 0 {
		t.Fatalf("%s: %v", b, err)
	}
	if got := fmt.Sprint(v.Items[0].Reasons); got != "[{country-eu DE} {kind geodata} {purpose maintenance}]" || !strings.HasSuffix(v.Items[0].URL, "/funding/programmes/late") {
		t.Errorf("late: reasons %s, url %s", got, v.Items[0].URL)
	}

	// Both ways from a record: OpenStreetMap is geodata for the EU.
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/programmes", Path: "/api/v1/records/osm/programmes"})
	expect(t, resp, b, 200)
	// Its country EU is named by "late"; "always" has no restriction;
	// "soon" is for France only, "shut" closed.
	if got := matchSlugs(t, b); !reflect.DeepEqual(got, []string{"late", "always"}) {
		t.Errorf("osm's programmes = %v, want [late always]", got)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/programmes", Path: "/api/v1/records/nothing/programmes"})
	expect(t, resp, b, 404)
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/programmes", Path: "/api/v1/records/late/programmes"})
	expect(t, resp, b, 404)
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/programmes/{slug}/commons", Path: "/api/v1/programmes/always/commons"})
	expect(t, resp, b, 200)
	var cm struct {
		Items []struct {
			Slug    string
			URL     string
			Reasons []struct{ Code, Value string }
		}
		Total int
	}
	if err := json.Unmarshal(b, &cm); err != nil || len(cm.Items) != 1 || cm.Total != 1 || cm.Items[0].Slug != "osm" || !strings.HasSuffix(cm.Items[0].URL, "/records/osm") {
		t.Errorf("always suits %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/programmes/{slug}/commons", Path: "/api/v1/programmes/shut/commons"})
	expect(t, resp, b, 200)
	if strings.Contains(string(b), "osm") {
		t.Errorf("a closed programme suits %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/programmes/{slug}/commons", Path: "/api/v1/programmes/osm/commons"})
	expect(t, resp, b, 404)

	// A closed store: every funding read answers 500.
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []req{
		{Method: "GET", Route: "/api/v1/programmes", Path: "/api/v1/programmes"},
		{Method: "GET", Route: "/api/v1/programmes/{slug}", Path: "/api/v1/programmes/other"},
		{Method: "GET", Route: "/api/v1/programmes/{slug}/commons", Path: "/api/v1/programmes/soon/commons"},
		{Method: "GET", Route: "/api/v1/records/{slug}/programmes", Path: "/api/v1/records/osm/programmes"},
		{Method: "GET", Route: "/api/v1/funding/match", Path: "/api/v1/funding/match"},
	} {
		resp, b := s.do(t, q)
		expect(t, resp, b, 500)
	}
}

// TestProgrammePages: the guided search answers with the programmes that
// fit and why, in the page's language; a record page shows the
// programmes that may fund it, a programme page the commons it may suit;
// the funding feed carries programmes and their open calls.
func TestProgrammePages(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.lang = "fr"
	page := b.get("/funding/find?country=FR&kind=geodata&legal_form=association&purpose=maintenance", http.StatusOK)
	wantIn(t, "find", page, `href="/funding/programmes/geo-fund"`, "Fonds des géodonnées ouvertes",
		"<li>ouvert aux candidats des États membres de l’UE, dont France</li>", "<li>accepte cette forme juridique : Association</li>",
		"<li>finance cet objet : Maintenance</li>")
	wantNotIn(t, "find", page, "Old Fund")
	wantIn(t, "find nothing", b.get("/funding/find?country=NO&kind=software", http.StatusOK), "Aucun programme ouvert ne correspond à ces réponses.")
	b.get("/funding/find?legal_form=gmbh", http.StatusBadRequest)

	all := b.get("/funding/programmes", http.StatusOK)
	if i, j := strings.Index(all, "geo-fund"), strings.Index(all, "old-fund"); i < 0 || j < i {
		t.Errorf("the list does not show the open programme, then the closed one (%d, %d)", i, j)
	}
	wantIn(t, "record", b.get("/records/osm", http.StatusOK), "Programmes qui pourraient financer ce commun", `href="/funding/programmes/geo-fund"`)
	wantIn(t, "record without", b.get("/records/wikipedia", http.StatusOK), "Aucun programme répertorié ici ne correspond encore à ce commun.")

	prog := b.get("/funding/programmes/geo-fund", http.StatusOK)
	wantIn(t, "programme", prog, "Communs auxquels il peut convenir", `href="/records/osm"`, `href="/records/bano"`, "Spring round", "@geo-fund@",
		"2 communs trouvés")
	wantNotIn(t, "programme", prog, `href="/records/wikipedia"`)
	wantIn(t, "programme at its actor's URL", b.get("/records/geo-fund", http.StatusOK), "Communs auxquels il peut convenir")
	b.get("/funding/programmes/osm", http.StatusNotFound)

	feed := b.get("/funding.atom", http.StatusOK)
	wantIn(t, "feed", feed, "Spring round", "Fonds des géodonnées ouvertes", s.URL+"/funding/programmes/geo-fund")
	wantNotIn(t, "feed", feed, "Old round", "Old Fund")
	wantNotIn(t, "feed for Norway", b.get("/funding.atom?country=NO", http.StatusOK), "Spring round")
}

// exportCountingDir counts the full reads of the directory's records.
type exportCountingDir struct {
	*store.DB
	full atomic.Int32
}

func (d *exportCountingDir) ExportRecords(ctx context.Context, includeRemote bool, fn func(*commons.Record) error) error {
	d.full.Add(1)
	return d.DB.ExportRecords(ctx, includeRemote, fn)
}

// TestProgrammeCommonsPatched: after a write, the commons a programme may
// suit are patched with the records written instead of read again, and
// the API lists what a handler built from scratch lists, in the same
// order; beyond applicantPatchMax records written everything is read.
func TestProgrammeCommonsPatched(t *testing.T) {
	var dir *exportCountingDir
	s := newTestServer(t, nil, func(o *Options) {
		dir = &exportCountingDir{DB: o.Directory.(*store.DB)}
		o.Directory = dir
	})
	ctx := t.Context()
	var p commons.Record
	if err := json.Unmarshal([]byte(programmeJSON("fund", "open", `[]`, 30)), &p); err != nil {
		t.Fatal(err)
	}
	commonsRec := func(slug, name, kind string) *commons.Record {
		return &commons.Record{Slug: slug, Name: commons.Text{"en": name}, Kinds: []string{kind}, Status: "stable"}
	}
	if _, err := s.db.ImportRecords(ctx, []*commons.Record{&p,
		commonsRec("alpha", "Alpha", "software"), commonsRec("bravo", "Bravo", "geodata"), commonsRec("zulu", "Zulu", "knowledge"),
	}, store.ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	list := func(h http.Handler) string {
		t.Helper()
		if h == nil { // the test server, over HTTP
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res, err := s.client.Get(s.URL + r.URL.Path)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				w.WriteHeader(res.StatusCode)
				io.Copy(w, res.Body) //nolint:errcheck // a recorder
			})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/programmes/fund/commons", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET commons: %d %s", rec.Code, rec.Body)
		}
		var out struct {
			Items []struct{ Slug string }
			Total int
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		var slugs []string
		for _, it := range out.Items {
			slugs = append(slugs, it.Slug)
		}
		return fmt.Sprintf("%d: %s", out.Total, strings.Join(slugs, " "))
	}
	step := func(what string, wantFull int32, want string) {
		t.Helper()
		got := list(nil)
		if n := dir.full.Load(); n != wantFull {
			t.Errorf("%s: %d full reads of the records, want %d", what, n, wantFull)
		}
		scratch := list(New(Options{Directory: s.db, BaseURL: s.URL, Version: "test"}))
		if got != scratch || got != want {
			t.Errorf("%s: the API lists %q, built from scratch %q, want %q", what, got, scratch, want)
		}
	}
	step("first", 1, "2: alpha bravo")
	upd := func(slug string, change func(*commons.Record)) {
		t.Helper()
		r, err := s.db.Record(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		change(r)
		if err := s.db.UpdateRecord(ctx, r, 0, "test"); err != nil {
			t.Fatal(err)
		}
	}
	upd("zulu", func(r *commons.Record) { r.Kinds = []string{"software"} })
	step("a commons that now fits", 1, "3: alpha bravo zulu")
	upd("alpha", func(r *commons.Record) { r.Name["en"] = "Yankee" })
	step("a commons renamed", 1, "3: bravo alpha zulu")
	if err := s.db.CreateRecord(ctx, commonsRec("charlie", "Charlie", "geodata"), "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.db.DeleteRecord(ctx, "bravo", 0, "test"); err != nil {
		t.Fatal(err)
	}
	step("one added, one deleted", 1, "3: charlie alpha zulu")

	rs := make([]*commons.Record, applicantPatchMax+1)
	for i := range rs {
		rs[i] = commonsRec(fmt.Sprintf("bulk-%04d", i), fmt.Sprintf("Bulk %04d", i), "data")
	}
	if _, err := s.db.ImportRecords(ctx, rs, store.ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	step("an import", 2, "3: charlie alpha zulu")
}
