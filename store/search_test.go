package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// slugs returns the slugs of a page's records.
func slugs(p *commons.RecordPage) []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, r.Slug)
	}
	return out
}

func mustSearch(t *testing.T, db *DB, f commons.RecordFilter) *commons.RecordPage {
	t.Helper()
	p, err := db.SearchRecords(context.Background(), f)
	if err != nil {
		t.Fatalf("search %+v: %v", f, err)
	}
	return p
}

func TestSearchText(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		recs := []*commons.Record{
			newRecord("ban", "Base Adresse Nationale"),
			newRecord("etat-civil", "État civil"),
			newRecord("panoramax", "Panoramax"),
			newRecord("imagery", "Street imagery"),
			newRecord("notes", "Field notes"),
			newRecord("osm", "OpenStreetMap"),
		}
		recs[0].Summary = commons.Text{"fr": "La base nationale des adresses", "en": "The national address database"}
		recs[3].Summary = commons.Text{"en": "Photos for panoramax and others"}
		recs[4].Description = commons.Text{"de": "Über panoramax, eine freie Straßenbild-Plattform."}
		recs[5].Keywords = []string{"carte", "géographie"}
		if _, err := db.ImportRecords(ctx, recs, ImportOptions{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			query string
			want  []string // in relevance order when ordered is true
			order bool
			// searched is the query the results answer, when not the typed one
			searched string
		}{
			{"Etat", []string{"etat-civil"}, false, ""},
			{"ÉTAT", []string{"etat-civil"}, false, ""},
			{"etat civil", []string{"etat-civil"}, false, ""},
			{"adresse", []string{"ban"}, false, ""},
			{"adres", []string{"ban"}, false, ""},
			{"base nationale", []string{"ban"}, false, ""},
			{"Base   Adresse, Nationale!", []string{"ban"}, false, ""},
			{"base panoramax", []string{"ban"}, false, "base"}, // no dead end: the last word goes
			{"geographie", []string{"osm"}, false, ""},
			{"strassenbild", []string{"notes"}, false, ""}, // the German stemmer writes ß as ss
			{"straßenbild", []string{"notes"}, false, ""},
			{"uber", []string{"notes"}, false, ""},
			{"panoramax", []string{"panoramax", "imagery", "notes"}, true, ""},
			{"ban", []string{"ban"}, false, ""}, // the slug is indexed
			{"", []string{"ban", "etat-civil", "notes", "osm", "panoramax", "imagery"}, true, ""},
		} {
			t.Run(tc.query, func(t *testing.T) {
				p := mustSearch(t, db, commons.RecordFilter{Query: tc.query})
				got := slugs(p)
				if !tc.order {
					sort.Strings(got)
				}
				if !slices.Equal(got, tc.want) || p.Total != len(tc.want) {
					t.Fatalf("search %q = %v (total %d), want %v", tc.query, got, p.Total, tc.want)
				}
				if p.SearchedFor != tc.searched {
					t.Fatalf("search %q searched for %q, want %q", tc.query, p.SearchedFor, tc.searched)
				}
			})
		}
		t.Run("SyntaxNeverErrs", func(t *testing.T) {
			for _, q := range []string{`"`, `*`, `AND`, `OR NOT`, `(`, `name:base`, `-base`, `NEAR(base adresse)`,
				`'`, `\`, `^base`, `base*`, `"base" AND "`, `{name}: x`, `¿¡`, `🙂`, `a`, strings.Repeat("x ", 100)} {
				if _, err := db.SearchRecords(ctx, commons.RecordFilter{Query: q, WithFacets: true}); err != nil {
					t.Errorf("search %q: %v", q, err)
				}
			}
		})
	})
}

