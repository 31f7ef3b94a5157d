package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Ping checks that the database answers a query: the readiness check of
// the server. A closed DB fails it.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping database %s: %w", db.path, ctxErr(ctx, err))
	}
	return nil
}

// Size is how many bytes the database takes on disk: its pages, and the
// write-ahead log not yet copied into them; on PostgreSQL, what
// pg_database_size reports.
func (db *DB) Size(ctx context.Context) (int64, error) {
	if db.d.postgres() {
		var size int64
		if err := db.r.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
			return 0, fmt.Errorf("database size: %w", ctxErr(ctx, err))
		}
		return size, nil
	}
	var pages, pageSize int64
	err := db.r.QueryRowContext(ctx, `SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&pages, &pageSize)
	if err != nil {
		return 0, fmt.Errorf("database size: %w", ctxErr(ctx, err))
	}
	size := pages * pageSize
	fi, err := os.Stat(db.path + "-wal")
	switch {
	case err == nil:
		size += fi.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("database size: %w", err)
	}
	return size, nil
}
