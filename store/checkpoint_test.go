package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSQLiteBackgroundCheckpoint checks that, with SQLite's automatic checkpoint
// off on the writer, the checkpointer moves committed pages into the
// database file while the database stays open, and that the log then starts
// again from its beginning instead of growing with every write.
func TestSQLiteBackgroundCheckpoint(t *testing.T) {
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
	// waitWhole waits, a bounded time, until a checkpoint that started
	// after the caller's last commit has copied the whole log (asking for
	// checkpoints as a write would). A write kicks the checkpointer, so one
	// may be running, or even complete, during an import, before its last
	// page: counting runs from before the import proves nothing. The one
	// running when the count is read may have started before the last
	// commit; the one after it did not.
	waitWhole := func() {
		t.Helper()
		n := db.ckpt.whole.Load()
		deadline := time.Now().Add(time.Minute)
		for db.ckpt.whole.Load() <= n+1 {
			if time.Now().After(deadline) {
				t.Fatalf("no whole checkpoint within a minute (%d runs, %d whole)", db.ckpt.runs.Load(), db.ckpt.whole.Load())
			}
			db.ckpt.wake()
			time.Sleep(25 * time.Millisecond)
		}
	}

	g := newGen(11)
	before := size(path)
	if _, err := db.ImportRecords(ctx, g.records(2000), ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	wal := size(path + "-wal")
	if wal < 1<<20 {
		t.Fatalf("the log holds %d bytes after importing 2,000 records: the test measures nothing", wal)
	}
	// The import's pages reach the database file without a close.
	waitWhole()
	if grown := size(path) - before; grown <= wal/2 {
		t.Fatalf("the database file grew by %d bytes for a log of %d: the log was not checkpointed", grown, wal)
	}

	// Four more imports, each the size of the first, each followed by a
	// checkpoint: the log is reused from its start, so it stays about the
	// size of one import instead of reaching five.
	for i := range 4 {
		rs := g.records(2000)
		for _, r := range rs {
			r.Slug += "-r" + string(rune('a'+i)) // the generator numbers slugs from 0 each time
		}
		if _, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		waitWhole()
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
