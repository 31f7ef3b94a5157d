package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/demo"
	"github.com/commons-directory/commons/store"
)

// newDemoServer starts a test server holding the demo directory.
func newDemoServer(t *testing.T, spec *apiSpec) *testServer {
	t.Helper()
	s := newTestServer(t, spec, nil)
	entries, err := demo.Records()
	if err != nil {
		t.Fatal(err)
	}
	rs := make([]*commons.Record, len(entries))
	for i, e := range entries {
		rs[i] = e.Record
	}
	if _, err := s.db.ImportRecords(context.Background(), rs, store.ImportOptions{}); err != nil {
		t.Fatalf("import the demo directory: %v", err)
	}
	return s
}

// judgedQuery is one line of a judged-query file: a query and the slugs of
// the records that answer it (any of them counts).
type judgedQuery struct {
	file  string
	line  int
	query string
	slugs []string
}

// readJudged reads a judged-query file: "query<TAB>slug,slug" lines, with
// "#" comments.
func readJudged(t *testing.T, path string) []judgedQuery {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []judgedQuery
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		q, slugs, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s:%d: no tab between the query and the slugs", path, n)
		}
		out = append(out, judgedQuery{file: filepath.Base(path), line: n, query: q, slugs: strings.Split(slugs, ",")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no judged queries", path)
	}
	return out
}

// TestJudgedQueries runs every judged query (testdata/search/judged-*.tsv)
// against the demo directory through GET /api/v1/records and reports
// success@1, success@3 and the mean reciprocal rank, per file and over
// all: in each file the search must put an answer first for nine queries
// in ten, and among the first three for 97 in 100.
func TestJudgedQueries(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		if testing.Short() {
			t.Skip("imports the demo directory")
		}
		s := newDemoServer(t, nil)
		files, err := filepath.Glob(filepath.Join("testdata", "search", "judged-*.tsv"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no judged-query files: %v", err)
		}
		type tally struct {
			n, at1, at3 int
			rr          float64
		}
		var all tally
		for _, file := range files {
			var ft tally
			for _, jq := range readJudged(t, file) {
				resp, b := s.do(t, req{Method: http.MethodGet, Path: "/api/v1/records?limit=10&q=" + url.QueryEscape(jq.query)})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s:%d %q: status %d: %s", jq.file, jq.line, jq.query, resp.StatusCode, b)
				}
				var page struct {
					Items []struct {
						Slug string `json:"slug"`
					} `json:"items"`
				}
				if err := json.Unmarshal(b, &page); err != nil {
					t.Fatalf("%s:%d %q: %v", jq.file, jq.line, jq.query, err)
				}
				rank := 0
				var got []string
				for i, it := range page.Items {
					got = append(got, it.Slug)
					if rank == 0 && slices.Contains(jq.slugs, it.Slug) {
						rank = i + 1
					}
				}
				ft.n++
				switch {
				case rank == 1:
					ft.at1++
					ft.at3++
				case rank > 0 && rank <= 3:
					ft.at3++
				}
				if rank > 0 {
					ft.rr += 1 / float64(rank)
				}
				if rank != 1 {
					t.Logf("%s:%d %q: wanted %s, rank %d, got %v", jq.file, jq.line, jq.query, strings.Join(jq.slugs, " or "), rank, got[:min(len(got), 5)])
				}
			}
			at1, at3 := float64(ft.at1)/float64(ft.n), float64(ft.at3)/float64(ft.n)
			t.Logf("%s: %d queries, success@1 %.3f, success@3 %.3f, MRR %.3f", filepath.Base(file), ft.n, at1, at3, ft.rr/float64(ft.n))
			if at1 < 0.9 || at3 < 0.97 {
				t.Errorf("%s: success@1 %.3f (want ≥ 0.9), success@3 %.3f (want ≥ 0.97)", filepath.Base(file), at1, at3)
			}
			all.n += ft.n
			all.at1 += ft.at1
			all.at3 += ft.at3
			all.rr += ft.rr
		}
		t.Logf("all: %d queries, success@1 %.3f, success@3 %.3f, MRR %.3f",
			all.n, float64(all.at1)/float64(all.n), float64(all.at3)/float64(all.n), all.rr/float64(all.n))
	})
}

// TestSearchSaysWhatItSearched checks that a query some words of which
// match nothing still finds records, and that the API and the page say
// what was searched instead; and that words matched through a stem or a
// typo are highlighted like words matched as typed.
func TestSearchSaysWhatItSearched(t *testing.T) {
	s := newDemoServer(t, loadSpec(t))
	for _, tc := range []struct {
		query, searched, first string
	}{
		{"opnstreetmap", "openstreetmap", "openstreetmap"},
		{"encyclopedia xqzwv", "encyclopedia", ""},
		{"navigateur web zzzyzx", "navigateur web", "firefox"},
		{"wikipedia", "", "wikipedia"},
	} {
		resp, b := s.do(t, req{Method: http.MethodGet, Route: "/api/v1/records", Path: "/api/v1/records?q=" + url.QueryEscape(tc.query)})
		expect(t, resp, b, http.StatusOK)
		var page struct {
			Items []struct {
				Slug string `json:"slug"`
			} `json:"items"`
			SearchedFor *string `json:"searched_for"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.searched == "" && page.SearchedFor != nil:
			t.Errorf("%q: searched_for %q, want none", tc.query, *page.SearchedFor)
		case tc.searched != "" && (page.SearchedFor == nil || *page.SearchedFor != tc.searched):
			t.Errorf("%q: searched_for %v, want %q", tc.query, page.SearchedFor, tc.searched)
		}
		if len(page.Items) == 0 || tc.first != "" && page.Items[0].Slug != tc.first {
			t.Errorf("%q: results %+v, want %s first", tc.query, page.Items, tc.first)
		}
	}

	resp, b := s.do(t, req{Method: http.MethodGet, Path: "/?lang=en&q=" + url.QueryEscape("wikipdia xqzwv"), Header: map[string]string{"Accept": "text/html"}})
	expect(t, resp, b, http.StatusOK)
	wantIn(t, "the page of a corrected query", string(b), "Showing results for <strong>wikipedia</strong>", "<mark>Wikipedia</mark>")

	resp, b = s.do(t, req{Method: http.MethodGet, Path: "/?lang=fr&q=cartes", Header: map[string]string{"Accept": "text/html"}})
	expect(t, resp, b, http.StatusOK)
	wantIn(t, "the page of a query matched through a stem", string(b), "<mark>carte</mark>")
	wantNotIn(t, "the page of a query matched as typed", string(b), "Showing results for", "Résultats pour")
}
