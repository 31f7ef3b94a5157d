package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/commons-directory/commons"
)

// CanBackup tells whether Backup can copy a database of the driver: a
// PostgreSQL database is backed up with the server's own tools, which the
// error names. The CLI asks it before connecting.
func CanBackup(driver string) error {
	if driver == DriverPostgres {
		return commons.Errorf(commons.EINVALID, "backup: the database is on PostgreSQL: back it up with pg_dump "+
			"(pg_dump --format=custom --file=FILE URL) or the server's point-in-time recovery")
	}
	return nil
}

// Backup writes a copy of the whole database to dest, a file that must not
// exist yet, while the database stays in use: VACUUM INTO reads one
// snapshot, so the copy is consistent however many writes go on meanwhile,
// and it is compact (no free pages, no log). Copying the database file
// itself while a process has it open is not safe: committed pages may still
// be in the -wal file.
//
// The copy is written under a temporary name in dest's directory, checked
// with PRAGMA quick_check and then renamed, so that dest is either a whole,
// checked database or absent. It is created 0600: it holds the instance's
// private keys and the users' password hashes.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if err := CanBackup(db.d.name); err != nil {
		return err
	}
	if _, err := os.Lstat(dest); err == nil {
		return commons.Errorf(commons.ECONFLICT, "backup: %s exists; give a new file name", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.partial")
	if errors.Is(err, fs.ErrNotExist) {
		return commons.Errorf(commons.EINVALID, "backup: the directory %s does not exist", filepath.Dir(dest))
	} else if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after the rename there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}

	// A connection of its own: on the writer it would hold up every write
	// for the whole copy, and the readers are query-only.
	src, err := sql.Open("sqlite", dsn(db.path))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	// VACUUM INTO accepts an existing file only if it is empty, as tmp is.
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmpName); err != nil {
		return fmt.Errorf("backup to %s: %w", dest, ctxErr(ctx, err))
	}
	if err := quickCheck(ctx, tmpName); err != nil {
		return fmt.Errorf("backup to %s: the copy does not check: %w", dest, err)
	}
	if err := syncFile(tmpName); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// os.Rename would replace a file that appeared meanwhile; a link does
	// not. Where the file system has no hard links, rename.
	if err := os.Link(tmpName, dest); errors.Is(err, fs.ErrExist) {
		return commons.Errorf(commons.ECONFLICT, "backup: %s exists; give a new file name", dest)
	} else if err != nil {
		if err := os.Rename(tmpName, dest); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return syncFile(filepath.Dir(dest))
}

// quickCheck opens the database file at path read-only and runs PRAGMA
// quick_check on it.
func quickCheck(ctx context.Context, path string) error {
	c, err := sql.Open("sqlite", dsn(path, "mode=ro"))
	if err != nil {
		return err
	}
	defer c.Close()
	var res string
	if err := c.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return errors.New(res)
	}
	return nil
}

// syncFile flushes a file or a directory to stable storage.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
