package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commons-directory/commons"
)

// ImportOptions controls ImportRecords.
type ImportOptions struct {
	Actor       string // recorded in history
	SkipInvalid bool   // store the valid records and report each rejected one; otherwise all-or-nothing
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Unchanged int
	Rejected                    []ImportRejection
}

// ImportRejection is a record an import refused.
type ImportRejection struct {
	Index int    // position in the input (the CLI turns it into a line number)
	Slug  string //
	Err   error  // *commons.Error: EINVALID with Fields, or ECONFLICT
}

// importItem is one input record, checked and encoded (as a creation)
// outside the write transaction.
type importItem struct {
	r   *commons.Record // the input, normalised
	c   commons.Record  // r with the provenance of a creation
	enc *encoded        // c encoded
	err error
}

// ImportRecords upserts local records by slug in one transaction: a new slug
// is created, an existing one updated if its content differs (keeping
// Created), and left alone otherwise. Provenance.Source comes from each record
// if it is one of commons.Sources, else "import". Each stored record gets its
// ID and provenance filled in, as CreateRecord does.
//
// Without SkipInvalid, the first invalid or conflicting record aborts the
// whole import: the error's message names its index and slug ("record 3
// (osm): …") and its Fields are prefixed "records[3].". With SkipInvalid the
// others are stored and each refused record is reported in Rejected.
//
// Validation, hashing and encoding run on every core while the records
// already prepared are written, so that the single writer is the limit.
// On PostgreSQL the new records are written a chunk at a time (pgBatch).
func (db *DB) ImportRecords(ctx context.Context, rs []*commons.Record, opts ImportOptions) (*ImportResult, error) {
	now := db.nowMillis()
	prep := db.prepareImport(rs, now)
	defer prep.stop()
	res := &ImportResult{}
	stored := make([]bool, len(rs))
	grew := false
	err := db.write(ctx, func(tx *sql.Tx, seq int64) error {
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		w.bulk = true
		if len(rs) >= bulkRecords {
			var err error
			if grew, err = w.growCache(); err != nil {
				return err
			}
		}
		first := map[string]int{}
		var existing map[string]*storedRecord
		// On PostgreSQL the new records are written a chunk at a time
		// (see pgBatch); queued holds the index of each queued one, by id.
		queued := map[string]int{}
		suspended, widened := false, false
		if db.d.postgres() {
			w.batch = &pgBatch{}
			if len(rs) >= bulkRecords {
				var err error
				if suspended, err = w.suspendTextIndexes(); err != nil {
					return err
				}
				if !suspended {
					if err := w.widenTextPending(); err != nil {
						return err
					}
					widened = true
				}
			}
		}
		flush := func(final bool) error {
			conflicts, err := w.flushBatch(final)
			if err != nil {
				return err
			}
			for _, id := range conflicts {
				i := queued[id]
				err := commons.Errorf(commons.ECONFLICT, "a record with the id %s exists", id)
				if !opts.SkipInvalid {
					return importError(i, rs[i], err)
				}
				res.Created--
				stored[i] = false
				res.Rejected = append(res.Rejected, ImportRejection{Index: i, Slug: rsSlug(rs[i]), Err: err})
			}
			if len(conflicts) > 0 {
				slices.SortFunc(res.Rejected, func(a, b ImportRejection) int { return cmp.Compare(a.Index, b.Index) })
			}
			clear(queued)
			return nil
		}
		for i := range rs {
			it, err := prep.item(ctx, i)
			if err != nil {
				return err
			}
			if i%importChunk == 0 {
				if err := flush(false); err != nil {
					return err
				}
				// Look up the stored records of a whole chunk at once.
				if existing, err = w.currentMany(prep.slugs(i)); err != nil {
					return err
				}
			}
			if it.err == nil {
				if j, dup := first[it.r.Slug]; dup {
					it.err = commons.Errorf(commons.ECONFLICT, "the slug %s is also record %d of this import", it.r.Slug, j)
				} else {
					first[it.r.Slug] = i
				}
			}
			action := ""
			if it.err == nil {
				action, it.err = db.importOne(w, it, existing[it.c.Slug], opts.Actor, now)
			}
			var ce *commons.Error
			switch {
			case it.err != nil && !errors.As(it.err, &ce):
				return fmt.Errorf("record %d (%s): %w", i, it.c.Slug, it.err)
			case it.err != nil && !opts.SkipInvalid:
				return importError(i, rs[i], it.err)
			case it.err != nil:
				res.Rejected = append(res.Rejected, ImportRejection{Index: i, Slug: rsSlug(rs[i]), Err: it.err})
				continue
			case action == "create":
				res.Created++
				if w.batch != nil {
					queued[it.c.ID] = i
				}
			case action == "update":
				res.Updated++
			default:
				res.Unchanged++
			}
			stored[i] = true
		}
		if err := flush(true); err != nil {
			return err
		}
		if res.Created+res.Updated == 0 {
			return errNoChange
		}
		if suspended {
			if err := w.restoreTextIndexes(); err != nil {
				return err
			}
		}
		if widened {
			if err := w.narrowTextPending(); err != nil {
				return err
			}
		}
		return w.flushTerms()
	})
	if grew {
		db.shrinkCacheLater()
	}
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, fmt.Errorf("import records: %w", err)
	}
	for i, ok := range stored {
		if ok {
			c := &prep.items[i].c
			rs[i].ID, rs[i].Provenance = c.ID, c.Provenance
		}
	}
	return res, nil
}

