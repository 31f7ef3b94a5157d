package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/commons-directory/commons"
)

// migrationLock is the key of the PostgreSQL advisory lock that processes
// starting together over one database take in turn to migrate it.
const migrationLock = 0x636f6d6d6f6e7301 // "commons" 1

// openPostgres opens one connection pool on the PostgreSQL database at
// opts.URL and migrates it under an advisory lock. Readers and writers share
// the pool: PostgreSQL serialises the writes (every write transaction
// updates the change sequence's row first, see write) and lets reads run
// beside them.
func (db *DB) openPostgres(ctx context.Context, opts Options) error {
	if opts.URL == "" {
		return commons.Errorf(commons.EINVALID, "store: no PostgreSQL url")
	}
	db.d = postgresDialect
	db.path = redactURL(opts.URL)
	cfg, err := pgx.ParseConfig(opts.URL)
	if err != nil {
		return commons.Errorf(commons.EINVALID, "store: url: %s", pgErrText(err))
	}
	cfg.AfterConnect = pgSession
	pool := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	n := opts.ReadConns + 2
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	db.w, db.r = pool, pool
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return db.openError(err)
	}
	if db.applied, err = db.migrateLocked(ctx); err != nil {
		pool.Close()
		return db.openError(err)
	}
	return nil
}

// pgSession sets up each new connection: a short pending list for the
// text indexes (textPendingKB). A setting of the session rather than of
// the indexes, so that a bulk import can raise it for its own transaction
// without a lock (see widenTextPending), and a statement rather than a
// startup parameter, which connection poolers may refuse.
func pgSession(ctx context.Context, c *pgconn.PgConn) error {
	return c.Exec(ctx, fmt.Sprintf("SET gin_pending_list_limit = %d", textPendingKB)).Close()
}

// migrateLocked migrates while holding the migration advisory lock on a
// connection of its own.
func (db *DB) migrateLocked(ctx context.Context) ([]int, error) {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, int64(migrationLock)); err != nil {
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, int64(migrationLock))
	return db.migrate(ctx)
}

// redactURL returns the URL without its password, to name the database in
// messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// pgErrText is the message of a PostgreSQL connection or configuration
// error without the connection string, which may hold a password.
func pgErrText(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "not a valid PostgreSQL connection URL"
	}
	return err.Error()
}

// isUniquePG reports whether err is PostgreSQL's unique_violation.
func isUniquePG(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isForeignKeyPG reports whether err is PostgreSQL's foreign_key_violation.
func isForeignKeyPG(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// writeLock is the key of the PostgreSQL advisory lock every write
// transaction takes first.
const writeLock = 0x636f6d6d6f6e7302 // "commons" 2

// serialize makes the write transaction tx wait for the others, in every
// process, as SQLite's one writer does: the store's writes read what they
// change, and rely on no other write running between. On SQLite the
// writer connection already does.
func (d *dialect) serialize(ctx context.Context, tx *sql.Tx) error {
	if !d.postgres() {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(writeLock)); err != nil {
		return fmt.Errorf("wait for the other writes: %w", err)
	}
	return nil
}

// Exclusive runs fn unless another process over the same database is
// running the work named name, and reports whether it ran: background work
// that must not run twice at once (processing the inbox, publishing,
// reconciling peers) runs on one process at a time, and on another when
// that one stops. On PostgreSQL a session advisory lock, held on a
// connection of its own, says which process runs it; SQLite is served by
// one process, which always runs it.
func (db *DB) Exclusive(ctx context.Context, name string, fn func(context.Context)) (bool, error) {
	if !db.d.postgres() {
		fn(ctx)
		return true, nil
	}
	key := lockKey(name)
	db.locks.mu.Lock()
	if db.locks.conn == nil {
		c, err := db.w.Conn(ctx)
		if err != nil {
			db.locks.mu.Unlock()
			return false, fmt.Errorf("lock %s: %w", name, err)
		}
		db.locks.conn = c
	}
	var ok bool
	err := db.locks.conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, key).Scan(&ok)
	if err != nil {
		// The connection is gone, and its locks with it: the next call
		// opens another.
		db.locks.conn.Close()
		db.locks.conn = nil
	}
	db.locks.mu.Unlock()
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		return false, nil
	}
	defer func() {
		db.locks.mu.Lock()
		defer db.locks.mu.Unlock()
		if db.locks.conn != nil {
			db.locks.conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, key)
		}
	}()
	fn(ctx)
	return true, nil
}

// lockKey is the advisory lock key of a name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("commonsd:" + name))
	return int64(h.Sum64())
}

// advisoryLocks is the connection that holds Exclusive's locks.
type advisoryLocks struct {
	mu   sync.Mutex
	conn *sql.Conn
}

func (l *advisoryLocks) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	err := l.conn.Close()
	l.conn = nil
	return err
}

// afterCopy brings PostgreSQL's identity sequences past the keys CopyInto
// wrote, so that the next rows get new ones. SQLite's AUTOINCREMENT keeps
// track by itself.
func (d *dialect) afterCopy(ctx context.Context, w *sql.DB) error {
	if !d.postgres() {
		return nil
	}
	rows, err := w.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("copy: identity columns: %w", err)
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return fmt.Errorf("copy: identity columns: %w", err)
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("copy: identity columns: %w", err)
	}
	for _, tc := range cols {
		if _, err := w.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), coalesce((SELECT max(`+tc[1]+`) FROM `+tc[0]+`), 0) + 1, false)`,
			tc[0], tc[1]); err != nil {
			return fmt.Errorf("copy: sequence of %s.%s: %w", tc[0], tc[1], err)
		}
	}
	return nil
}
