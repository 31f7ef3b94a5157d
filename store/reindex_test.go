package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// TestReindexTextOnUpgrade checks that a database whose full-text tables
// a migration emptied (0006 and 0013 change what they hold) is indexed
// again when it opens: stems, the vocabulary and the name keys are back.
func TestReindexTextOnUpgrade(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "old.db")
		db := mustOpenPath(t, path, time.Now)
		osm := newRecord("osm", "OpenStreetMap")
		osm.Keywords = []string{"cartes"}
		gone := newRecord("gone", "Gone Mapping")
		rs := []*commons.Record{osm, gone, newRecord("other", "Other")}
		for i := range reindexChunk + 10 { // more than one statement's worth on PostgreSQL
			rs = append(rs, newRecord(fmt.Sprintf("filler-%d", i), fmt.Sprintf("Filler %d", i)))
		}
		if _, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "t"}); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteRecord(ctx, "gone", 0, "t"); err != nil {
			t.Fatal(err)
		}

		// What such a migration leaves: empty tables, and the request.
		qs := []string{`DELETE FROM records_name`, `DELETE FROM records_meta`, `DELETE FROM records_desc`}
		if onPostgres(t) {
			qs = []string{`DELETE FROM search_text`}
		}
		for _, q := range append(qs, `DELETE FROM search_terms`, `UPDATE records SET name_keys = '', text_langs = ''`,
			`INSERT INTO meta (key, value) VALUES ('reindex_text', 1) ON CONFLICT (key) DO NOTHING`) {
			if _, err := db.w.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()

		db = mustOpenPath(t, path, time.Now)
		for q, want := range map[string][]string{
			"carte":         {"osm"}, // a stem
			"opnstreetmap":  {"osm"}, // the vocabulary
			"map":           {"osm"}, // a camel-case part; the deleted record stays out
			"openstreetmap": {"osm"},
			"other":         {"other"},
			"filler 1009":   {"filler-1009"}, // the last statement's
		} {
			if got := slugs(mustSearch(t, db, commons.RecordFilter{Query: q, Limit: 1})); !slices.Equal(got, want) {
				t.Errorf("after the upgrade, %q finds %v, want %v", q, got, want)
			}
		}
		var langs string
		if err := db.r.QueryRowContext(ctx, `SELECT text_langs FROM records WHERE slug = 'osm'`).Scan(&langs); err != nil || langs != "en" {
			t.Errorf("the languages of the texts after the upgrade: %q, %v; want en", langs, err)
		}
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key = 'reindex_text'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("the request to index again is still there: %d, %v", n, err)
		}
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM records WHERE name_keys = '' AND deleted_at IS NULL`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d records have no name keys after the upgrade (%v)", n, err)
		}
		if onPostgres(t) {
			if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'search_text_%'`).Scan(&n); err != nil || n != 2*nTiers {
				t.Errorf("the partitions of search_text have %d indexes after the upgrade (%v), want %d", n, err, 2*nTiers)
			}
		}
	})
}