func TestSearchValidation(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		other := encodeCursor(orderName, 12345, &sortKey{pk: 3, name: "x"})
		for _, tc := range []struct {
			name  string
			f     commons.RecordFilter
			field string
		}{
			{"LimitNegative", commons.RecordFilter{Limit: -1}, "limit"},
			{"LimitTooLarge", commons.RecordFilter{Limit: commons.MaxLimit + 1}, "limit"},
			{"Sort", commons.RecordFilter{Sort: "random"}, "sort"},
			{"Facet", commons.RecordFilter{Filters: map[string][]string{"colour": {"blue"}}}, "filters.colour"},
			{"CursorGarbage", commons.RecordFilter{Cursor: "not a cursor"}, "cursor"},
			{"CursorTampered", commons.RecordFilter{Cursor: other[:len(other)-2] + "AA"}, "cursor"},
			{"CursorOtherSearch", commons.RecordFilter{Cursor: other}, "cursor"},
			{"CursorOtherSort", commons.RecordFilter{Cursor: encodeCursor(orderUpdated, 0, &sortKey{pk: 1}), Sort: commons.SortName}, "cursor"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := db.SearchRecords(ctx, tc.f)
				wantCode(t, err, commons.EINVALID)
				if f := commons.ErrorFields(err); len(f) != 1 || f[0].Field != tc.field {
					t.Fatalf("fields = %v, want %s", f, tc.field)
				}
			})
		}
		if p := mustSearch(t, db, commons.RecordFilter{Limit: commons.MaxLimit}); p.Total != 0 || p.Records == nil || p.Next != "" {
			t.Fatalf("empty directory page = %+v", p)
		}
	})
}

// fixture fills a directory with generated records, a few remote copies and
// a few deleted records, and returns it with the live records by slug
// (remote ones by ID).
func fixture(t *testing.T, n int) (*DB, map[string]*commons.Record) {
	t.Helper()
	ctx := context.Background()
	clock := &stepClock{}
	db := mustOpenPath(t, t.TempDir()+"/s.db", clock.now)
	g := newGen(7)
	rs := g.records(n)
	if _, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	live := map[string]*commons.Record{}
	for _, r := range rs {
		live[r.ID] = r
	}
	for i := range n / 10 {
		r := g.record(n + i)
		putRemote(t, db, r, []string{"https://peer.example", "https://autre.example.fr:8443"}[i%2], clock.now())
		live[r.ID] = r
	}
	for i := 0; i < n; i += 37 {
		if err := db.DeleteRecord(ctx, rs[i].Slug, 0, "test"); err != nil {
			t.Fatal(err)
		}
		delete(live, rs[i].ID)
	}
	for i := 5; i < n; i += 41 { // some updates, so that update order differs from pk order
		r := rs[i]
		if live[r.ID] == nil {
			continue
		}
		r.Keywords = append(r.Keywords, "updated")
		if err := db.UpdateRecord(ctx, r, 0, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return db, live
}

// walk returns every record a search yields, following the cursors, and
// fails the test if a record appears twice or the totals disagree.
func walk(t *testing.T, db *DB, f commons.RecordFilter) []*commons.Record {
	t.Helper()
	var all []*commons.Record
	seen := map[string]bool{}
	total := -1
	for pages := 0; ; pages++ {
		p := mustSearch(t, db, f)
		if total >= 0 && p.Total != total {
			t.Fatalf("total moved from %d to %d between pages", total, p.Total)
		}
		total = p.Total
		for _, r := range p.Records {
			if seen[r.ID] {
				t.Fatalf("%s appears twice (page %d)", r.ID, pages)
			}
			seen[r.ID] = true
		}
		all = append(all, p.Records...)
		if p.Next == "" {
			break
		}
		if len(p.Records) != f.Limit {
			t.Fatalf("page %d has %d records and a next cursor", pages, len(p.Records))
		}
		f.Cursor = p.Next
	}
	if len(all) != total {
		t.Fatalf("walked %d records, total says %d", len(all), total)
	}
	return all
}

func TestSearchPaginationAndFacets(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		db, live := fixture(t, 400)
		g := newGen(7)
		queries := []string{"", g.vocab[0], g.vocab[3] + " " + g.vocab[9], g.vocab[40][:3], g.vocab[700]}
		filters := []map[string][]string{
			nil,
			{commons.FacetKind: {"software", "data"}},
			{commons.FacetKind: {"software"}, commons.FacetCountry: {"FR", "DE"}, commons.FacetLicence: {"MIT"}},
			{commons.FacetOrigin: {"peer.example"}, commons.FacetStatus: {"stable", "beta"}},
			{commons.FacetLanguage: {"en"}, commons.FacetLicence: {"Apache-2.0", "no-such-licence"}},
		}
		since := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		for qi, q := range queries {
			// The records the query matches, every sort, without filters.
			base := walk(t, db, commons.RecordFilter{Query: q, IncludeRemote: true, Limit: 100})
			for fi, flt := range filters {
				for _, remote := range []bool{true, false} {
					name := fmt.Sprintf("q%d/f%d/remote=%v", qi, fi, remote)
					t.Run(name, func(t *testing.T) {
						t.Parallel() // read-only
						f := commons.RecordFilter{Query: q, Filters: flt, IncludeRemote: remote, WithFacets: true, Limit: 13}
						if fi == 4 {
							f.ModifiedSince = since.Add(10 * time.Second)
						}
						wantTotal, wantFacets := bruteForce(base, f)
						p := mustSearch(t, db, f)
						if p.Total != wantTotal {
							t.Fatalf("total = %d, want %d", p.Total, wantTotal)
						}
						if !reflect.DeepEqual(p.Facets, wantFacets) {
							t.Fatalf("facets =\n%v\nwant\n%v", p.Facets, wantFacets)
						}
						for _, s := range []string{commons.SortName, commons.SortUpdated, commons.SortRelevance} {
							f.Sort, f.WithFacets = s, false
							got := walk(t, db, f)
							if len(got) != wantTotal {
								t.Fatalf("sort %s walked %d, want %d", s, len(got), wantTotal)
							}
							checkOrder(t, s, q, got)
						}
					})
				}
			}
		}
		if len(base(db, t)) != len(live) {
			t.Fatalf("the directory lists %d records, want %d live ones", len(base(db, t)), len(live))
		}
	})
}

