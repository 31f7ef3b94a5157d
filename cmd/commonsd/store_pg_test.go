package main

import (
	"testing"

	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/store/pgtest"
)

// eachStore runs the test once for each store, as the sub-tests sqlite and
// postgres; the postgres one needs a server (see store/pgtest). The
// instances of newInstanceWith in it keep their data on that store.
func eachStore(t *testing.T, fn func(t *testing.T)) {
	t.Run(store.DriverSQLite, fn)
	t.Run(store.DriverPostgres, func(t *testing.T) {
		pgtest.Require(t)
		fn(t)
	})
}
