package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/commons-directory/commons/publiccode"
)

// newPubliccodeServer starts a test server whose HTTP client reaches a
// file server on loopback (the guarded client would refuse it) that
// serves the sample publiccode.yml for another repository. It returns the
// sample as read.
func newPubliccodeServer(t *testing.T) ([]byte, *httptest.Server, *testServer) {
	t.Helper()
	sample, err := os.ReadFile("testdata/publiccode.yml")
	if err != nil {
		t.Fatal(err)
	}
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(strings.Replace(string(sample), "https://example.com/italia/medusa.git", "https://example.com/other.git", 1)))
	}))
	t.Cleanup(files.Close)
	return sample, files, newTestServer(t, spec, func(o *Options) { o.HTTPClient = files.Client() })
}

func TestPubliccodeImportAndExport(t *testing.T) {
	sample, files, s := newPubliccodeServer(t)
	const route = "/api/v1/import/publiccode"
	yamlBody := func(body string) req {
		return req{Method: "POST", Route: route, Path: route, Header: auth(s.editor, "Content-Type", "application/yaml"), Body: body}
	}
	answer := func(t *testing.T, b []byte) importAnswer {
		t.Helper()
		var a importAnswer
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("decode answer: %v\n%s", err, b)
		}
		return a
	}

	resp, b := s.do(t, yamlBody(string(sample)))
	expect(t, resp, b, http.StatusCreated)
	if a := answer(t, b); a.Result != publiccode.Created || a.Record.Slug != "medusa" || len(a.Warnings) == 0 || a.Warnings[0].Line == 0 {
		t.Errorf("created: %+v", a)
	}
	if loc := resp.Header.Get("Location"); loc != s.URL+"/api/v1/records/medusa" {
		t.Errorf("Location %q", loc)
	}

	t.Run("Again", func(t *testing.T) {
		resp, b := s.do(t, yamlBody(string(sample)))
		expect(t, resp, b, http.StatusOK)
		if a := answer(t, b); a.Result != publiccode.Unchanged {
			t.Errorf("re-import: %s", a.Result)
		}
	})
	t.Run("Changed", func(t *testing.T) {
		changed := strings.Replace(string(sample), "developmentStatus: development", "developmentStatus: beta", 1)
		q := yamlBody(changed)
		q.Path += "?dry_run=1"
		resp, b := s.do(t, q)
		expect(t, resp, b, http.StatusOK)
		if rec, _ := s.db.Record(t.Context(), "medusa"); rec.Status != "development" {
			t.Fatal("the dry run stored the change")
		}
		resp, b = s.do(t, yamlBody(changed))
		expect(t, resp, b, http.StatusOK)
		if a := answer(t, b); a.Result != publiccode.Updated || strings.Join(a.Changes, ",") != "status" || a.Record.Status != "beta" {
			t.Errorf("update: %+v", a)
		}
	})
	t.Run("ByURL", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "POST", Route: route, Path: route, Header: auth(s.editor), Body: `{"url": "` + files.URL + `/publiccode.yml"}`})
		expect(t, resp, b, http.StatusCreated)
		a := answer(t, b)
		if a.Record.Slug != "medusa-2" || a.Record.Provenance.SourceURL != files.URL+"/publiccode.yml" {
			t.Errorf("by URL: slug %s, source %s", a.Record.Slug, a.Record.Provenance.SourceURL)
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		bad := strings.Replace(string(sample), "AGPL-3.0-or-later", "GPL-9", 1)
		for _, tt := range []struct {
			name   string
			q      req
			status int
			says   string
		}{
			{"InvalidFile", yamlBody(bad), 400, "line 44"},
			{"UnknownVersion", yamlBody(strings.Replace(string(sample), `"0.4"`, `"9.9"`, 1)), 400, `"field":"publiccodeYmlVersion","pointer":"/publiccodeYmlVersion","detail":"line 2: unsupported version \"9.9\"`},
			{"MalformedYAML", yamlBody("name: a\nurl: \"b\n"), 400, `"detail":"line 2: malformed YAML`},
			{"NoURL", req{Method: "POST", Route: route, Path: route, Header: auth(s.editor), Body: `{"url": ""}`}, 400, "url"},
			{"UnknownMember", req{Method: "POST", Route: route, Path: route, Header: auth(s.editor), Body: `{"href": "x"}`}, 400, "href"},
			{"BadDryRun", func() req { q := yamlBody(string(sample)); q.Path += "?dry_run=perhaps"; return q }(), 400, "dry_run"},
			{"NoToken", req{Method: "POST", Route: route, Path: route, Header: map[string]string{"Content-Type": "application/yaml"}, Body: string(sample)}, 401, "Authorization"},
			{"WrongType", req{Method: "POST", Route: route, Path: route, Header: auth(s.editor, "Content-Type", "text/plain"), Body: string(sample)}, 415, "application/yaml"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, b := s.do(t, tt.q)
				expect(t, resp, b, tt.status)
				if !strings.Contains(string(b), tt.says) {
					t.Errorf("problem does not say %q: %s", tt.says, b)
				}
			})
		}
		// Nothing of a refused file was stored.
		if rec, err := s.db.Record(t.Context(), "medusa"); err != nil || rec.Status != "beta" || rec.Licences[0].Expression != "AGPL-3.0-or-later" {
			t.Errorf("after the refusals: %+v, %v", rec, err)
		}
		p := problemOf(t, func() []byte { _, b := s.do(t, yamlBody(bad)); return b }())
		if len(p.Errors) != 1 || p.Errors[0].Field != "legal.license" || !strings.HasPrefix(p.Errors[0].Detail, "line 44: ") {
			t.Errorf("problem errors %+v", p.Errors)
		}
	})
	t.Run("NoClient", func(t *testing.T) {
		s2 := newTestServer(t, spec, nil)
		resp, b := s2.do(t, req{Method: "POST", Route: route, Path: route, Header: auth(s2.editor), Body: `{"url": "https://example.com/publiccode.yml"}`})
		expect(t, resp, b, http.StatusForbidden)
	})

	t.Run("Export", func(t *testing.T) {
		const exp = "/records/{slug}/publiccode.yml"
		resp, b := s.do(t, req{Method: "GET", Route: exp, Path: "/records/medusa/publiccode.yml"})
		expect(t, resp, b, http.StatusOK)
		if !strings.Contains(string(b), "# Generated by Commons Directory from record medusa at "+s.URL) {
			t.Errorf("no header:\n%s", b)
		}
		res, err := publiccode.Parse(b, "")
		if err != nil {
			t.Fatalf("our export does not parse: %v\n%s", err, b)
		}
		if res.URL != "https://example.com/italia/medusa.git" || res.Record.Status != "beta" {
			t.Errorf("export: url %s status %s", res.URL, res.Record.Status)
		}
		resp, b = s.do(t, req{Method: "GET", Route: exp, Path: "/records/medusa/publiccode.yml", Header: map[string]string{"If-None-Match": resp.Header.Get("ETag")}})
		expect(t, resp, b, http.StatusNotModified)

		s.create(t, "osm") // geodata: no publiccode.yml
		resp, b = s.do(t, req{Method: "GET", Route: exp, Path: "/records/osm/publiccode.yml"})
		expect(t, resp, b, http.StatusNotFound)
		if !strings.Contains(string(b), "not software") {
			t.Errorf("404 does not say why: %s", b)
		}
		resp, b = s.do(t, req{Method: "DELETE", Route: "/api/v1/records/{slug}", Path: "/api/v1/records/medusa-2", Header: auth(s.editor, "If-Match", "*")})
		expect(t, resp, b, http.StatusNoContent)
		resp, b = s.do(t, req{Method: "GET", Route: exp, Path: "/records/medusa-2/publiccode.yml"})
		expect(t, resp, b, http.StatusGone)
	})
}
