package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/pgtest"
)

// testBase is the base URL of the instance in tests.
const testBase = "https://commons.example.eu"

// MustOpen opens a fresh database in a temporary directory, closed when the
// test ends.
func MustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "commons.db"), nil)
}

// mustOpenPath opens the database at path with an optional clock. In a
// postgres sub-test (eachStore) it opens instead a PostgreSQL database
// that stands for the path: the same path opens the same database again.
func mustOpenPath(tb testing.TB, path string, now func() time.Time) *DB {
	tb.Helper()
	db, err := Open(context.Background(), testOptions(tb, path, now))
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

// testOptions are the options of mustOpenPath. path may also be the path
// (the redacted URL) of a PostgreSQL database opened before.
func testOptions(tb testing.TB, path string, now func() time.Time) Options {
	tb.Helper()
	opts := Options{
		Path:    path,
		BaseURL: testBase,
		Now:     now,
		Logger:  slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if onPostgres(tb) {
		opts.Driver, opts.URL = DriverPostgres, pgtest.Named(tb, path)
	}
	return opts
}

// eachStore runs the test once for each store, as the sub-tests sqlite and
// postgres: the behaviour the two promise is tested once. The postgres one
// needs a server (pgtest); MustOpen in it opens PostgreSQL.
func eachStore(t *testing.T, fn func(t *testing.T)) {
	t.Run(DriverSQLite, fn)
	t.Run(DriverPostgres, func(t *testing.T) {
		pgtest.Require(t)
		fn(t)
	})
}

// onPostgres reports whether tb runs in eachStore's postgres sub-test.
func onPostgres(tb testing.TB) bool {
	return os.Getenv("COMMONSD_TEST_STORE") == DriverPostgres || strings.Contains(tb.Name(), "/"+DriverPostgres)
}

// stepClock is a clock that moves one second forward at each reading, so
// every write gets its own time.
type stepClock struct{ n atomic.Int64 }

func (c *stepClock) now() time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(c.n.Add(1)) * time.Second)
}

// wantCode fails the test unless err carries the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := commons.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestSQLiteOpenMigrations(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations(sqliteDialect.migrations)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "dir", "commons.db")

	t.Run("Fresh", func(t *testing.T) {
		db := mustOpenPath(t, path, nil)
		if got := db.AppliedMigrations(); len(got) != len(ms) || got[0] != 1 {
			t.Fatalf("applied = %v, want 1..%d", got, len(ms))
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != len(ms) {
			t.Fatalf("schema version = %d, %v; want %d", v, err, len(ms))
		}
		fi, err := os.Stat(filepath.Dir(path))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("directory: %v, %v; want mode 0700", fi, err)
		}
	})
	t.Run("ReopenIsIdempotent", func(t *testing.T) {
		db := mustOpenPath(t, path, nil)
		if got := db.AppliedMigrations(); len(got) != 0 {
			t.Fatalf("applied on reopen = %v, want none", got)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != len(ms) {
			t.Fatalf("schema version = %d, %v; want %d", v, err, len(ms))
		}
	})
	t.Run("Pragmas", func(t *testing.T) {
		db := mustOpenPath(t, path, nil)
		for _, c := range []struct {
			pool   *sql.DB
			name   string
			pragma string
			want   string
		}{
			{db.w, "writer", "journal_mode", "wal"},
			{db.w, "writer", "foreign_keys", "1"},
			{db.w, "writer", "synchronous", "1"},
			{db.w, "writer", "busy_timeout", "10000"},
			{db.w, "writer", "wal_autocheckpoint", "0"}, // checkpoint.go does it
			{db.w, "writer", "journal_size_limit", "67108864"},
			{db.ckpt.conn, "checkpointer", "busy_timeout", "10000"},
			{db.r, "reader", "query_only", "1"},
			{db.r, "reader", "busy_timeout", "10000"},
			{db.r, "reader", "journal_mode", "wal"},
		} {
			var got string
			if err := c.pool.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", c.name, c.pragma, got, c.want)
			}
		}
		if _, err := db.r.ExecContext(ctx, `DELETE FROM users`); err == nil {
			t.Error("the reader pool accepted a write")
		}
	})
	t.Run("NewerSchemaRefused", func(t *testing.T) {
		db := mustOpenPath(t, path, nil)
		newer := len(ms) + 2
		if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, newer); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err := Open(ctx, Options{Path: path, BaseURL: testBase})
		want := "database schema version " + strconv.Itoa(newer) + " is newer than this commonsd (" + strconv.Itoa(len(ms)) + "); upgrade commonsd"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("open newer schema: %v, want %q", err, want)
		}
	})
}

func TestSQLiteOpenRefusesNonDatabase(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	b := make([]byte, 8192)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	if err := os.WriteFile(garbage, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// A file with SQLite's magic but a broken page header.
	corrupt := filepath.Join(dir, "corrupt.db")
	c := append([]byte("SQLite format 3\x00"), b[16:]...)
	if err := os.WriteFile(corrupt, c, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"Garbage", garbage, "is not a SQLite database"},
		{"Corrupt", corrupt, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), Options{Path: tc.path, BaseURL: testBase})
			if err == nil {
				t.Fatal("opened a file that is not a database")
			}
			if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q should name %s and say %q", err, tc.path, tc.want)
			}
			after, _ := os.ReadFile(tc.path)
			if tc.name == "Garbage" && !slices.Equal(after, b) {
				t.Error("Open changed the file")
			}
		})
	}
}

func TestMigrationFilesNumbered(t *testing.T) {
	ms, err := migrations(sqliteDialect.migrations)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 || !strings.HasPrefix(m.name, fmt.Sprintf("%04d_", i+1)) {
			t.Errorf("migration %d is %s", i+1, m.name)
		}
	}
	// One number is one schema step in both dialects.
	pg, err := migrations(postgresDialect.migrations)
	if err != nil {
		t.Fatal(err)
	}
	var names, pgNames []string
	for _, m := range ms {
		names = append(names, m.name)
	}
	for _, m := range pg {
		pgNames = append(pgNames, m.name)
	}
	if !slices.Equal(names, pgNames) {
		t.Errorf("PostgreSQL migrations %v, want the twins of %v", pgNames, names)
	}
}
