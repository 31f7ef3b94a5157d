// Package pgtest gives tests fresh PostgreSQL databases on the server named
// by COMMONSD_TEST_POSTGRES, a URL whose role may create databases, e.g.
// postgres://commonsd:secret@127.0.0.1:5432/postgres?sslmode=disable.
//
// Without the variable, tests that need PostgreSQL skip with a one-line
// reason; under CI=true they fail instead, as they do when the server is
// unreachable.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env is the variable that names the test server.
const Env = "COMMONSD_TEST_POSTGRES"

var (
	mu    sync.Mutex
	named = map[string]string{} // key → URL, for Named
)

// Available reports whether a test server is configured.
func Available() bool { return os.Getenv(Env) != "" }

// unavailable skips the test, or fails it under CI=true.
func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL tests need a server under CI: %s", why)
	}
	tb.Skipf("PostgreSQL: %s", why)
}

// Require skips (or under CI fails) the test when no server is configured.
func Require(tb testing.TB) {
	tb.Helper()
	if !Available() {
		unavailable(tb, Env+" is not set")
	}
}

// URL creates an empty database, dropped when the test ends, and returns
// its URL.
func URL(tb testing.TB) string {
	tb.Helper()
	Require(tb)
	admin := os.Getenv(Env)
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: not a URL", Env)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "pgtest_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		unavailable(tb, err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		db.Close()
		unavailable(tb, err.Error())
	}
	tb.Cleanup(func() {
		defer db.Close()
		// A backend the role may not end (the server's autovacuum on the
		// new database) can hold it for a moment: try again until it is
		// gone, for up to a minute.
		deadline := time.Now().Add(time.Minute)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			_, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			cancel()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				tb.Errorf("drop test database %s: %v", name, err)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Named returns the same database for the same key until the test that
// created it ends: a test that opens a store twice by one path finds its
// data again. The URL without its password is a key of it too.
func Named(tb testing.TB, key string) string {
	tb.Helper()
	mu.Lock()
	if s, ok := named[key]; ok {
		mu.Unlock()
		return s
	}
	mu.Unlock()
	s := URL(tb)
	r := s
	if u, err := url.Parse(s); err == nil {
		r = u.Redacted()
	}
	mu.Lock()
	named[key], named[r] = s, s
	mu.Unlock()
	tb.Cleanup(func() {
		mu.Lock()
		delete(named, key)
		delete(named, r)
		mu.Unlock()
	})
	return s
}