// bulkRecords is the size from which an import is bulk: it grows the
// writer's page cache (see growCache). A page of a peer's records is bulk
// from bulkRemote.
const (
	bulkRecords = 1000
	bulkRemote  = 100
)

// Page cache sizes of the writer connection, in KiB, and how long after
// the last bulk write the cache goes back to the default.
const (
	defaultCacheKiB = 2000 // SQLite's default
	maxBulkCacheKiB = 8 << 10
	bulkCacheIdle   = 10 * time.Second
)

// growCache gives the writer connection a page cache of a quarter of the
// database, up to 8 MiB, and reports whether it grew it; the caller then
// calls shrinkCacheLater once the write is over. Records and their keys go
// into indexes ordered by slug and id, at random places: once the indexes
// outgrow SQLite's default cache of 2 MB, each insertion reads a page from
// the file and pushes a dirty one out to the log before the commit. Ten
// imports of 10,000 records into one database ran at 6,400–6,800
// records/s with the default cache and 7,200–8,700 with this one, against
// about 12,000 for one import into an empty database (BENCHMARKS.md). A
// large cache on a small database costs more than it saves (allocating the
// pages), hence the proportion. The cache stays large while bulk writes
// follow each other (the next import finds its pages there) and is given
// back bulkCacheIdle after the last, for the readers' caches to reuse: a
// process that loaded 100,000 records this way and then searched had the
// same resident memory as one that never grew the cache (128 MB), where a
// 16 MiB cap cost 15 MB more.
func (w *recordWriter) growCache() (bool, error) {
	if w.d.postgres() {
		return false, nil // the server's shared buffers are the operator's
	}
	var size int64
	if err := w.tx.QueryRowContext(w.ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&size); err != nil {
		return false, fmt.Errorf("database size: %w", err)
	}
	kib := min(size/4/1024, maxBulkCacheKiB)
	if kib <= defaultCacheKiB {
		return false, nil
	}
	if _, err := w.tx.ExecContext(w.ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, kib)); err != nil {
		return false, fmt.Errorf("page cache: %w", err)
	}
	return true, nil
}

// cacheShrinker gives the writer's page cache back its default size once
// bulk writes have stopped for bulkCacheIdle.
type cacheShrinker struct {
	mu     sync.Mutex
	timer  *time.Timer
	closed bool
	shrunk atomic.Int64 // times the cache was given back, for tests
}

// shrinkCacheLater (re)starts the countdown to giving the cache back.
func (db *DB) shrinkCacheLater() {
	c := &db.shrinker
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.timer == nil {
		c.timer = time.AfterFunc(bulkCacheIdle, db.shrinkCache)
		return
	}
	c.timer.Reset(bulkCacheIdle)
}

// shrinkCache sets the writer's page cache back to the default, which
// frees the pages beyond it.
func (db *DB) shrinkCache() {
	c := &db.shrinker
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if _, err := db.w.ExecContext(context.Background(), fmt.Sprintf(`PRAGMA cache_size = -%d`, defaultCacheKiB)); err != nil {
		db.log.Warn("give the page cache back", "err", err)
		return
	}
	c.shrunk.Add(1)
}

// close stops the countdown; Close calls it before closing the writer.
func (c *cacheShrinker) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
}

// importChunk is how many records a preparing worker takes at a time.
const importChunk = 64

// importPrep prepares the records of an import on every core, in order of
// index, while the writer consumes them.
type importPrep struct {
	items   []importItem
	ready   []chan struct{} // closed when a chunk is prepared
	next    atomic.Int64    // next chunk to prepare
	stopped atomic.Bool
	wg      sync.WaitGroup
}

func (db *DB) prepareImport(rs []*commons.Record, now time.Time) *importPrep {
	p := &importPrep{items: make([]importItem, len(rs)), ready: make([]chan struct{}, (len(rs)+importChunk-1)/importChunk)}
	for i := range p.ready {
		p.ready[i] = make(chan struct{})
	}
	// One core is the writer's; the others prepare.
	for range min(max(1, runtime.GOMAXPROCS(0)-1), len(p.ready)) {
		p.wg.Go(func() {
			for {
				c := int(p.next.Add(1) - 1)
				if c >= len(p.ready) || p.stopped.Load() {
					return
				}
				for i := c * importChunk; i < min(len(rs), (c+1)*importChunk); i++ {
					p.items[i] = db.prepareOne(rs[i], now)
				}
				close(p.ready[c])
			}
		})
	}
	return p
}

