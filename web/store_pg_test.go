package web

import (
	"strings"
	"testing"

	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/store/pgtest"
)

// eachStore runs the test once for each store, as the sub-tests sqlite and
// postgres; the postgres one needs a server (see store/pgtest).
func eachStore(t *testing.T, fn func(t *testing.T)) {
	t.Run(store.DriverSQLite, fn)
	t.Run(store.DriverPostgres, func(t *testing.T) {
		pgtest.Require(t)
		fn(t)
	})
}

// testStoreOptions are the options of a test server's store: a SQLite file,
// or in eachStore's postgres sub-test a fresh PostgreSQL database.
func testStoreOptions(t testing.TB, path, base string) store.Options {
	if strings.Contains(t.Name(), "/"+store.DriverPostgres) {
		return store.Options{Driver: store.DriverPostgres, URL: pgtest.URL(t), BaseURL: base}
	}
	return store.Options{Path: path, BaseURL: base}
}
