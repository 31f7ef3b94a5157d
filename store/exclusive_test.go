package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestExclusive: of two handles on one database (two processes), only one
// runs the work of a name at a time; the other runs it once the first is
// done. SQLite, served by one process, always runs it.
func TestExclusive(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "commons.db")
		a, b := mustOpenPath(t, path, nil), mustOpenPath(t, path, nil)
		ranInner := false
		ran, err := a.Exclusive(ctx, "inbox", func(ctx context.Context) {
			ok, err := b.Exclusive(ctx, "inbox", func(context.Context) {})
			if err != nil {
				t.Fatal(err)
			}
			ranInner = ok
			if ok, err := b.Exclusive(ctx, "sync", func(context.Context) {}); err != nil || !ok {
				t.Errorf("other work while inbox runs elsewhere: ran %v, %v", ok, err)
			}
		})
		if err != nil || !ran {
			t.Fatalf("first: ran %v, %v", ran, err)
		}
		if want := !onPostgres(t); ranInner != want {
			t.Errorf("second process ran the inbox while the first did: %v, want %v", ranInner, want)
		}
		if ok, err := b.Exclusive(ctx, "inbox", func(context.Context) {}); err != nil || !ok {
			t.Errorf("after the first finished: ran %v, %v", ok, err)
		}
	})
}