func base(db *DB, t *testing.T) []*commons.Record {
	return walk(t, db, commons.RecordFilter{IncludeRemote: true, Limit: 100})
}

// bruteForce computes a search's total and multi-select facet counts from
// the records its query matches.
func bruteForce(matches []*commons.Record, f commons.RecordFilter) (int, map[string][]commons.FacetCount) {
	counts := map[string]map[string]int{}
	total := 0
	for _, r := range matches {
		if !f.IncludeRemote && r.Provenance.Origin != testBase {
			continue
		}
		if !f.ModifiedSince.IsZero() && !r.Provenance.Updated.After(f.ModifiedSince) {
			continue
		}
		vals := facetValues(r)
		failing := []string{}
		for facet, accepted := range f.Filters {
			i := slices.Index(commons.Facets, facet)
			if !slices.ContainsFunc(vals[i], func(v string) bool { return slices.Contains(accepted, v) }) {
				failing = append(failing, facet)
			}
		}
		if len(failing) == 0 {
			total++
		}
		for i, facet := range commons.Facets {
			if len(failing) == 0 || (len(failing) == 1 && failing[0] == facet) {
				for _, v := range vals[i] {
					if counts[facet] == nil {
						counts[facet] = map[string]int{}
					}
					counts[facet][v]++
				}
			}
		}
	}
	out := map[string][]commons.FacetCount{}
	for _, facet := range commons.Facets {
		fc := []commons.FacetCount{}
		for v, c := range counts[facet] {
			fc = append(fc, commons.FacetCount{Value: v, Count: c})
		}
		for _, v := range f.Filters[facet] {
			if counts[facet][v] == 0 {
				fc = append(fc, commons.FacetCount{Value: v})
			}
		}
		sort.Slice(fc, func(i, j int) bool {
			if fc[i].Count != fc[j].Count {
				return fc[i].Count > fc[j].Count
			}
			return fc[i].Value < fc[j].Value
		})
		out[facet] = fc
	}
	return total, out
}

// checkOrder fails the test unless the records are in the sort's order.
func checkOrder(t *testing.T, sortBy, query string, rs []*commons.Record) {
	t.Helper()
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		switch {
		case sortBy == commons.SortName || (sortBy == commons.SortRelevance && query == ""):
			if foldKey(a.Name.String()) > foldKey(b.Name.String()) {
				t.Fatalf("name order: %q before %q", a.Name.String(), b.Name.String())
			}
		case sortBy == commons.SortUpdated:
			if a.Provenance.Updated.Before(b.Provenance.Updated) {
				t.Fatalf("updated order: %v before %v", a.Provenance.Updated, b.Provenance.Updated)
			}
		}
	}
}

