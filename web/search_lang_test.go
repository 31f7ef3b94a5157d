package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// TestSearchReaderLanguage checks that the reader's language reaches the
// search: the API's lang parameter, else Accept-Language, and the HTML
// page's language put first the record whose text in that language
// matches through a stem ("cartes": a French "carte", an English "carts").
func TestSearchReaderLanguage(t *testing.T) {
	s := newTestServer(t, loadSpec(t), nil)
	rec := func(slug, lang, name, summary, desc string) *commons.Record {
		return &commons.Record{Slug: slug, Name: commons.Text{lang: name}, Summary: commons.Text{lang: summary},
			Description: commons.Text{lang: desc}, Kinds: []string{"data"}, Status: "stable"}
	}
	if _, err := s.db.ImportRecords(context.Background(), []*commons.Record{
		rec("atlas-rouge", "fr", "Atlas rouge", "Carte du quartier", "Des mots plus longs."),
		rec("atlas-grey", "en", "Atlas grey", "Carts of quarter", "Some longer words."),
	}, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	fr, en := []string{"atlas-rouge", "atlas-grey"}, []string{"atlas-grey", "atlas-rouge"}
	for _, tc := range []struct {
		query, accept string
		want          []string
	}{
		{"&lang=fr", "", fr},
		{"&lang=en", "", en},
		{"&lang=fr-BE", "en", fr}, // the parameter wins
		{"", "fr-CH, en;q=0.5", fr},
		{"", "en-GB", en},
	} {
		resp, b := s.do(t, req{Method: http.MethodGet, Route: "/api/v1/records", Path: "/api/v1/records?q=cartes" + tc.query,
			Header: map[string]string{"Accept-Language": tc.accept}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: status %d: %s", tc.query, tc.accept, resp.StatusCode, b)
		}
		var page struct {
			Items []struct {
				Slug string `json:"slug"`
			} `json:"items"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range page.Items {
			got = append(got, it.Slug)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("cartes with %q, Accept-Language %q = %v, want %v", tc.query, tc.accept, got, tc.want)
		}
	}
	resp, b := s.do(t, req{Method: http.MethodGet, Route: "/api/v1/records", Path: "/api/v1/records?q=cartes&lang=not_a_tag!"})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"lang"`) {
		t.Errorf("a bad lang: status %d: %s", resp.StatusCode, b)
	}
	// The HTML page searches in its own language.
	for lang, want := range map[string]string{"fr": "atlas-rouge", "en": "atlas-grey"} {
		resp, b := s.do(t, req{Method: http.MethodGet, Path: "/?q=cartes&lang=" + lang, Header: map[string]string{"Accept": "text/html"}})
		page := string(b)
		first, second := strings.Index(page, "/records/"+want), strings.Index(page, "/records/"+slices.DeleteFunc(slices.Clone(fr), func(s string) bool { return s == want })[0])
		if resp.StatusCode != http.StatusOK || first < 0 || second < 0 || first > second {
			t.Errorf("the %s page: status %d, %s at %d, the other at %d", lang, resp.StatusCode, want, first, second)
		}
	}
}
