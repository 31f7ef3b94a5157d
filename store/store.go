// Package store keeps the directory in one SQLite database (modernc.org/sqlite,
// no cgo): records and their history, full-text search with facets, users and
// API tokens.
//
// It owns the schema and its migrations, maps driver errors to *commons.Error
// codes at its edge, and keeps three in-memory structures in step with the
// database: a cache of decoded records, an index of the fields searches filter,
// facet and sort by, and a cache of full-text match sets. Each process notices
// the writes of other processes (the CLI importing while the server runs)
// through a change sequence stored in the database; see sync.go.
//
// Two goroutines work beside the requests: the checkpointer, which copies
// the write-ahead log into the database file so that no write waits for it
// (checkpoint.go), and in the server the warmer, which fills the cache of
// full-text match sets after a start or an import (warm.go).
//
// It knows nothing of HTTP or ActivityPub: web/ and federation/ call it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/analysis"
)

// Options configures Open.
type Options struct {
	Driver    string           // DriverSQLite (the default) or DriverPostgres
	Path      string           // SQLite file path; the parent directory is created (0700)
	URL       string           // PostgreSQL connection URL, postgres://user:password@host/database
	BaseURL   string           // this instance, e.g. "https://commons.example.eu" (no trailing slash)
	Now       func() time.Time // injectable clock; nil means time.Now
	Logger    *slog.Logger     // nil discards
	ReadConns int              // reader pool size; 0 means max(4, GOMAXPROCS)
}

// DB is the directory's database. It is safe for concurrent use.
type DB struct {
	w, r     *sql.DB // one writer connection; a pool of query-only readers
	ckpt     *checkpointer
	warm     atomic.Pointer[warmer] // set by StartWarming
	shrinker cacheShrinker          // the writer's page cache after bulk writes
	d        *dialect
	locks    advisoryLocks // PostgreSQL: the locks of Exclusive
	path     string        // the SQLite file, or the PostgreSQL URL without its password
	base     string
	now      func() time.Time
	log      *slog.Logger
	applied  []int

	sync     syncState
	fedState fedState // prepared statements, block cache, inbox group commit
	recs     *recordCache
	idx      searchIndex
	terms    *termCache
	vocab    atomic.Pointer[analysis.Vocabulary] // loaded with the search index
}

// busyTimeout is how long a connection waits for another's lock (another
// process writing, a checkpoint) before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open opens (creating if needed) the database at opts.Path and brings its
// schema up to date. See the package documentation.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	db := &DB{
		d:     sqliteDialect,
		path:  opts.Path,
		base:  strings.TrimRight(opts.BaseURL, "/"),
		now:   opts.Now,
		log:   opts.Logger.With("component", "store"),
		recs:  newRecordCache(),
		terms: newTermCache(),
	}
	switch opts.Driver {
	case "", DriverSQLite:
		if err := db.openSQLite(ctx, opts); err != nil {
			return nil, err
		}
	case DriverPostgres:
		if err := db.openPostgres(ctx, opts); err != nil {
			return nil, err
		}
	default:
		return nil, commons.Errorf(commons.EINVALID, "store: driver %q is not one of %s, %s", opts.Driver, DriverSQLite, DriverPostgres)
	}
	return db.opened(ctx)
}

