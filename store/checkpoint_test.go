package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBackgroundCheckpoint checks that, with SQLite's automatic checkpoint
// off on the writer, the checkpointer moves committed pages into the
// database file while the database stays open, and that the log then starts
// again from its beginning instead of growing with every write.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "commons.db")
	db := mustOpenPath(t, path, nil)
	size := func(p string) int64 {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// waitRuns waits, a bounded time, until the checkpointer has completed
	// two checkpoints more than n (asking for them as a write would): the
	// second one started after the caller read n.
	waitRuns := func(n int64) {
		t.Helper()
		for range 400 {
			db.ckpt.wake()
			if db.ckpt.runs.Load() > n+1 {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("no checkpoint after %d", n)
	}

	g := newGen(11)
	before := size(path)
	runs := db.ckpt.runs.Load()
	if _, err := db.ImportRecords(ctx, g.records(2000), ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	wal := size(path + "-wal")
	if wal < 1<<20 {
		t.Fatalf("the log holds %d bytes after importing 2,000 records: the test measures nothing", wal)
	}
	// The import's pages reach the database file without a close.
	waitRuns(runs)
	for range 200 {
		if size(path)-before > wal/2 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if grown := size(path) - before; grown <= wal/2 {
		t.Fatalf("the database file grew by %d bytes for a log of %d: the log was not checkpointed", grown, wal)
	}

	// Four more imports, each the size of the first, each followed by a
	// checkpoint: the log is reused from its start, so it stays about the
	// size of one import instead of reaching five.
	for i := range 4 {
		runs := db.ckpt.runs.Load()
		rs := g.records(2000)
		for _, r := range rs {
			r.Slug += "-r" + string(rune('a'+i)) // the generator numbers slugs from 0 each time
		}
		if _, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		waitRuns(runs)
	}
	if got := size(path + "-wal"); got > 2*wal {
		t.Errorf("the log is %d bytes after five imports of %d bytes each: it is not restarted", got, wal)
	}
	// Every record is still there.
	local, _, err := db.CountRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if local != 10_000 {
		t.Errorf("local records = %d, want 10000", local)
	}
}
