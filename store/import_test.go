package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

func TestImportRecords(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		clock := &stepClock{}
		db := mustOpenPath(t, t.TempDir()+"/i.db", clock.now)
		if err := db.CreateRecord(ctx, newRecord("kept", "Kept"), "alice"); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateRecord(ctx, newRecord("changed", "Changed"), "alice"); err != nil {
			t.Fatal(err)
		}
		created := func(slug string) commons.Provenance {
			r, err := db.Record(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			return r.Provenance
		}
		before := created("changed")

		t.Run("AllOrNothing", func(t *testing.T) {
			bad := newRecord("osm", "OpenStreetMap")
			bad.Licences = []commons.Licence{{Expression: "MIT AND"}}
			bad.Status = ""
			rs := []*commons.Record{newRecord("fresh", "Fresh"), newRecord("other", "Other"), newRecord("third", "Third"), bad}
			res, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "import"})
			wantCode(t, err, commons.EINVALID)
			if res != nil {
				t.Errorf("result %+v with an error", res)
			}
			if msg := commons.ErrorMessage(err); !strings.HasPrefix(msg, "record 3 (osm): ") {
				t.Errorf("message %q should start with the index and slug", msg)
			}
			fields := commons.ErrorFields(err)
			if len(fields) != 2 || fields[0].Field != "records[3].licences[0].expression" || fields[1].Field != "records[3].status" {
				t.Errorf("fields = %v", fields)
			}
			if _, err := db.Record(ctx, "fresh"); commons.ErrorCode(err) != commons.ENOTFOUND {
				t.Fatalf("a record of a refused import was stored: %v", err)
			}
			if rs[0].ID != "" {
				t.Errorf("a record of a refused import got an ID: %s", rs[0].ID)
			}
		})
		t.Run("Upsert", func(t *testing.T) {
			changed := newRecord("changed", "Changed")
			changed.Keywords = []string{"new"}
			changed.Provenance.Source = "publiccode"
			rs := []*commons.Record{newRecord("kept", "Kept"), changed, newRecord("new-one", "New one")}
			res, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "import"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Created != 1 || res.Updated != 1 || res.Unchanged != 1 || len(res.Rejected) != 0 {
				t.Fatalf("result = %+v", res)
			}
			p := created("changed")
			if p.Version != 2 || !p.Created.Equal(before.Created) || !p.Updated.After(before.Updated) || p.Source != "publiccode" {
				t.Errorf("updated provenance = %+v (was %+v)", p, before)
			}
			if n := created("new-one"); n.Source != "import" || n.Version != 1 {
				t.Errorf("created provenance = %+v", n)
			}
			if rs[0].Provenance.Version != 1 || rs[1].Provenance.Version != 2 || rs[2].ID != testBase+"/records/new-one" {
				t.Errorf("inputs not filled with the stored provenance: %+v %+v %s", rs[0].Provenance, rs[1].Provenance, rs[2].ID)
			}
			revs, err := db.RecordHistory(ctx, "changed")
			if err != nil || len(revs) != 2 || revs[0].Actor != "import" || revs[0].Action != "update" {
				t.Errorf("history = %+v, %v", revs, err)
			}
		})
		t.Run("SkipInvalid", func(t *testing.T) {
			if err := db.DeleteRecord(ctx, "kept", 0, "alice"); err != nil {
				t.Fatal(err)
			}
			bad := newRecord("Bad Slug", "Bad")
			rs := []*commons.Record{
				newRecord("good-1", "Good"), bad, newRecord("kept", "Kept again"),
				newRecord("good-2", "Good two"), newRecord("good-1", "Twice"), nil,
			}
			res, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "import", SkipInvalid: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Created != 2 || res.Updated != 0 || res.Unchanged != 0 {
				t.Errorf("counts = %+v", res)
			}
			want := []struct {
				index int
				code  string
			}{{1, commons.EINVALID}, {2, commons.ECONFLICT}, {4, commons.ECONFLICT}, {5, commons.EINVALID}}
			if len(res.Rejected) != len(want) {
				t.Fatalf("rejected = %+v", res.Rejected)
			}
			for i, w := range want {
				got := res.Rejected[i]
				if got.Index != w.index || commons.ErrorCode(got.Err) != w.code {
					t.Errorf("rejection %d = %d %v, want %d %s", i, got.Index, got.Err, w.index, w.code)
				}
			}
			if res.Rejected[0].Slug != "Bad Slug" || len(commons.ErrorFields(res.Rejected[0].Err)) == 0 {
				t.Errorf("invalid rejection = %+v", res.Rejected[0])
			}
			for _, slug := range []string{"good-1", "good-2"} {
				if _, err := db.Record(ctx, slug); err != nil {
					t.Errorf("%s: %v", slug, err)
				}
			}
		})
		t.Run("ConflictAborts", func(t *testing.T) {
			rs := []*commons.Record{newRecord("later", "Later"), newRecord("kept", "Kept again")}
			_, err := db.ImportRecords(ctx, rs, ImportOptions{})
			wantCode(t, err, commons.ECONFLICT)
			if !strings.HasPrefix(commons.ErrorMessage(err), "record 1 (kept): ") {
				t.Errorf("message %q", commons.ErrorMessage(err))
			}
			if _, err := db.Record(ctx, "later"); commons.ErrorCode(err) != commons.ENOTFOUND {
				t.Errorf("record before the conflict was kept: %v", err)
			}
		})
		t.Run("IDTaken", func(t *testing.T) {
			// A stored row holds the id the record would get, not its slug:
			// the insertion itself finds the conflict (in a batch on
			// PostgreSQL), and names the record.
			if _, err := db.w.ExecContext(ctx, `INSERT INTO records (id, slug, origin, local, doc, version, hash, created, updated,
				seq, sort_name, facets, len_name, len_meta, len_desc) VALUES (?, 'squatter', 'https://elsewhere.example', 0, '{}', 1, 'h', 0, 0, 0, '', '', 0, 0, 0)`,
				db.recordID("taken")); err != nil {
				t.Fatal(err)
			}
			rs := []*commons.Record{newRecord("before-taken", "Before"), newRecord("taken", "Taken"), newRecord("after-taken", "After")}
			_, err := db.ImportRecords(ctx, rs, ImportOptions{})
			wantCode(t, err, commons.ECONFLICT)
			if msg := commons.ErrorMessage(err); !strings.HasPrefix(msg, "record 1 (taken): ") || !strings.Contains(msg, db.recordID("taken")) {
				t.Errorf("message %q", msg)
			}
			if _, err := db.Record(ctx, "before-taken"); commons.ErrorCode(err) != commons.ENOTFOUND {
				t.Errorf("record before the conflict was kept: %v", err)
			}
			rs = []*commons.Record{newRecord("before-taken", "Before"), newRecord("taken", "Taken"), newRecord("after-taken", "After")}
			res, err := db.ImportRecords(ctx, rs, ImportOptions{SkipInvalid: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Created != 2 || len(res.Rejected) != 1 || res.Rejected[0].Index != 1 || res.Rejected[0].Slug != "taken" ||
				commons.ErrorCode(res.Rejected[0].Err) != commons.ECONFLICT {
				t.Fatalf("result %+v", res)
			}
			for _, slug := range []string{"before-taken", "after-taken"} {
				r, err := db.Record(ctx, slug)
				if err != nil {
					t.Fatalf("%s: %v", slug, err)
				}
				if hs, err := db.RecordHistory(ctx, slug); err != nil || len(hs) != 1 {
					t.Errorf("%s: history %v, %v", slug, hs, err)
				}
				if r.ID == "" {
					t.Errorf("%s: no id", slug)
				}
			}
			if _, err := db.Record(ctx, "taken"); commons.ErrorCode(err) != commons.ENOTFOUND {
				t.Errorf("the refused record was stored: %v", err)
			}
			if rs[1].ID != "" {
				t.Errorf("the refused record got the id %s", rs[1].ID)
			}
		})
		t.Run("Empty", func(t *testing.T) {
			res, err := db.ImportRecords(ctx, nil, ImportOptions{})
			if err != nil || res.Created+res.Updated+res.Unchanged+len(res.Rejected) != 0 {
				t.Fatalf("empty import = %+v, %v", res, err)
			}
		})
		t.Run("Large", func(t *testing.T) {
			// More records than one preparing chunk, some of them already stored.
			rs := newGen(11).records(3*importChunk + 5)
			if _, err := db.ImportRecords(ctx, rs[:70], ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			rs = newGen(11).records(3*importChunk + 5)
			rs[100].Keywords = append(rs[100].Keywords, "qqmarkerqq")
			res, err := db.ImportRecords(ctx, rs, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Unchanged != 70 || res.Created != len(rs)-70 || res.Updated != 0 {
				t.Fatalf("counts = %+v", res)
			}
			p := mustSearch(t, db, commons.RecordFilter{Query: "qqmarker"})
			if p.Total != 1 || p.Records[0].Slug != rs[100].Slug {
				t.Errorf("search for the new keyword = %v", slugs(p))
			}
		})
	})
}

// TestSQLiteBulkImportGrowsCache checks that a bulk import into a database larger
// than four times SQLite's default page cache gives the writer a cache of a
// quarter of the database, that a small write does not shrink it, and that
// it is given back once bulk writes stop.
func TestSQLiteBulkImportGrowsCache(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	cache := func() int {
		t.Helper()
		var kib int
		if err := db.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil {
			t.Fatal(err)
		}
		return -kib
	}
	g := newGen(12)
	if _, err := db.ImportRecords(ctx, g.records(3000), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := cache(); got != defaultCacheKiB {
		t.Fatalf("after an import into an empty database the cache is %d KiB, want the default %d", got, defaultCacheKiB)
	}
	var size int64
	if err := db.w.QueryRowContext(ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	if size/4/1024 <= defaultCacheKiB {
		t.Fatalf("the database is only %d bytes: the test measures nothing", size)
	}
	rs := g.records(bulkRecords)
	for _, r := range rs {
		r.Slug += "-second"
	}
	if _, err := db.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	grown := cache()
	if want := int(min(size/4/1024, maxBulkCacheKiB)); grown != want {
		t.Errorf("after a bulk import into %d bytes the cache is %d KiB, want %d", size, grown, want)
	}
	r := g.record(0)
	r.Slug = "one-more"
	if err := db.CreateRecord(ctx, r, "test"); err != nil {
		t.Fatal(err)
	}
	if got := cache(); got != grown {
		t.Errorf("a single write changed the cache from %d to %d KiB", grown, got)
	}
	// bulkCacheIdle after the last bulk write the cache goes back to the
	// default (the timer's work, done here at once).
	db.shrinker.mu.Lock()
	scheduled := db.shrinker.timer != nil
	db.shrinker.mu.Unlock()
	if !scheduled {
		t.Fatal("no shrink scheduled after the bulk import")
	}
	db.shrinkCache()
	if got := cache(); got != defaultCacheKiB || db.shrinker.shrunk.Load() != 1 {
		t.Errorf("after the idle time the cache is %d KiB (shrunk %d times), want %d", got, db.shrinker.shrunk.Load(), defaultCacheKiB)
	}
}

// TestImportFirstLoad: a bulk import into an empty directory (which on
// PostgreSQL builds the text indexes once, after the rows) and one into a
// directory with text (which keeps them) both leave every record found by
// its words, and the indexes as the migrations define them.
func TestImportFirstLoad(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		batch := func(from, n int, word string) []*commons.Record {
			rs := make([]*commons.Record, n)
			for i := range rs {
				rs[i] = newRecord(fmt.Sprintf("rec-%05d", from+i), fmt.Sprintf("Record %d %s", from+i, word))
			}
			return rs
		}
		found := func(q string) int {
			t.Helper()
			p, err := db.SearchRecords(ctx, commons.RecordFilter{Query: q, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			return p.Total
		}
		indexes := func() {
			t.Helper()
			if !onPostgres(t) {
				return
			}
			var n int
			if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'search_text%'
				AND (indexname LIKE 'search_text_%_pkey' OR indexname LIKE 'search_text_%_doc_idx')`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 2*nTiers {
				t.Errorf("the partitions of search_text have %d of their %d indexes", n, 2*nTiers)
			}
			// Searches read a text index's pending list through: the
			// store's connections keep it short, also after a bulk import.
			var limit string
			if err := db.r.QueryRowContext(ctx, `SHOW gin_pending_list_limit`).Scan(&limit); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("%dkB", textPendingKB); limit != want {
				t.Errorf("gin_pending_list_limit is %s, want %s", limit, want)
			}
		}
		if _, err := db.ImportRecords(ctx, batch(0, bulkRecords, "alphaword"), ImportOptions{Actor: "t"}); err != nil {
			t.Fatal(err)
		}
		indexes()
		if n := found("alphaword"); n != bulkRecords {
			t.Errorf("after the first load, alphaword finds %d, want %d", n, bulkRecords)
		}
		// A second bulk import: half of it changes records of the first.
		if _, err := db.ImportRecords(ctx, batch(bulkRecords/2, bulkRecords, "bravoword"), ImportOptions{Actor: "t"}); err != nil {
			t.Fatal(err)
		}
		indexes()
		if a, b := found("alphaword"), found("bravoword"); a != bulkRecords/2 || b != bulkRecords {
			t.Errorf("after the second import, alphaword finds %d (want %d), bravoword %d (want %d)", a, bulkRecords/2, b, bulkRecords)
		}
	})
}
