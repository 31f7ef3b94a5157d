package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/commons-directory/commons/store"
)

// cmdStoreCopy copies an instance's database into a new one of either
// kind: moving from SQLite to PostgreSQL, or back.
func cmdStoreCopy(ctx context.Context, c *cli, args []string) error {
	const usage = "--from sqlite:PATH|postgres:URL --to sqlite:PATH|postgres:URL"
	fs, configPath := newFlags(c, "store copy", usage,
		"copy every row of a database (keys included) into a new, empty one of either kind, and check the counts")
	from := fs.String("from", "", "the database to copy: `sqlite:PATH or postgres:URL`")
	to := fs.String("to", "", "the new database to fill: `sqlite:PATH or postgres:URL`")
	rest, err := parse(c, fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) > 0 {
		return usagef("store copy: unexpected %q; give --from and --to", rest[0])
	}
	src, err := storeArg("--from", *from)
	if err != nil {
		return err
	}
	dst, err := storeArg("--to", *to)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Log, c.stderr)
	a, err := store.Open(ctx, src.options(cfg.Server.BaseURL, logger))
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := store.Open(ctx, dst.options(cfg.Server.BaseURL, logger))
	if err != nil {
		return err
	}
	defer b.Close()
	start := time.Now()
	counts, err := a.CopyInto(ctx, b)
	if err != nil {
		return err
	}
	var total int64
	for _, n := range counts {
		if n.Rows > 0 {
			fmt.Fprintf(c.stdout, "%-18s %8d rows\n", n.Table, n.Rows)
		}
		total += n.Rows
	}
	fmt.Fprintf(c.stdout, "copied %d rows from %s to %s in %s; the counts match\n", total, src.name(), dst.name(), time.Since(start).Round(time.Millisecond))
	return nil
}

// storeArg reads a database named as sqlite:PATH or postgres:URL (the URL
// may also be given whole, postgres://…).
func storeArg(flag, s string) (Store, error) {
	switch {
	case s == "":
		return Store{}, usagef("store copy: %s is missing: give sqlite:PATH or postgres:URL", flag)
	case strings.HasPrefix(s, "sqlite:"):
		if p := strings.TrimPrefix(s, "sqlite:"); p != "" {
			return Store{Driver: store.DriverSQLite, Path: p}, nil
		}
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return Store{Driver: store.DriverPostgres, URL: s}, nil
	case strings.HasPrefix(s, "postgres:"):
		return Store{Driver: store.DriverPostgres, URL: strings.TrimPrefix(s, "postgres:")}, nil
	}
	return Store{}, usagef("store copy: %s %q: give sqlite:PATH or postgres:URL", flag, s)
}
