package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// TestSQLiteReindexTextOnUpgrade checks that a database whose full-text tables
// a migration emptied (0006 changes what they hold) is indexed again when
// it opens: stems, the vocabulary and the name keys are back.
func TestSQLiteReindexTextOnUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db := mustOpenPath(t, path, time.Now)
	osm := newRecord("osm", "OpenStreetMap")
	osm.Keywords = []string{"cartes"}
	gone := newRecord("gone", "Gone Mapping")
	if _, err := db.ImportRecords(ctx, []*commons.Record{osm, gone, newRecord("other", "Other")}, ImportOptions{Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRecord(ctx, "gone", 0, "t"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// What migration 0006 leaves: empty tables, and the request.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DELETE FROM records_name`, `DELETE FROM records_meta`, `DELETE FROM records_desc`,
		`DELETE FROM search_terms`, `UPDATE records SET name_keys = '', text_langs = ''`,
		`INSERT INTO meta (key, value) VALUES ('reindex_text', 1) ON CONFLICT (key) DO NOTHING`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db = mustOpenPath(t, path, time.Now)
	for q, want := range map[string][]string{
		"carte":         {"osm"}, // a stem
		"opnstreetmap":  {"osm"}, // the vocabulary
		"map":           {"osm"}, // a camel-case part; the deleted record stays out
		"openstreetmap": {"osm"},
		"other":         {"other"},
	} {
		if got := slugs(mustSearch(t, db, commons.RecordFilter{Query: q})); !slices.Equal(got, want) {
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
}
