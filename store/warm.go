package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/commons-directory/commons/store/analysis"
)

// The term cache starts empty when the server starts, and an import drops
// it whole (termCache.changed). Until it fills again, a search for a common
// word reads the word's whole list from FTS5: at 100,000 records the first
// query of a word found in half of them costs 20 to 40 ms, against 2 to 6
// ms once cached. The warmer fills the cache in the background with the
// sets that cost most to read, the words most records contain (which are
// also those typed most), found in FTS5's vocabulary.
//
// Only the server warms (StartWarming): a CLI command that never searches
// pays nothing.

// warmDelay lets a burst of writes (imports page after page, a peer's
// backfill) end before the cache is warmed again, and a starting server
// answer its first requests first.
const warmDelay = 2 * time.Second

// warmBudget is the share of the term cache the warmer fills; the rest is
// left to what searches ask for.
const warmBudget = termCacheSize * 3 / 4

type warmer struct {
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	runs   atomic.Int64 // warm-ups completed, for tests
	sets   atomic.Int64 // sets read by the last one
}

// StartWarming starts the background warm-up of the search cache, now and
// after every import that drops it. It is for long-running processes (the
// server); calling it again does nothing. Close stops it.
func (db *DB) StartWarming() {
	ctx, cancel := context.WithCancel(context.Background())
	w := &warmer{kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	if !db.warm.CompareAndSwap(nil, w) {
		cancel()
		return
	}
	go db.runWarmer(ctx, w)
	w.wake()
}

func (w *warmer) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *warmer) close() {
	w.cancel()
	<-w.done
}

func (db *DB) runWarmer(ctx context.Context, w *warmer) {
	defer close(w.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(warmDelay):
		}
		start := time.Now()
		n, bytes, err := db.warmOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			db.log.Warn("search cache warm-up failed", "err", err)
		case n > 0:
			db.log.Info("search cache warmed", "sets", n, "bytes", bytes, "duration", time.Since(start).Round(time.Millisecond))
		}
		w.sets.Store(int64(n))
		w.runs.Add(1)
	}
}

// warmCandidate is a word of FTS5's vocabulary and how many records of a
// tier hold it.
type warmCandidate struct {
	tier int
	term string
	docs int
}

// warmOnce reads into the term cache the match sets of the words found in
// the most records, as typed and through their stems, largest first, until
// warmBudget; words in fewer than
// minCachedSet records are not cached anyway. It returns how many sets it
// read and their size.
func (db *DB) warmOnce(ctx context.Context) (sets, bytes int, err error) {
	cands, err := db.warmCandidates(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range cands {
		if bytes >= warmBudget {
			break
		}
		// A query word is read as typed and through its stems (plan.go).
		for _, p := range []string{surfacePattern(c.term), stemPattern(c.term, analysis.Stems(c.term))} {
			s, err := db.termSet(ctx, c.tier, p)
			if err != nil {
				return sets, bytes, err
			}
			sets++
			bytes += s.bytes()
		}
	}
	return sets, bytes, nil
}

// warmCandidates lists, from FTS5's vocabulary of each tier, the words in
// at least minCachedSet records, the most frequent first. fts5vocab tables
// are created in the temp schema of a connection of its own: the readers
// are query-only, and the schema of the file stays as the migrations made
// it.
func (db *DB) warmCandidates(ctx context.Context) ([]warmCandidate, error) {
	if db.d.postgres() {
		return db.warmCandidatesPG(ctx)
	}
	conn, err := sql.Open("sqlite", dsn(db.path))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", db.path, err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	var out []warmCandidate
	for t, table := range tierTables {
		vocab := "temp." + table + "_vocab"
		if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS `+vocab+` USING fts5vocab(main, `+table+`, col)`); err != nil {
			return nil, fmt.Errorf("vocabulary of %s: %w", table, err)
		}
		rows, err := conn.QueryContext(ctx, `SELECT term, doc FROM `+vocab+` WHERE col = 'word' AND doc >= ? ORDER BY doc DESC LIMIT 4000`, minCachedSet)
		if err != nil {
			return nil, fmt.Errorf("vocabulary of %s: %w", table, err)
		}
		for rows.Next() {
			c := warmCandidate{tier: t}
			if err := rows.Scan(&c.term, &c.docs); err != nil {
				rows.Close()
				return nil, fmt.Errorf("vocabulary of %s: %w", table, err)
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("vocabulary of %s: %w", table, err)
		}
	}
	slices.SortStableFunc(out, func(a, b warmCandidate) int { return cmp.Compare(b.docs, a.docs) })
	return out, nil
}
