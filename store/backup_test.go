package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/commons-directory/commons"
)

// TestSQLiteBackup copies a database that is being written to: the copy opens as
// a store, holds at least what was committed before the backup began, checks
// clean, and is private to its owner. An existing file is never overwritten.
func TestSQLiteBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := mustOpenPath(t, filepath.Join(dir, "commons.db"), nil)
	if _, err := db.ImportRecords(ctx, newGen(7).records(1000), ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}

	// Writes go on during the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		g := newGen(8)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r := g.record(i)
			r.Slug += "-during"
			if err := db.CreateRecord(ctx, r, "test"); err != nil {
				t.Error(err)
				return
			}
			if i > 2000 {
				return
			}
		}
	})
	dest := filepath.Join(dir, "backups", "copy.db")
	if err := os.Mkdir(filepath.Dir(dest), 0o700); err != nil {
		t.Fatal(err)
	}
	err := db.Backup(ctx, dest)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*partial")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// The same name again is refused and the copy is left alone.
	err = db.Backup(ctx, dest)
	var ce *commons.Error
	if !errors.As(err, &ce) || ce.Code != commons.ECONFLICT {
		t.Fatalf("backup over an existing file: %v, want ECONFLICT", err)
	}
	if fi2, _ := os.Stat(dest); fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("the existing backup was changed")
	}
	if err := quickCheck(ctx, dest); err != nil {
		t.Errorf("quick_check of the copy: %v", err)
	}
	copyDB := mustOpenPath(t, dest, nil)
	local, _, err := copyDB.CountRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now, _, err := db.CountRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if local < 1000 || local > now {
		t.Errorf("the copy holds %d records; want between the 1000 before the backup and the %d now", local, now)
	}
	if _, err := copyDB.Record(ctx, newGen(7).records(1)[0].Slug); err != nil {
		t.Errorf("a record of the copy: %v", err)
	}

	// A directory that does not exist is an error naming it, and leaves nothing.
	if err := db.Backup(ctx, filepath.Join(dir, "nowhere", "x.db")); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "nowhere")+" does not exist") {
		t.Errorf("backup into a missing directory: %v, want an error naming the directory", err)
	}
}
