package store

import (
	"context"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// TestWarmSearch checks that the warmer fills the term cache with the
// match sets of the most frequent words, so that their first search reads
// nothing from FTS5, and that it fills it again after an import dropped it.
func TestWarmSearch(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		g := newGen(13)
		if _, err := db.ImportRecords(ctx, g.records(2500), ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		cands, err := db.warmCandidates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) < 3 {
			t.Fatalf("%d words in %d records or more: the test measures nothing", len(cands), minCachedSet)
		}
		top := cands[0]
		key := termKey{top.tier, surfacePattern(top.term)}
		if _, _, ok := db.terms.lookup(key); ok {
			t.Fatalf("%q is cached before any search or warm-up", top.term)
		}

		// waitRuns waits, at most a minute (the race detector slows the
		// warm-up tenfold), until more than n warm-ups have completed.
		waitRuns := func(n int64) {
			t.Helper()
			for range 1200 {
				if db.warm.Load().runs.Load() > n {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatalf("no warm-up after %d in a minute", n)
		}
		db.StartWarming()
		db.StartWarming() // a second call does nothing
		waitRuns(0)
		if got := db.warm.Load().sets.Load(); got != 2*int64(len(cands)) {
			t.Errorf("the warm-up read %d sets; %d words are in %d records or more, each read as typed and through its stems",
				got, len(cands), minCachedSet)
		}
		for _, c := range cands {
			if _, _, ok := db.terms.lookup(termKey{c.tier, surfacePattern(c.term)}); !ok {
				t.Errorf("%q (tier %d, %d records) is not cached after the warm-up", c.term, c.tier, c.docs)
			}
		}
		// The cached set is the one a search uses: the same matches as FTS5.
		p, err := db.SearchRecords(ctx, commons.RecordFilter{Query: top.term})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total < top.docs {
			t.Errorf("search %q: %d matches, fewer than the %d records of tier %d alone", top.term, p.Total, top.docs, top.tier)
		}

		// An import drops the cache; the warmer fills it again.
		rs := g.records(bulkRecords)
		for _, r := range rs {
			r.Slug += "-more"
		}
		runs := db.warm.Load().runs.Load()
		if _, err := db.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		waitRuns(runs)
		if _, _, ok := db.terms.lookup(key); !ok {
			t.Errorf("%q is not cached again after an import", top.term)
		}
	})
}
