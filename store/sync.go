package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commons-directory/commons/store/analysis"
)

// syncInterval bounds how long this process may serve a cached record, index
// entry or match set after another process (the CLI importing while the
// server runs) changed it: reads check the change sequence at most this
// often. This process's own writes are applied before the write returns.
const syncInterval = 250 * time.Millisecond

// syncState tracks which changes this process has applied to its caches.
//
// Every write transaction, in any process, increments meta.seq and stamps
// the rows it touches with the new value. A process that has applied the
// changes up to seq S finds the others with one indexed query (seq > S).
type syncState struct {
	mu      sync.Mutex   // serialises syncs and the index build
	seq     atomic.Int64 // change sequence applied to the caches
	checked atomic.Int64 // when reads last checked, Unix nanoseconds
	stale   atomic.Bool  // a sync failed: the next read retries at once
}

// initSync records the current change sequence: the caches start empty, so
// they are up to date with it.
func (db *DB) initSync(ctx context.Context) error {
	var seq int64
	if err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&seq); err != nil {
		return fmt.Errorf("read change sequence: %w", err)
	}
	db.sync.seq.Store(seq)
	db.sync.checked.Store(time.Now().UnixNano())
	return nil
}

// maybeSync applies other processes' changes if syncInterval has passed since
// the last check. Reads call it; it costs an atomic load when nothing is due.
func (db *DB) maybeSync(ctx context.Context) {
	now := time.Now().UnixNano()
	last := db.sync.checked.Load()
	if now-last < int64(syncInterval) && !db.sync.stale.Load() {
		return
	}
	if db.sync.checked.CompareAndSwap(last, now) {
		db.syncNow(ctx)
	}
}

// syncNow applies every change committed since the last sync. A failure is
// logged and leaves the caches marked stale, so the next read retries.
func (db *DB) syncNow(ctx context.Context) {
	if err := db.syncChanges(ctx); err != nil {
		db.sync.stale.Store(true)
		if ctx.Err() == nil {
			db.log.Warn("refresh caches failed", "err", err)
		}
		return
	}
	db.sync.stale.Store(false)
}

// indexRow is what the caches need to know of a changed record.
type indexRow struct {
	pk, seq  int64
	local    bool
	deleted  bool
	updated  int64
	sortName string
	nameKeys string
	facets   string
	lens     [nTiers]int
	langs    string // derived.langs
}

const indexRowColumns = `pk, seq, local, deleted_at IS NOT NULL, updated, sort_name, name_keys, facets, len_name, len_meta, len_desc, text_langs`

// scanIndexRows reads the rows of a query selecting indexRowColumns.
func scanIndexRows(rows *sql.Rows) ([]indexRow, error) {
	defer rows.Close()
	var out []indexRow
	for rows.Next() {
		var r indexRow
		if err := rows.Scan(&r.pk, &r.seq, &r.local, &r.deleted, &r.updated, &r.sortName, &r.nameKeys, &r.facets,
			&r.lens[tierName], &r.lens[tierMeta], &r.lens[tierDesc], &r.langs); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (db *DB) syncChanges(ctx context.Context) error {
	db.sync.mu.Lock()
	defer db.sync.mu.Unlock()
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&seq); err != nil {
		return fmt.Errorf("read change sequence: %w", err)
	}
	applied := db.sync.seq.Load()
	switch {
	case seq == applied:
		return nil
	case seq < applied:
		// The file was replaced, e.g. restored from a backup: start over.
		db.log.Warn("database changed under the server; dropping caches", "seq", seq, "applied", applied)
		db.recs.reset()
		db.idx.drop()
		db.terms.reset()
		db.sync.seq.Store(seq)
		if w := db.warm.Load(); w != nil {
			w.wake()
		}
		return nil
	}
	// Without a search index (a process that has not searched), the keys of
	// the changed rows are all the caches need.
	cols := indexRowColumns
	if db.idx.load() == nil {
		cols = `pk, seq, 0, 0, 0, '', '', '', 0, 0, 0, ''`
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+cols+` FROM records WHERE seq > ?`, applied)
	if err != nil {
		return fmt.Errorf("read changed records: %w", err)
	}
	changed, err := scanIndexRows(rows)
	if err != nil {
		return fmt.Errorf("read changed records: %w", err)
	}
	if v := db.vocab.Load(); v != nil {
		words, err := readTerms(ctx, tx, applied)
		if err != nil {
			return err
		}
		v.Add(words...)
	}
	db.applyChanges(changed, seq)
	return nil
}

// applyChanges brings the caches and the index up to seq, given the rows
// changed since the last applied sequence. The caller holds sync.mu.
func (db *DB) applyChanges(changed []indexRow, seq int64) {
	pks := make([]int64, len(changed))
	for i, r := range changed {
		pks[i] = r.pk
	}
	db.recs.invalidate(pks)
	if ix := db.idx.load(); ix != nil {
		ix.apply(changed)
	}
	if db.terms.changed(pks, seq) {
		if w := db.warm.Load(); w != nil {
			w.wake()
		}
	}
	db.sync.seq.Store(seq)
}

// index returns the search index, building it on first use: processes that
// never search (most CLI commands) never pay for it.
func (db *DB) index(ctx context.Context) (*index, error) {
	if ix := db.idx.load(); ix != nil {
		return ix, nil
	}
	db.sync.mu.Lock()
	defer db.sync.mu.Unlock()
	if ix := db.idx.load(); ix != nil {
		return ix, nil
	}
	start := time.Now()
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("build search index: begin: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&seq); err != nil {
		return nil, fmt.Errorf("build search index: read change sequence: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+indexRowColumns+` FROM records`)
	if err != nil {
		return nil, fmt.Errorf("build search index: %w", err)
	}
	all, err := scanIndexRows(rows)
	if err != nil {
		return nil, fmt.Errorf("build search index: %w", err)
	}
	words, err := readTerms(ctx, tx, 0)
	if err != nil {
		return nil, fmt.Errorf("build search index: %w", err)
	}
	vocab := analysis.NewVocabulary()
	vocab.Add(words...)
	db.vocab.Store(vocab)
	ix := newIndex()
	ix.apply(all)
	// Rows changed since the last sync are new to the other caches too.
	applied := db.sync.seq.Load()
	var changed []indexRow
	for _, r := range all {
		if r.seq > applied {
			changed = append(changed, r)
		}
	}
	db.applyChanges(changed, max(seq, applied))
	db.idx.store(ix)
	db.log.Debug("search index built", "records", len(all), "took", time.Since(start))
	return ix, nil
}

// Seq returns the change sequence this process has applied to its caches:
// it moves with every write to the records, this process's at once and
// another process's within syncInterval. A reader that keeps something it
// computed from the records compares it, without reading the database.
func (db *DB) Seq(ctx context.Context) int64 {
	db.maybeSync(ctx)
	return db.sync.seq.Load()
}

// readTerms reads the words of the vocabulary added after the sequence.
func readTerms(ctx context.Context, tx *sql.Tx, after int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT term FROM search_terms WHERE seq > ?`, after)
	if err != nil {
		return nil, fmt.Errorf("read the vocabulary: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("read the vocabulary: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the vocabulary: %w", err)
	}
	return out, nil
}
