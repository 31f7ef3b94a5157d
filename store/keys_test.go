package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// TestSQLiteLinkExistingOnUpgrade: a database made before record_keys existed
// (schema 2) gets the keys of its records when it is opened by this
// version, so "also listed by" works for them at once.
func TestSQLiteLinkExistingOnUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db := mustOpenPath(t, path, time.Now)
	r := newRecord("osm", "OpenStreetMap")
	r.Identifiers = []commons.Identifier{{Scheme: "wikidata", Value: "Q936"}}
	if err := db.CreateRecord(ctx, r, "t"); err != nil {
		t.Fatal(err)
	}
	putRemote(t, db, func() *commons.Record {
		o := newRecord("openstreetmap", "OpenStreetMap")
		o.Identifiers = []commons.Identifier{{Scheme: "wikidata", Value: "Q936"}}
		return o
	}(), "https://b.example", time.Now())
	user := newRecord("map-app", "Map app")
	user.Relations = []commons.Relation{{Type: "depends-on", Target: "https://www.wikidata.org/wiki/Q936"}}
	if err := db.CreateRecord(ctx, user, "t"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Take the database back to schema 2: what migrations 3 and later made
	// goes, so they apply again on the next open.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TABLE copy_social`, `DROP TABLE relation_keys`, `DROP TABLE harvests`,
		`DROP TABLE record_documents`, `DROP TABLE sessions`, `DROP TABLE login_failures`,
		`DROP TABLE record_keys`, `DROP TABLE peers`, `ALTER TABLE records DROP COLUMN purged_at`,
		`DROP TABLE search_terms`, `ALTER TABLE records DROP COLUMN name_keys`, `ALTER TABLE records DROP COLUMN text_langs`,
		`DELETE FROM schema_migrations WHERE version >= 3`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db = mustOpenPath(t, path, time.Now)
	if v, err := db.SchemaVersion(ctx); err != nil || v < keysMigration {
		t.Fatalf("schema version %d, %v", v, err)
	}
	got, err := db.AlsoListed(ctx, testBase+"/records/osm")
	if err != nil || len(got) != 1 || got[0].Origin != "https://b.example" || got[0].Key != "wikidata:Q936" {
		t.Fatalf("after the upgrade, osm is also listed by %+v, %v", got, err)
	}
	rev, err := db.ReverseRelations(ctx, testBase+"/records/osm")
	if err != nil || len(rev) != 1 || rev[0].Slug != "map-app" || rev[0].Type != "depends-on" {
		t.Fatalf("after the upgrade, osm is named by %+v, %v", rev, err)
	}
}
