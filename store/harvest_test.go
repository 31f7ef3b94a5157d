package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// TestHarvests lists files, claims the due ones (never one read in the
// last minute, even made due), records reads (a 304 keeps the
// validators, a failure keeps the last successful read) and keeps them
// across a reopen.
func TestHarvests(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		var mu sync.Mutex
		at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
		advance := func(d time.Duration) { mu.Lock(); at = at.Add(d); mu.Unlock() }
		path := filepath.Join(t.TempDir(), "commons.db")
		db := mustOpenPath(t, path, now)
		const a, b = "https://code.example/a/publiccode.yml", "https://code.example/b"
		if _, err := db.AddHarvest(ctx, a, a); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddHarvest(ctx, b, b+"/raw/HEAD/publiccode.yml"); err != nil {
			t.Fatal(err)
		}
		_, err := db.AddHarvest(ctx, a, a)
		wantCode(t, err, commons.ECONFLICT)

		claim := func(t *testing.T, want int) []Harvest {
			t.Helper()
			hs, err := db.ClaimDueHarvests(ctx, 10)
			if err != nil || len(hs) != want {
				t.Fatalf("claimed %d (%v), want %d", len(hs), err, want)
			}
			return hs
		}
		claim(t, 2)
		claim(t, 0) // claimed: read_at is now
		if err := db.MakeHarvestsDue(ctx); err != nil {
			t.Fatal(err)
		}
		claim(t, 0) // due, but read within the minute
		advance(MinHarvestGap)
		claim(t, 2)

		next := now().Add(24 * time.Hour)
		if err := db.SaveHarvestResult(ctx, a, HarvestResult{OK: true, Result: "created", Record: "alpha", ETag: `"1"`, LastModified: "Sun, 01 Mar 2026 08:00:00 GMT", NextAt: next}); err != nil {
			t.Fatal(err)
		}
		advance(time.Hour)
		if err := db.SaveHarvestResult(ctx, a, HarvestResult{OK: true, Result: "not-modified", NextAt: next}); err != nil {
			t.Fatal(err)
		}
		h, err := db.Harvest(ctx, a)
		if err != nil || h.ETag != `"1"` || h.LastModified == "" || h.Record != "alpha" || h.Result != "not-modified" || !h.OKAt.Equal(now()) || !h.NextAt.Equal(next) {
			t.Fatalf("after a 304: %+v, %v", h, err)
		}
		okAt := h.OKAt
		advance(time.Hour)
		if err := db.SaveHarvestResult(ctx, a, HarvestResult{Result: "failed", Error: "the file is gone", NextAt: next}); err != nil {
			t.Fatal(err)
		}
		// b was claimed but its read never saved (as after a crash): it is due
		// again, its last claim more than a minute ago.
		if hs := claim(t, 1); hs[0].URL != b {
			t.Errorf("claimed %s, want %s", hs[0].URL, b)
		}
		db.Close()

		db = mustOpenPath(t, path, now)
		h, err = db.Harvest(ctx, a)
		if err != nil || h.Error != "the file is gone" || h.Result != "failed" || !h.OKAt.Equal(okAt) || h.ETag != `"1"` || h.Record != "alpha" {
			t.Fatalf("after a failure and a reopen: %+v, %v", h, err)
		}
		hs, err := db.Harvests(ctx)
		if err != nil || len(hs) != 2 || hs[0].URL != a {
			t.Fatalf("list (failed first): %+v, %v", hs, err)
		}
		advance(24 * time.Hour)
		claimed := claim(t, 2)
		if claimed[0].FileURL == "" {
			t.Errorf("claimed %+v", claimed[0])
		}
		if err := db.RemoveHarvest(ctx, b); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.RemoveHarvest(ctx, b), commons.ENOTFOUND)
		_, err = db.Harvest(ctx, b)
		wantCode(t, err, commons.ENOTFOUND)
	})
}