func TestSearchRanking(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		inName := newRecord("a-name", "Zyxwv Project")
		inKeywords := newRecord("b-keywords", "Second")
		inKeywords.Keywords = []string{"zyxwv"}
		inSummary := newRecord("c-summary", "Third")
		inSummary.Summary = commons.Text{"en": "About zyxwv things"}
		inDescription := newRecord("d-description", "Fourth")
		inDescription.Description = commons.Text{"en": "Some long text that mentions zyxwv once among many other words."}
		twice := newRecord("e-twice", "Zyxwv Zyxwv Other Longer Name Words")
		twice.Summary = commons.Text{"en": "zyxwv summary"}
		recs := []*commons.Record{inDescription, inSummary, inKeywords, inName, twice}
		if _, err := db.ImportRecords(ctx, recs, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		got := slugs(mustSearch(t, db, commons.RecordFilter{Query: "zyxw"}))
		// Name matches first, then keyword and summary matches (one tier), then
		// description matches.
		tiers := [][]string{{"a-name", "e-twice"}, {"b-keywords", "c-summary"}, {"d-description"}}
		if len(got) != 5 {
			t.Fatalf("ranking = %v, want 5 records", got)
		}
		for i, tier := range tiers {
			n := len(tier)
			part := slices.Clone(got[:n])
			got = got[n:]
			slices.Sort(part)
			if !slices.Equal(part, tier) {
				t.Fatalf("rank group %d = %v, want %v", i, part, tier)
			}
		}
	})
}

// TestSearchSeesOwnWrites checks that a write is visible to the next search
// at once, with the index and match sets already built.
func TestSearchSeesOwnWrites(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		q := commons.RecordFilter{Query: "lighthouse", WithFacets: true}
		if p := mustSearch(t, db, q); p.Total != 0 {
			t.Fatalf("empty directory: total %d", p.Total)
		}
		r := newRecord("beacon", "Lighthouse registry")
		if err := db.CreateRecord(ctx, r, "t"); err != nil {
			t.Fatal(err)
		}
		p := mustSearch(t, db, q)
		if p.Total != 1 || p.Facets[commons.FacetKind][0] != (commons.FacetCount{Value: "software", Count: 1}) {
			t.Fatalf("after create: %d %v", p.Total, p.Facets)
		}
		r.Name = commons.Text{"en": "Beacon registry"}
		r.Summary = commons.Text{"en": "Where the beacons are"}
		r.Description = nil
		r.Kinds = []string{"data"}
		if err := db.UpdateRecord(ctx, r, 0, "t"); err != nil {
			t.Fatal(err)
		}
		if p := mustSearch(t, db, q); p.Total != 0 {
			t.Fatalf("after renaming: total %d", p.Total)
		}
		p = mustSearch(t, db, commons.RecordFilter{Query: "beacon", WithFacets: true})
		if p.Total != 1 || p.Facets[commons.FacetKind][0].Value != "data" || p.Records[0].Provenance.Version != 2 {
			t.Fatalf("after update: %d %v %+v", p.Total, p.Facets, p.Records)
		}
		if err := db.DeleteRecord(ctx, "beacon", 0, "t"); err != nil {
			t.Fatal(err)
		}
		if p := mustSearch(t, db, commons.RecordFilter{Query: "beacon", WithFacets: true}); p.Total != 0 || len(p.Facets[commons.FacetKind]) != 0 {
			t.Fatalf("after delete: %d %v", p.Total, p.Facets)
		}
	})
}

// TestSearchUpdatedTies checks that, sorted by update, records changed in
// the same millisecond come last written first, on every page: the clock
// here never moves, so every write ties.
func TestSearchUpdatedTies(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		db := mustOpenPath(t, filepath.Join(t.TempDir(), "commons.db"), func() time.Time { return at })
		for _, slug := range []string{"a", "b", "c"} {
			if err := db.CreateRecord(ctx, newRecord(slug, "Record "+slug), "ed"); err != nil {
				t.Fatal(err)
			}
		}
		a, err := db.Record(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		a.Keywords = []string{"changed"}
		if err := db.UpdateRecord(ctx, a, a.Provenance.Version, "ed"); err != nil {
			t.Fatal(err)
		}
		want := []string{"a", "c", "b"} // a changed last, then c, b created in that order
		var got []string
		f := commons.RecordFilter{Sort: commons.SortUpdated, Limit: 1}
		for range 4 {
			page, err := db.SearchRecords(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				got = append(got, r.Slug)
			}
			if page.Next == "" {
				break
			}
			f.Cursor = page.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("order %v, want %v", got, want)
		}
	})
}

