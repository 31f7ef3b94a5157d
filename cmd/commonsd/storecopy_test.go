package main

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/demo"
	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/store/pgtest"
)

// TestStoreCopy moves an instance from SQLite to PostgreSQL and back with
// commonsd store copy, and refuses a target that is not empty.
func TestStoreCopy(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct{ args, want string }{
		{"--to sqlite:x.db", "--from is missing"},
		{"--from mysql://x --to sqlite:x.db", `--from "mysql://x"`},
		{"--from sqlite:a.db --to sqlite:", `--to "sqlite:"`},
	} {
		if _, _, err := e.run(context.Background(), "", append([]string{"store", "copy"}, strings.Fields(tc.args)...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("store copy %s: %v, want %q", tc.args, err, tc.want)
		}
	}
	pgtest.Require(t)
	ctx := context.Background()
	path := e.vars["COMMONSD_STORE_PATH"]
	db, err := store.Open(ctx, store.Options{Path: path, BaseURL: e.url})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := demo.Records()
	if err != nil {
		t.Fatal(err)
	}
	rs := make([]*commons.Record, len(entries))
	for i, en := range entries {
		rs[i] = en.Record
	}
	if _, err := db.ImportRecords(ctx, rs, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e.mustRun("correct horse battery staple\n", "user", "add", "ed")

	pg := pgtest.URL(t)
	back := filepath.Join(t.TempDir(), "back.db")
	out := e.mustRun("", "store", "copy", "--from", "sqlite:"+path, "--to", "postgres:"+pg)
	if !strings.Contains(out, "the counts match") || !strings.Contains(out, "records ") {
		t.Errorf("copy to PostgreSQL says:\n%s", out)
	}
	out = e.mustRun("", "store", "copy", "--from", pg, "--to", "sqlite:"+back)
	if !strings.Contains(out, "the counts match") {
		t.Errorf("copy back says:\n%s", out)
	}
	if u, err := url.Parse(pg); err == nil {
		if pw, ok := u.User.Password(); ok && strings.Contains(out, pw) {
			t.Errorf("the output shows the password:\n%s", out)
		}
	}
	for _, u := range []string{"sqlite:" + back} {
		e.vars["COMMONSD_STORE_PATH"] = strings.TrimPrefix(u, "sqlite:")
		if got := e.mustRun("", "user", "list"); !strings.Contains(got, "ed") {
			t.Errorf("users after the copies: %s", got)
		}
		exported := e.mustRun("", "record", "export")
		if n := strings.Count(exported, "\n"); n != len(rs) {
			t.Errorf("%d records exported after the copies, want %d", n, len(rs))
		}
	}
	if _, _, err := e.run(ctx, "", "store", "copy", "--from", "sqlite:"+path, "--to", "postgres:"+pg); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("copy into a non-empty database: %v", err)
	}
}

// TestMigrateAndBackupOnPostgres: commonsd migrate brings a PostgreSQL
// database up to date and exits; commonsd backup says to use pg_dump.
func TestMigrateAndBackupOnPostgres(t *testing.T) {
	pgtest.Require(t)
	e := newTestEnv(t)
	e.vars["COMMONSD_STORE_DRIVER"] = "postgres"
	e.vars["COMMONSD_STORE_URL"] = pgtest.URL(t)
	u, _ := url.Parse(e.vars["COMMONSD_STORE_URL"])
	pw, _ := u.User.Password()
	if out := e.mustRun("", "migrate"); !strings.Contains(out, "applied migrations [1 2 3") || pw != "" && strings.Contains(out, pw) {
		t.Errorf("migrate says: %s", out)
	}
	if out := e.mustRun("", "migrate"); !strings.Contains(out, "is up to date") {
		t.Errorf("migrate again says: %s", out)
	}
	_, _, err := e.run(context.Background(), "", "backup", filepath.Join(t.TempDir(), "b.db"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || strings.Contains(err.Error(), "\n") {
		t.Errorf("backup on PostgreSQL: %v, want one line naming pg_dump", err)
	}
}

// TestPostgresUnreachable: with a PostgreSQL server that does not answer,
// commonsd backup still says to use pg_dump (it needs no connection), and
// migrate fails with one line naming the database without its password.
func TestPostgresUnreachable(t *testing.T) {
	e := newTestEnv(t)
	e.vars["COMMONSD_STORE_DRIVER"] = "postgres"
	e.vars["COMMONSD_STORE_URL"] = "postgres://commons:s3cret-pw@127.0.0.1:1/commons?connect_timeout=5"
	_, _, err := e.run(context.Background(), "", "backup", filepath.Join(t.TempDir(), "b.db"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup with the server down: %v, want a line naming pg_dump", err)
	}
	_, _, err = e.run(context.Background(), "", "migrate")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "\n") ||
		strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("migrate with the server down: %v, want one line naming the database, without the password", err)
	}
}