// openSQLite opens the two connection pools on the SQLite file and
// migrates it.
func (db *DB) openSQLite(ctx context.Context, opts Options) error {
	if opts.Path == "" {
		return commons.Errorf(commons.EINVALID, "store: no database path")
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	var err error
	// The writer: one connection, so writes queue in database/sql rather than
	// fight for SQLite's lock; BEGIN IMMEDIATE takes the lock at the start of
	// a transaction, so a read that turns into a write cannot hit SQLITE_BUSY
	// midway when another process writes.
	db.w, err = sql.Open("sqlite", dsn(opts.Path, "_txlock=immediate",
		"_pragma=journal_mode(WAL)", "_pragma=synchronous(NORMAL)", "_pragma=foreign_keys(1)",
		"_pragma=wal_autocheckpoint(0)", fmt.Sprintf("_pragma=journal_size_limit(%d)", walSizeLimit)))
	if err != nil {
		return fmt.Errorf("open database %s: %w", opts.Path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxIdleTime(0)
	if err := db.w.PingContext(ctx); err != nil {
		db.w.Close()
		return db.openError(err)
	}
	if db.applied, err = db.migrate(ctx); err != nil {
		db.w.Close()
		return db.openError(err)
	}
	db.r, err = sql.Open("sqlite", dsn(opts.Path,
		"_pragma=query_only(1)", "_pragma=foreign_keys(1)", "_pragma=synchronous(NORMAL)"))
	if err != nil {
		db.w.Close()
		return fmt.Errorf("open database %s: %w", opts.Path, err)
	}
	db.r.SetMaxOpenConns(opts.ReadConns)
	db.r.SetMaxIdleConns(opts.ReadConns)
	if db.ckpt, err = startCheckpointer(opts.Path, db.log); err != nil {
		db.r.Close()
		db.w.Close()
		return err
	}
	return nil
}

// opened brings a migrated database's caches and derived tables up to date.
func (db *DB) opened(ctx context.Context) (*DB, error) {
	if err := db.initSync(ctx); err != nil {
		db.Close()
		return nil, db.openError(err)
	}
	for _, v := range db.applied {
		db.log.Info("migration applied", "version", v, "path", db.path)
	}
	if slices.Contains(db.applied, keysMigration) || appliedNamed(db.d, db.applied, relationKeysMigration) {
		n, err := db.linkExisting(ctx)
		if err != nil {
			db.Close()
			return nil, db.openError(err)
		}
		if n > 0 {
			db.log.Info("identifier keys computed for existing records", "records", n)
		}
	}
	if n, err := db.reindexText(ctx); err != nil {
		db.Close()
		return nil, db.openError(err)
	} else if n > 0 {
		db.log.Info("full text indexed again for existing records", "records", n)
	}
	return db, nil
}

// dsn builds a modernc.org/sqlite data source name. Every pooled connection
// runs the _pragma parameters when it opens, so no connection misses one.
func dsn(path string, params ...string) string {
	u := url.URL{Path: path}
	return "file:" + u.EscapedPath() + "?" + strings.Join(append([]string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
	}, params...), "&")
}

// openError names the path and says plainly when the file is not a usable
// SQLite database.
func (db *DB) openError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("open database %s: the file is not a SQLite database", db.path)
		case sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("open database %s: the database file is corrupt", db.path)
		}
	}
	if db.d.postgres() {
		// pgx gives one line per address it tried: keep the CLI's one line.
		return fmt.Errorf("open database %s: %s", db.path, strings.Join(strings.Fields(pgErrText(err)), " "))
	}
	return fmt.Errorf("open database %s: %w", db.path, err)
}

// Close closes both connection pools.
func (db *DB) Close() error {
	var errs []error
	if w := db.warm.Load(); w != nil {
		w.close()
	}
	db.shrinker.close()
	errs = append(errs, db.locks.close())
	if db.r != nil && db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.close())
	}
	// The writer closes last: closing the last connection checkpoints the
	// whole log and removes it.
	errs = append(errs, db.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// AppliedMigrations returns the schema versions this Open applied, oldest
// first; empty when the schema was already current.
func (db *DB) AppliedMigrations() []int { return append([]int(nil), db.applied...) }

// SchemaVersion returns the newest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// write runs fn in one write transaction that has taken the next change
// sequence number, commits, and then brings this process's caches and index
// up to date, so the caller reads its own write. fn receives the sequence
// number to stamp on the rows it changes.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx, seq int64) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := db.d.serialize(ctx, tx); err != nil {
		return ctxErr(ctx, err)
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value`).Scan(&seq); err != nil {
		return fmt.Errorf("next change sequence: %w", err)
	}
	if err := fn(tx, seq); err != nil {
		return ctxErr(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", ctxErr(ctx, err))
	}
	db.ckpt.wake()
	// The write is durable: a failure to refresh the caches must not turn it
	// into an error. syncNow marks them stale so the next read retries.
	db.syncNow(context.WithoutCancel(ctx))
	return nil
}

// ctxErr returns the context's error when it is done, so that a caller sees
// context.Canceled rather than the driver's "interrupted" that it caused.
// Application errors and errNoChange pass unchanged.
func ctxErr(ctx context.Context, err error) error {
	var ce *commons.Error
	if ctx.Err() == nil || errors.As(err, &ce) || errors.Is(err, errNoChange) {
		return err
	}
	return ctx.Err()
}

// errNoChange aborts a write transaction that found nothing to change.
var errNoChange = errors.New("no change")

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	if isUniquePG(err) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// millis converts a time to the Unix milliseconds the schema stores.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis converts stored Unix milliseconds back to a UTC time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nowMillis returns the injectable clock's time in UTC, truncated to the
// millisecond the database keeps.
func (db *DB) nowMillis() time.Time { return db.now().UTC().Truncate(time.Millisecond) }
