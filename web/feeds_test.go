package web

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// Parsed Atom, independent of the types the server encodes with, so that a
// wrong namespace or element name fails the test.
type parsedFeed struct {
	XMLName xml.Name      `xml:"http://www.w3.org/2005/Atom feed"`
	ID      []string      `xml:"http://www.w3.org/2005/Atom id"`
	Title   []string      `xml:"http://www.w3.org/2005/Atom title"`
	Updated []string      `xml:"http://www.w3.org/2005/Atom updated"`
	Authors []parsedName  `xml:"http://www.w3.org/2005/Atom author"`
	Links   []parsedLink  `xml:"http://www.w3.org/2005/Atom link"`
	Entries []parsedEntry `xml:"http://www.w3.org/2005/Atom entry"`
}

type parsedName struct {
	Name string `xml:"http://www.w3.org/2005/Atom name"`
}

type parsedLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

type parsedText struct {
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Text string `xml:",chardata"`
}

type parsedEntry struct {
	ID      []string     `xml:"http://www.w3.org/2005/Atom id"`
	Title   []parsedText `xml:"http://www.w3.org/2005/Atom title"`
	Updated []string     `xml:"http://www.w3.org/2005/Atom updated"`
	Links   []parsedLink `xml:"http://www.w3.org/2005/Atom link"`
	Summary []parsedText `xml:"http://www.w3.org/2005/Atom summary"`
	Authors []parsedName `xml:"http://www.w3.org/2005/Atom author"`
}

// checkAtom checks what RFC 4287 §4.1 requires of a feed and its entries:
// exactly one id (an absolute IRI), title and updated (an RFC 3339 date);
// an author on the feed (or on every entry); a self link; per entry, an
// alternate link since there is no content. It returns the parsed feed.
func checkAtom(t *testing.T, b []byte) *parsedFeed {
	t.Helper()
	var f parsedFeed
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("not an Atom feed: %v\n%s", err, b)
	}
	one := func(what string, vs []string) string {
		if len(vs) != 1 || strings.TrimSpace(vs[0]) == "" {
			t.Errorf("%s: %d elements %q, want exactly one, non-empty", what, len(vs), vs)
			return ""
		}
		return vs[0]
	}
	absolute := func(what, s string) {
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			t.Errorf("%s %q is not an absolute IRI", what, s)
		}
	}
	date := func(what, s string) {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s %q is not an RFC 3339 date: %v", what, s, err)
		}
	}
	absolute("feed id", one("feed id", f.ID))
	one("feed title", f.Title)
	date("feed updated", one("feed updated", f.Updated))
	if len(f.Authors) == 0 || f.Authors[0].Name == "" {
		t.Error("feed has no author name")
	}
	if rel(f.Links, "self") == "" {
		t.Error("feed has no self link")
	}
	for i, e := range f.Entries {
		absolute("entry id", one("entry id", e.ID))
		if len(e.Title) != 1 || e.Title[0].Text == "" {
			t.Errorf("entry %d: titles %v", i, e.Title)
		}
		date("entry updated", one("entry updated", e.Updated))
		if rel(e.Links, "alternate") == "" {
			t.Errorf("entry %d has neither content nor an alternate link", i)
		}
		if len(e.Summary) > 1 {
			t.Errorf("entry %d has %d summaries", i, len(e.Summary))
		}
	}
	return &f
}

// rel returns the href of the first link with the relation.
func rel(links []parsedLink, r string) string {
	for _, l := range links {
		if l.Rel == r {
			return l.Href
		}
	}
	return ""
}

func TestRecordsAtomGolden(t *testing.T) {
	recs := []*commons.Record{softwareRecord(), geodataRecord()}
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			b, err := marshalAtom(recordsAtom("https://commons.example.eu", "Example Commons", lang, recs))
			if err != nil {
				t.Fatal(err)
			}
			f := checkAtom(t, b)
			if len(f.Entries) != 2 || f.Updated[0] != "2026-03-16T09:26:53Z" {
				t.Errorf("entries %d, updated %v", len(f.Entries), f.Updated)
			}
			golden(t, "records-"+lang+".atom", b)
		})
	}
	t.Run("empty", func(t *testing.T) {
		b, err := marshalAtom(recordsAtom("https://commons.example.eu", "Example Commons", "en", nil))
		if err != nil {
			t.Fatal(err)
		}
		checkAtom(t, b)
	})
}

