package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// eventually polls cond until it holds or the deadline passes. It never
// sleeps: conditions here are cheap reads.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		runtime.Gosched()
	}
}

// sameSearch fails the test unless two databases answer a search alike.
func sameSearch(t *testing.T, a, b *DB, f commons.RecordFilter) {
	t.Helper()
	pa, err := a.SearchRecords(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.SearchRecords(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if pa.Total != pb.Total || !reflect.DeepEqual(slugs(pa), slugs(pb)) || !reflect.DeepEqual(pa.Facets, pb.Facets) {
		t.Fatalf("search %+v differs:\n%d %v\n%d %v", f, pa.Total, slugs(pa), pb.Total, slugs(pb))
	}
}

// TestSQLiteInterruptRecovery cancels searches, reads, exports and imports in
// the middle, from many goroutines at once, and then checks that both
// connection pools still answer correctly: a connection interrupted by a
// cancelled context must be discarded or reset, never handed out broken.
func TestSQLiteInterruptRecovery(t *testing.T) {
	ctx := context.Background()
	n := 20_000
	if raceEnabled || testing.Short() {
		n = 3_000
	}
	db := MustOpen(t)
	rs := newGen(21).records(n)
	if _, err := db.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	g := newGen(21)
	queries := []commons.RecordFilter{
		{Query: g.vocab[0], WithFacets: true},
		{Query: g.vocab[1] + " " + g.vocab[2], WithFacets: true, Sort: commons.SortName},
		{Query: g.vocab[5][:3], WithFacets: true, Filters: map[string][]string{commons.FacetKind: {"software"}}},
		{WithFacets: true, Sort: commons.SortUpdated},
	}
	want := make([]*commons.RecordPage, len(queries))
	for i, q := range queries {
		want[i] = mustSearch(t, db, q)
	}

	// Contexts end after 0.3 to 6 ms: searches and FTS5 scans here take 3 to
	// 10 ms, so many are interrupted inside SQLite, not before they start.
	var interrupted, inSQLite, completed atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range 50 {
				cctx, cancel := context.WithTimeout(ctx, time.Duration(300+rnd.IntN(5700))*time.Microsecond)
				var err error
				switch i % 5 {
				case 0, 1:
					db.terms.reset() // make the search read FTS5 again
					_, err = db.SearchRecords(cctx, queries[rnd.IntN(len(queries))])
				case 2:
					// A raw scan on a connection held beforehand: no wait for
					// the pool, so a context error here is an interrupt
					// inside SQLite, and the connection then goes back to
					// the pool.
					var conn *sql.Conn
					if conn, err = db.r.Conn(ctx); err != nil {
						break
					}
					var list *string
					err = conn.QueryRowContext(cctx, `SELECT group_concat(rowid) FROM records_desc WHERE records_desc MATCH ?`,
						ftsPattern(g.vocab[rnd.IntN(3)])).Scan(&list)
					if errors.Is(err, context.DeadlineExceeded) {
						inSQLite.Add(1)
					}
					conn.Close()
				case 3:
					err = db.ExportRecords(cctx, true, func(*commons.Record) error { return nil })
				case 4:
					more := newGen(uint64(100 + w*50 + i)).records(300)
					for j, r := range more {
						r.Slug = fmt.Sprintf("tmp-%d-%d-%d", w, i, j)
					}
					_, err = db.ImportRecords(cctx, more, ImportOptions{})
				}
				cancel()
				switch {
				case err == nil:
					completed.Add(1)
				case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
					interrupted.Add(1)
				default:
					t.Errorf("worker %d call %d: %v (want success or a context error)", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d calls interrupted (%d scans inside SQLite), %d completed", interrupted.Load(), inSQLite.Load(), completed.Load())
	if inSQLite.Load() == 0 {
		t.Fatal("no scan was interrupted inside SQLite: the test proves nothing")
	}

	// Every pooled connection must now answer, and answer right.
	var checks sync.WaitGroup
	for w := range 2 * db.r.Stats().MaxOpenConnections {
		checks.Go(func() {
			for i, q := range queries {
				if w%2 == 0 {
					db.terms.reset()
				}
				p, err := db.SearchRecords(ctx, q)
				if err != nil {
					t.Errorf("search after interrupts: %v", err)
					return
				}
				// Imports that completed added records: compare only what
				// they cannot change.
				if q.Query != "" && (p.Total < want[i].Total) {
					t.Errorf("search %d: total %d after interrupts, %d before", i, p.Total, want[i].Total)
				}
			}
			r, err := db.Record(ctx, rs[w%len(rs)].Slug)
			if err != nil || r.Slug != rs[w%len(rs)].Slug {
				t.Errorf("Record after interrupts = %v, %v", r, err)
			}
			var only int
			if err := db.r.QueryRowContext(ctx, `PRAGMA query_only`).Scan(&only); err != nil || only != 1 {
				t.Errorf("reader connection: query_only = %d, %v", only, err)
			}
		})
	}
	checks.Wait()
	if err := db.CreateRecord(ctx, newRecord("after-the-storm", "After"), "test"); err != nil {
		t.Fatalf("write after interrupts: %v", err)
	}
	// A fresh handle on the same file, with empty caches, must agree with
	// this one on everything.
	fresh := mustOpenPath(t, db.path, nil)
	for _, q := range queries {
		sameSearch(t, db, fresh, q)
	}
	local, _, err := db.CountRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := mustSearch(t, db, commons.RecordFilter{}); p.Total != local {
		t.Fatalf("search total %d, CountRecords %d", p.Total, local)
	}
}

// TestConcurrentReadersAndWriter runs readers and a writer at once (run it
// with -race) and checks the result against a fresh handle.
func TestConcurrentReadersAndWriter(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		rs := newGen(31).records(1500)
		if _, err := db.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		g := newGen(31)
		stop := make(chan struct{})
		var readers sync.WaitGroup
		for w := range 4 {
			readers.Go(func() {
				rnd := rand.New(rand.NewPCG(uint64(w), 2))
				for {
					select {
					case <-stop:
						return
					default:
					}
					var err error
					switch rnd.IntN(3) {
					case 0:
						_, err = db.SearchRecords(ctx, commons.RecordFilter{Query: g.vocab[rnd.IntN(30)], WithFacets: true, Limit: 5})
					case 1:
						_, err = db.Record(ctx, rs[rnd.IntN(len(rs))].Slug)
						if commons.ErrorCode(err) == commons.EGONE {
							err = nil
						}
					case 2:
						_, err = db.SearchRecords(ctx, commons.RecordFilter{Sort: commons.SortUpdated, Limit: 3})
					}
					if err != nil {
						t.Errorf("reader: %v", err)
						return
					}
				}
			})
		}
		for i := range 60 {
			r := rs[i*7]
			var err error
			switch i % 3 {
			case 0:
				r.Keywords = append(r.Keywords, g.vocab[i%20])
				err = db.UpdateRecord(ctx, r, 0, "writer")
			case 1:
				err = db.DeleteRecord(ctx, r.Slug, 0, "writer")
			case 2:
				err = db.CreateRecord(ctx, newRecord(fmt.Sprintf("new-%d", i), g.vocab[i]+" new"), "writer")
			}
			if err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		close(stop)
		readers.Wait()
		fresh := mustOpenPath(t, db.path, nil)
		for i := range 30 {
			sameSearch(t, db, fresh, commons.RecordFilter{Query: g.vocab[i], WithFacets: true, Limit: 50})
		}
		sameSearch(t, db, fresh, commons.RecordFilter{WithFacets: true, Sort: commons.SortUpdated, Limit: 50})
	})
}

// TestOtherProcessWrites opens the same file twice, as the server and the
// CLI would, and checks that writes through one reach the caches, index and
// match sets of the other within syncInterval.
func TestOtherProcessWrites(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "shared.db")
		server := mustOpenPath(t, path, nil)
		cli := mustOpenPath(t, path, nil)

		// Enough records sharing a word that its match set is cached.
		rs := newGen(41).records(minCachedSet + 300)
		for _, r := range rs {
			r.Keywords = append(r.Keywords, "sharedword")
		}
		if _, err := server.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		word := commons.RecordFilter{Query: "sharedword", WithFacets: true}
		before := mustSearch(t, server, word)
		if before.Total != len(rs) {
			t.Fatalf("total = %d, want %d", before.Total, len(rs))
		}
		key := termKey{tierMeta, surfacePattern("sharedword")}
		if e, _, ok := server.terms.lookup(key); !ok || e.set.n != len(rs) {
			t.Fatal("the match set of a common word is not cached: the test would not test patching")
		}
		if _, err := server.Record(ctx, rs[0].Slug); err != nil { // cached now
			t.Fatal(err)
		}

		changed := rs[0]
		changed.Name = commons.Text{"en": "Renamed by the CLI"}
		if err := cli.UpdateRecord(ctx, changed, 0, "cli"); err != nil {
			t.Fatal(err)
		}
		if err := cli.DeleteRecord(ctx, rs[1].Slug, 0, "cli"); err != nil {
			t.Fatal(err)
		}
		plain := rs[2]
		plain.Keywords = []string{"other"}
		if err := cli.UpdateRecord(ctx, plain, 0, "cli"); err != nil {
			t.Fatal(err)
		}
		added := newRecord("added-by-cli", "Added")
		added.Keywords = []string{"sharedword"}
		if err := cli.CreateRecord(ctx, added, "cli"); err != nil {
			t.Fatal(err)
		}

		eventually(t, time.Minute, "the server sees the CLI's update", func() bool {
			r, err := server.Record(ctx, changed.Slug)
			return err == nil && r.Name["en"] == "Renamed by the CLI"
		})
		if _, err := server.Record(ctx, rs[1].Slug); commons.ErrorCode(err) != commons.EGONE {
			t.Errorf("deleted by the CLI: %v", err)
		}
		after := mustSearch(t, server, word)
		if after.Total != len(rs)-1 { // one deleted, one without the word, one added
			t.Errorf("total after the CLI's writes = %d, want %d", after.Total, len(rs)-1)
		}
		if e, _, ok := server.terms.lookup(key); !ok || e.seq != server.sync.seq.Load() {
			t.Errorf("the cached match set was dropped or not patched (ok %v)", ok)
		}
		sameSearch(t, server, mustOpenPath(t, path, nil), word)

		// A large import by the CLI replaces patching by dropping the sets.
		more := newGen(43).records(maxChangeLog)
		for _, r := range more {
			r.Slug = "bulk-" + r.Slug
			r.Keywords = []string{"sharedword"}
		}
		if _, err := cli.ImportRecords(ctx, more, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "the server sees the CLI's import", func() bool {
			p, err := server.SearchRecords(ctx, word)
			return err == nil && p.Total == len(rs)-1+len(more)
		})
		sameSearch(t, server, mustOpenPath(t, path, nil), word)
	})
}
