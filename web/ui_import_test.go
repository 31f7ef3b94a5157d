package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestUIImport imports publiccode.yml files through the editors' page:
// signed in, with the CSRF token, pasted or by URL, good and bad.
func TestUIImport(t *testing.T) {
	sample, files, s := newPubliccodeServer(t)
	b := s.browser(t)
	form := func(yaml string) url.Values { return url.Values{"yaml": {yaml}} }

	resp, _ := b.do("GET", "/edit/import", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
		t.Fatalf("signed out: %d to %q", resp.StatusCode, loc)
	}
	b.login("ed")
	wantIn(t, "new record form", b.get("/edit/new", http.StatusOK), `<a href="/edit/import">Import a publiccode.yml</a>`)
	page := b.get("/edit/import", http.StatusOK)
	wantIn(t, "form", page, `<form method="post" action="/edit/import"`, `name="csrf"`, `<textarea id="f-yaml" name="yaml"`, `<input id="f-url" name="url" type="url"`)

	t.Run("CSRF", func(t *testing.T) {
		f := form(string(sample))
		f.Set("csrf", "forged")
		b.post("/edit/import", f, http.StatusForbidden)
		if _, err := s.db.Record(t.Context(), "medusa"); err == nil {
			t.Fatal("a forged form imported the file")
		}
	})
	t.Run("Created", func(t *testing.T) {
		_, page := b.post("/edit/import", form(string(sample)), http.StatusOK)
		wantIn(t, "created", page, "The record Medusa was created.", `<a href="/records/medusa">Medusa</a>`,
			"Keys the record has no place for", "<code>platforms</code>", "line ")
		rec, err := s.db.Record(t.Context(), "medusa")
		if err != nil || rec.Provenance.Source != "publiccode" {
			t.Fatalf("record %+v, %v", rec, err)
		}
	})
	changed := strings.Replace(string(sample), "developmentStatus: development", "developmentStatus: beta", 1)
	t.Run("DryRun", func(t *testing.T) {
		f := form(changed)
		f.Set("dry_run", "1")
		_, page := b.post("/edit/import", f, http.StatusOK)
		wantIn(t, "dry run", page, "it would update the record Medusa. Nothing was saved.", "<code>status</code>", " checked>")
		if rec, _ := s.db.Record(t.Context(), "medusa"); rec.Status != "development" {
			t.Fatal("the dry run stored the change")
		}
	})
	t.Run("Updated", func(t *testing.T) {
		_, page := b.post("/edit/import", form(changed), http.StatusOK)
		wantIn(t, "updated", page, "The record Medusa was updated.", "What changed", "<code>status</code>", "<ins>")
		if rec, _ := s.db.Record(t.Context(), "medusa"); rec.Status != "beta" {
			t.Fatalf("status %s after the update", rec.Status)
		}
		_, page = b.post("/edit/import", form(changed), http.StatusOK)
		wantIn(t, "again", page, "already says what the file says")
	})
	t.Run("ByURL", func(t *testing.T) {
		_, page := b.post("/edit/import", url.Values{"url": {files.URL + "/publiccode.yml"}}, http.StatusOK)
		wantIn(t, "by URL", page, "was created.", `<a href="/records/medusa-2">`)
		if rec, err := s.db.Record(t.Context(), "medusa-2"); err != nil || rec.Provenance.SourceURL != files.URL+"/publiccode.yml" {
			t.Fatalf("record by URL: %+v, %v", rec, err)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			form url.Values
			says []string
		}{
			{"InvalidLicence", form(strings.Replace(changed, "AGPL-3.0-or-later", "GPL-9", 1)),
				[]string{"The file was not imported", "line 44: <code>legal.license</code>: ", "GPL-9"}},
			{"UnknownVersion", form(strings.Replace(changed, `"0.4"`, `"9.9"`, 1)), []string{"line 2: <code>publiccodeYmlVersion</code>: "}},
			{"MalformedYAML", form("name: [a\n"), []string{"malformed YAML"}},
			{"Empty", form(""), []string{"Paste a publiccode.yml or give its address."}},
			{"Both", url.Values{"yaml": {changed}, "url": {files.URL}}, []string{"not both"}},
			{"FetchFails", url.Values{"url": {"ftp://example.com/publiccode.yml"}}, []string{"is not an absolute http(s) URL"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, page := b.post("/edit/import", tt.form, http.StatusUnprocessableEntity)
				wantIn(t, tt.name, page, append(tt.says, `role="alert"`, `aria-describedby="h-yaml import-errors"`)...)
				if rec, _ := s.db.Record(t.Context(), "medusa"); rec.Status != "beta" || rec.Licences[0].Expression != "AGPL-3.0-or-later" {
					t.Fatalf("a refused file changed the record: %+v", rec)
				}
			})
		}
	})
	t.Run("NoClient", func(t *testing.T) {
		s2 := newTestServer(t, spec, nil)
		b2 := s2.browser(t)
		b2.login("ed")
		if page := b2.get("/edit/import", http.StatusOK); strings.Contains(page, `name="url"`) {
			t.Error("an instance that fetches nothing offers the URL field")
		}
		_, page := b2.post("/edit/import", url.Values{"url": {files.URL + "/publiccode.yml"}}, http.StatusUnprocessableEntity)
		wantIn(t, "no client", page, "This instance does not fetch files by address")
	})
	t.Run("French", func(t *testing.T) {
		b.lang = "fr"
		defer func() { b.lang = "" }()
		_, page := b.post("/edit/import", form(changed), http.StatusOK)
		wantIn(t, "fr", page, "La fiche Medusa dit déjà ce que dit le fichier")
		_, page = b.post("/edit/import", form("name: [a\n"), http.StatusUnprocessableEntity)
		wantIn(t, "fr errors", page, "Le fichier n’a pas été importé")
	})
}
