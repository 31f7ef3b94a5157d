package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/pgtest"
)

// TestSearchSameOnBothStores imports the same records into a SQLite and a
// PostgreSQL store and checks that searches find the same records in the
// same order with the same facets: words, prefixes, typos, stems, several
// words, accents, filters and each sort, after edits and deletions too.
func TestSearchSameOnBothStores(t *testing.T) {
	pgtest.Require(t)
	ctx := context.Background()
	lite := mustOpenPath(t, filepath.Join(t.TempDir(), "commons.db"), nil)
	pg, err := Open(ctx, Options{Driver: DriverPostgres, URL: pgtest.URL(t), BaseURL: testBase})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	g := newGen(47)
	rs := g.records(2000)
	for _, db := range []*DB{lite, pg} {
		if _, err := db.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{"Etat civil", "état", "ÉTAT", "adresse", "adres", "open data", "l'encyclopédie"}
	for i := range 40 {
		w := g.vocab[i*7]
		queries = append(queries, w, w[:max(1, len(w)/2)], w+"s", g.vocab[i]+" "+g.vocab[i+1])
		if len(w) > 4 {
			queries = append(queries, w[:2]+w[3:4]+w[2:3]+w[4:]) // a typo
		}
	}
	check := func(stage string) {
		t.Helper()
		for _, q := range queries {
			for _, f := range []commons.RecordFilter{
				{Query: q, WithFacets: true, Limit: 50},
				{Query: q, Sort: commons.SortName, Limit: 20},
				{Query: q, Filters: map[string][]string{"kind": {"software"}}, WithFacets: true, Limit: 20},
			} {
				t.Run(fmt.Sprintf("%s/%s", stage, q), func(t *testing.T) { sameSearch(t, lite, pg, f) })
			}
		}
		sameSearch(t, lite, pg, commons.RecordFilter{WithFacets: true, Sort: commons.SortUpdated, Limit: 50})
	}
	check("imported")
	for i := range 30 {
		r := rs[i*11]
		for _, db := range []*DB{lite, pg} {
			var err error
			if i%2 == 0 {
				c := *r
				c.Keywords = append(append([]string(nil), r.Keywords...), g.vocab[i])
				err = db.UpdateRecord(ctx, &c, 0, "editor")
			} else {
				err = db.DeleteRecord(ctx, r.Slug, 0, "editor")
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	check("edited")
}