// TestSearchReaderLanguage checks that a match through the reader's
// language counts more: "cartes" finds both a French record that says
// "carte" and an English one that says "carts" through their stems, and
// the reader's language decides which comes first.
func TestSearchReaderLanguage(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		fr := newRecord("atlas-rouge", "Atlas rouge")
		fr.Name = commons.Text{"fr": "Atlas rouge"}
		fr.Summary = commons.Text{"fr": "Carte du quartier"}
		fr.Description = commons.Text{"fr": "Des mots plus longs."}
		en := newRecord("atlas-grey", "Atlas grey")
		en.Summary = commons.Text{"en": "Carts of quarter"}
		en.Description = commons.Text{"en": "Some longer words."}
		if _, err := db.ImportRecords(ctx, []*commons.Record{fr, en}, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		for lang, want := range map[string][]string{
			"fr":    {"atlas-rouge", "atlas-grey"},
			"fr-BE": {"atlas-rouge", "atlas-grey"},
			"en":    {"atlas-grey", "atlas-rouge"},
		} {
			if got := slugs(mustSearch(t, db, commons.RecordFilter{Query: "cartes", Language: lang})); !slices.Equal(got, want) {
				t.Errorf("cartes in %s = %v, want %v", lang, got, want)
			}
		}
		// A word as typed also counts more in a record written in the
		// reader's language.
		for lang, want := range map[string]string{"fr": "atlas-rouge", "en": "atlas-grey"} {
			if got := slugs(mustSearch(t, db, commons.RecordFilter{Query: "atlas", Language: lang})); len(got) != 2 || got[0] != want {
				t.Errorf("atlas in %s = %v, want %s first", lang, got, want)
			}
		}
		// A cursor belongs to the language of its search.
		p := mustSearch(t, db, commons.RecordFilter{Query: "atlas", Language: "fr", Limit: 1})
		if _, err := db.SearchRecords(ctx, commons.RecordFilter{Query: "atlas", Language: "en", Limit: 1, Cursor: p.Next}); err == nil {
			t.Error("a French search's cursor was accepted by an English one")
		}
	})
}

// TestSearchProximity checks that of two records with both words of a
// query, the one that has them next to each other ranks first, though
// its text is longer; and that pages of such a search, one record at a
// time, give the order of one page.
func TestSearchProximity(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		apart := newRecord("apart", "Alpha")
		apart.Summary = commons.Text{"en": "River, open, good data"}
		together := newRecord("together", "Beta")
		together.Summary = commons.Text{"en": "Open river data for all towns"}
		var recs []*commons.Record
		for i := range 40 { // more records than proximityTop, to page through
			r := newRecord(fmt.Sprintf("other-%02d", i), fmt.Sprintf("Other %d", i))
			r.Description = commons.Text{"en": strings.Repeat("words ", i%7) + "data on a river"}
			recs = append(recs, r)
		}
		recs = append(recs, apart, together)
		if _, err := db.ImportRecords(ctx, recs, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		got := slugs(mustSearch(t, db, commons.RecordFilter{Query: "river data", Limit: 2}))
		if want := []string{"together", "apart"}; !slices.Equal(got, want) {
			t.Errorf("river data = %v, want %v", got, want)
		}
		// Reversed, the adjacent words still count, less.
		if got := slugs(mustSearch(t, db, commons.RecordFilter{Query: "data river", Limit: 1})); !slices.Equal(got, []string{"together"}) {
			t.Errorf("data river = %v, want together first", got)
		}
		one := mustSearch(t, db, commons.RecordFilter{Query: "river data", Limit: 100})
		paged := walk(t, db, commons.RecordFilter{Query: "river data", Limit: 3})
		var a, b []string
		for _, r := range one.Records {
			a = append(a, r.Slug)
		}
		for _, r := range paged {
			b = append(b, r.Slug)
		}
		if len(a) != 42 || !slices.Equal(a, b) {
			t.Errorf("one page: %v\npaged: %v", a, b)
		}
	})
}
