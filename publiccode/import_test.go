package publiccode

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

func openStore(t *testing.T) *store.DB { return openStoreTB(t) }

func openStoreTB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{
		Path: filepath.Join(t.TempDir(), "commons.db"), BaseURL: "https://dir.example",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	sample := readSample(t)
	const src = "https://example.com/italia/medusa/raw/main/publiccode.yml"

	out, err := Import(ctx, db, sample, ImportOptions{SourceURL: src, Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != Created || out.Record.Slug != "medusa" || len(out.Warnings) == 0 {
		t.Fatalf("first import: %s %s, %d warnings", out.Action, out.Record.Slug, len(out.Warnings))
	}
	rec, err := db.Record(ctx, "medusa")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Provenance.Source != "publiccode" || rec.Provenance.SourceURL != src || rec.Identifier("publiccode") != "https://example.com/italia/medusa.git" {
		t.Errorf("provenance %+v, identifiers %v", rec.Provenance, rec.Identifiers)
	}

	t.Run("SameFileUnchanged", func(t *testing.T) {
		out, err := Import(ctx, db, sample, ImportOptions{SourceURL: src, Actor: "alice"})
		if err != nil || out.Action != Unchanged || len(out.Changes) != 0 {
			t.Fatalf("re-import: %v, %+v", err, out)
		}
	})
	t.Run("ChangedFileUpdates", func(t *testing.T) {
		// An editor added a Wikidata identifier; the file changes its licence.
		rec, _ := db.Record(ctx, "medusa")
		rec.Identifiers = append(rec.Identifiers, commons.Identifier{Scheme: "wikidata", Value: "Q42"})
		if err := db.UpdateRecord(ctx, rec, 0, "bob"); err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(sample), "AGPL-3.0-or-later", "EUPL-1.2", 1)
		changed = strings.Replace(changed, "developmentStatus: development", "developmentStatus: stable", 1)
		dry, err := Import(ctx, db, []byte(changed), ImportOptions{DryRun: true})
		if err != nil || dry.Action != Updated {
			t.Fatalf("dry run: %v %+v", err, dry)
		}
		if r, _ := db.Record(ctx, "medusa"); r.Licences[0].Expression != "AGPL-3.0-or-later" {
			t.Fatal("a dry run stored the change")
		}
		out, err := Import(ctx, db, []byte(changed), ImportOptions{SourceURL: src, Actor: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if out.Action != Updated || !slices.Equal(out.Changes, []string{"licences", "status"}) {
			t.Errorf("update: %s, changes %v", out.Action, out.Changes)
		}
		r, _ := db.Record(ctx, "medusa")
		if r.Licences[0].Expression != "EUPL-1.2" || r.Status != "stable" || r.Identifier("wikidata") != "Q42" || r.Provenance.Version != 3 {
			t.Errorf("stored: %v %s %v v%d", r.Licences, r.Status, r.Identifiers, r.Provenance.Version)
		}
		if local, remote, _ := db.CountRecords(ctx); local != 1 || remote != 0 {
			t.Errorf("%d local records, want 1", local)
		}
	})
	t.Run("OtherFileSameNameGetsNewSlug", func(t *testing.T) {
		other := strings.Replace(string(sample), "https://example.com/italia/medusa.git", "https://example.com/fork/medusa.git", 1)
		out, err := Import(ctx, db, []byte(other), ImportOptions{})
		if err != nil || out.Action != Created || out.Record.Slug != "medusa-2" {
			t.Fatalf("fork: %v %+v", err, out)
		}
	})
	t.Run("InvalidStoresNothing", func(t *testing.T) {
		bad := strings.Replace(string(sample), "https://example.com/italia/medusa.git", "https://example.com/new.git", 1)
		bad = strings.Replace(bad, "AGPL-3.0-or-later", "GPL-9", 1)
		_, err := Import(ctx, db, []byte(bad), ImportOptions{Name: "new.yml"})
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `new.yml:44: legal.license: "GPL-9"`) {
			t.Fatalf("err = %v", err)
		}
		if _, err := db.LocalRecordByIdentifier(ctx, "publiccode", "https://example.com/new.git"); commons.ErrorCode(err) != commons.ENOTFOUND {
			t.Errorf("an invalid file stored a record: %v", err)
		}
	})
}

func TestFetch(t *testing.T) {
	sample := readSample(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/publiccode.yml":
			w.Header().Set("Content-Type", "text/plain")
			w.Write(sample)
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<html></html>"))
		case "/big":
			w.Write(make([]byte, MaxFileBytes+10))
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	tests := []struct {
		path, code, says string
	}{
		{"/publiccode.yml", "", ""},
		{"/missing", commons.EINVALID, "404 Not Found"},
		{"/page", commons.EINVALID, "HTML page"},
		{"/big", commons.ETOOLARGE, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b, err := Fetch(ctx, ts.Client(), ts.URL+tt.path)
			if commons.ErrorCode(err) != tt.code || (err != nil && !strings.Contains(err.Error(), tt.says)) {
				t.Fatalf("err = %v, want code %q saying %q", err, tt.code, tt.says)
			}
			if tt.code == "" && string(b) != string(sample) {
				t.Error("body differs")
			}
		})
	}
	if _, err := Fetch(ctx, ts.Client(), "file:///etc/passwd"); commons.ErrorCode(err) != commons.EINVALID {
		t.Errorf("file URL: %v", err)
	}
}