// TestRecordsFeed serves the feed from a real instance: newest change
// first, texts in the request language, linked from the home page.
func TestRecordsFeed(t *testing.T) {
	s := newTestServer(t, spec, nil)
	resp, b := s.do(t, req{Method: "GET", Route: "/feeds/records.atom", Path: "/feeds/records.atom"})
	expect(t, resp, b, http.StatusOK)
	if f := checkAtom(t, b); len(f.Entries) != 0 {
		t.Errorf("empty directory: %d entries", len(f.Entries))
	}

	for _, slug := range []string{"a", "b", "c"} {
		s.create(t, slug)
	}
	// Changing a makes it the newest, once the clock has passed c's
	// creation (on a slow clock both can fall in one millisecond).
	c, err := s.db.Record(t.Context(), "c")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !time.Now().Truncate(time.Millisecond).After(c.Provenance.Updated); {
		if time.Now().After(deadline) {
			t.Fatal("the clock does not move")
		}
		time.Sleep(time.Millisecond)
	}
	rec, err := s.db.Record(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	rec.Keywords = []string{"changed"}
	if err := s.db.UpdateRecord(t.Context(), rec, rec.Provenance.Version, "ed"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		path, acceptLang, wantLang, wantSummary string
	}{
		{"/feeds/records.atom", "", "en", "The free wiki world map."},
		{"/feeds/records.atom", "fr-BE, en;q=0.5", "fr", "La carte du monde libre et collaborative."},
		{"/feeds/records.atom?lang=fr", "en", "fr", "La carte du monde libre et collaborative."},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.acceptLang, func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: "/feeds/records.atom", Path: tt.path, Header: map[string]string{"Accept-Language": tt.acceptLang}})
			expect(t, resp, b, http.StatusOK)
			if ct := resp.Header.Get("Content-Type"); ct != mediaAtom {
				t.Errorf("Content-Type = %q", ct)
			}
			if cl := resp.Header.Get("Content-Language"); cl != tt.wantLang {
				t.Errorf("Content-Language = %q, want %q", cl, tt.wantLang)
			}
			f := checkAtom(t, b)
			if len(f.Entries) != 3 {
				t.Fatalf("%d entries, want 3", len(f.Entries))
			}
			if got, want := f.Entries[0].ID[0], s.URL+"/records/a"; got != want {
				t.Errorf("first entry %s, want the changed record %s", got, want)
			}
			if got := f.Updated[0]; got != f.Entries[0].Updated[0] {
				t.Errorf("feed updated %s, newest entry %s", got, f.Entries[0].Updated[0])
			}
			if got := rel(f.Links, "self"); got != s.URL+"/feeds/records.atom" {
				t.Errorf("self link %s", got)
			}
			e := f.Entries[1]
			if len(e.Summary) != 1 || e.Summary[0].Text != tt.wantSummary || e.Summary[0].Lang != tt.wantLang {
				t.Errorf("summary %+v, want %q in %s", e.Summary, tt.wantSummary, tt.wantLang)
			}
			if got := rel(e.Links, "alternate"); got != s.URL+"/records/c" { // a, then c, b newest first
				t.Errorf("alternate link %s", got)
			}
		})
	}

	// A feed reader polling with the ETag gets 304 until the directory changes.
	resp, b = s.do(t, req{Method: "GET", Route: "/feeds/records.atom", Path: "/feeds/records.atom"})
	expect(t, resp, b, http.StatusOK)
	tag := resp.Header.Get("ETag")
	resp, b = s.do(t, req{Method: "GET", Route: "/feeds/records.atom", Path: "/feeds/records.atom", Header: map[string]string{"If-None-Match": tag}})
	expect(t, resp, b, http.StatusNotModified)
	s.create(t, "d")
	resp, b = s.do(t, req{Method: "GET", Route: "/feeds/records.atom", Path: "/feeds/records.atom", Header: map[string]string{"If-None-Match": tag}})
	expect(t, resp, b, http.StatusOK)
	if resp.Header.Get("ETag") == tag {
		t.Error("the feed changed but its ETag did not")
	}

	_, home := s.do(t, req{Method: "GET", Route: "/", Path: "/", Header: map[string]string{"Accept": "text/html"}})
	if !strings.Contains(string(home), `<link rel="alternate" type="application/atom+xml" href="/feeds/records.atom"`) {
		t.Error("the home page does not link the feed")
	}
}

// TestExportsInternalError closes the store under a running server: the
// exports answer 500 without details.
func TestExportsInternalError(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []req{
		{Method: "GET", Route: "/feeds/records.atom", Path: "/feeds/records.atom"},
		{Method: "GET", Route: "/feeds/records.atom", Path: "/feeds/records.atom", Header: map[string]string{"Accept": "text/html"}},
		{Method: "GET", Route: "/records/{slug}.jsonld", Path: "/records/osm.jsonld"},
		{Method: "GET", Route: "/records/{slug}.jsonld", Path: "/records/osm.jsonld", Header: map[string]string{"Accept": "text/html"}},
	} {
		resp, b := s.do(t, q)
		expect(t, resp, b, http.StatusInternalServerError)
		if !strings.Contains(string(b), "Internal error.") || strings.Contains(strings.ToLower(string(b)), "sql") {
			t.Errorf("%s: body %s", q.Path, b)
		}
	}
}