// item waits for the i-th item to be prepared.
func (p *importPrep) item(ctx context.Context, i int) (*importItem, error) {
	select {
	case <-p.ready[i/importChunk]:
		return &p.items[i], nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// slugs returns the slugs of the valid records of the chunk that starts at
// i, which must be prepared.
func (p *importPrep) slugs(i int) []string {
	var out []string
	for _, it := range p.items[i:min(len(p.items), i+importChunk)] {
		if it.err == nil {
			out = append(out, it.c.Slug)
		}
	}
	return out
}

// stop ends the workers and waits for them, so that none touches the input
// after ImportRecords returns.
func (p *importPrep) stop() {
	p.stopped.Store(true)
	p.wg.Wait()
}

// prepareOne normalises, validates and encodes one record as a creation.
func (db *DB) prepareOne(r *commons.Record, now time.Time) importItem {
	if r == nil {
		return importItem{err: commons.Errorf(commons.EINVALID, "the record is empty")}
	}
	r.Normalize()
	if err := r.Validate(); err != nil {
		return importItem{r: r, err: err}
	}
	it := importItem{r: r, c: *r}
	it.c.ID = db.recordID(r.Slug)
	it.c.Provenance = commons.Provenance{
		Origin:    db.base,
		Source:    sourceOr(r.Provenance.Source, "import"),
		SourceURL: r.Provenance.SourceURL,
		Created:   now,
		Updated:   now,
		Version:   1,
		Hash:      r.ContentHash(),
	}
	it.enc, it.err = encode(&it.c)
	if it.err == nil && db.d.postgres() {
		it.enc.tiers, it.enc.docs = pgTextRows(&it.enc.d)
	}
	return it
}

// importOne creates or updates one valid record, given the stored one (nil
// if none), and reports which it did ("create", "update" or "" when
// unchanged). it.c becomes the stored record.
func (db *DB) importOne(w *recordWriter, it *importItem, cur *storedRecord, actor string, now time.Time) (string, error) {
	if cur == nil && w.batch != nil {
		w.queueInsert(&it.c, it.enc, actor)
		return "create", nil
	}
	if cur == nil {
		return "create", w.insert(&it.c, it.enc, actor)
	}
	if cur.deleted {
		return "", slugTaken(it.c.Slug, cur)
	}
	var old struct {
		ID         string             `json:"id"`
		Provenance commons.Provenance `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(cur.doc), &old); err != nil {
		return "", fmt.Errorf("decode record: %w", err)
	}
	hash := it.c.Provenance.Hash
	source, sourceURL := it.c.Provenance.Source, it.c.Provenance.SourceURL
	it.c.ID, it.c.Provenance = old.ID, old.Provenance
	if cur.hash == hash {
		return "", nil
	}
	p := &it.c.Provenance
	p.Source = source
	if sourceURL != "" {
		p.SourceURL = sourceURL
	}
	p.Updated, p.Version, p.Hash = now, cur.version+1, hash
	enc, err := encode(&it.c)
	if err != nil {
		return "", err
	}
	return "update", w.update(cur, &it.c, enc, actor)
}

// importError names the record in an application error: its message gets
// "record i (slug): " in front and its fields "records[i].".
func importError(i int, r *commons.Record, err error) error {
	var ce *commons.Error
	if !errors.As(err, &ce) {
		return &ImportError{Index: i, Slug: rsSlug(r), Err: err}
	}
	out := &commons.Error{Code: ce.Code, Message: fmt.Sprintf("record %d (%s): %s", i, rsSlug(r), ce.Message)}
	prefix := fmt.Sprintf("records[%d].", i)
	for _, f := range ce.Fields {
		out.Fields = append(out.Fields, commons.FieldError{Field: prefix + f.Field, Message: f.Message})
	}
	return &ImportError{Index: i, Slug: rsSlug(r), Err: out, cause: ce}
}

// ImportError is why an all-or-nothing import stored nothing: the record at
// Index was refused. Err names the record and prefixes its fields with
// "records[i]."; Cause is the record's own error, for a caller (the CLI)
// that names the record its own way, by line.
type ImportError struct {
	Index int
	Slug  string
	Err   error
	cause error
}

func (e *ImportError) Error() string { return e.Err.Error() }
func (e *ImportError) Unwrap() error { return e.Err }

// Cause returns the refused record's own error, without the index prefixes.
func (e *ImportError) Cause() error {
	if e.cause != nil {
		return e.cause
	}
	return e.Err
}

func rsSlug(r *commons.Record) string {
	if r == nil {
		return ""
	}
	return r.Slug
}
