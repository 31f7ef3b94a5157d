package web

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

// spec is shared by every test that talks to a server, so that TestMain
// can tell which documented responses no test produced.
var spec *apiSpec

// unreachable lists documented responses no test can produce, with why.
var unreachable = map[string]string{
	"POST /api/v1/records 403":          "every role (admin, editor) may edit; 403 waits for a role that may not",
	"PUT /api/v1/records/{slug} 403":    "as above",
	"PATCH /api/v1/records/{slug} 403":  "as above",
	"DELETE /api/v1/records/{slug} 403": "as above",
}

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	if spec, err = newSpec(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	whole := flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.bench").Value.String() == "" &&
		flag.Lookup("test.list").Value.String() == "" // go test -list runs no test
	if code == 0 && whole {
		var missing []string
		for _, d := range spec.documented() {
			if _, ok := unreachable[d]; !ok && !spec.seen[d] {
				missing = append(missing, d)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: documented responses no test produced (test them or fix openapi.json):\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

func expect(t testing.TB, resp *http.Response, b []byte, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body: %s", resp.StatusCode, status, b)
	}
}

// TestRecordLifecycle walks one record through create, read, conditional
// read, replace, patch, history and delete, with every precondition case.
func TestRecordLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		s := newTestServer(t, spec, nil)
		const item = "/api/v1/records/{slug}"
		path := "/api/v1/records/osm"

		resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor),
			Body: strings.Replace(recordJSON("osm"), `"slug"`, `"id": "https://evil.example/records/x", "provenance": {"origin": "https://evil.example", "version": 99}, "slug"`, 1)})
		expect(t, resp, b, http.StatusCreated)
		var rec commons.Record
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if want := s.URL + path; resp.Header.Get("Location") != want {
			t.Errorf("Location = %q, want %q", resp.Header.Get("Location"), want)
		}
		if rec.ID != s.URL+"/records/osm" || rec.Provenance.Origin != s.URL || rec.Provenance.Version != 1 || rec.Provenance.Source != "api" {
			t.Errorf("server-owned fields not the server's: id %q, provenance %+v", rec.ID, rec.Provenance)
		}
		tag1 := resp.Header.Get("ETag")

		t.Run("Get", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: item, Path: path})
			expect(t, resp, b, http.StatusOK)
			if got := resp.Header.Get("ETag"); got != tag1 {
				t.Errorf("ETag = %q, want the one POST gave, %q", got, tag1)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control = %q", cc)
			}
			var got commons.Record
			if err := json.Unmarshal(b, &got); err != nil || got.Slug != "osm" || got.Name["fr"] == "" {
				t.Errorf("record = %+v, %v", got, err)
			}
		})
		t.Run("NotModified", func(t *testing.T) {
			for _, inm := range []string{tag1, "W/" + tag1, `"0-0", ` + tag1, "*"} {
				resp, b := s.do(t, req{Method: "GET", Route: item, Path: path, Header: map[string]string{"If-None-Match": inm}})
				expect(t, resp, b, http.StatusNotModified)
			}
			resp, b := s.do(t, req{Method: "GET", Route: item, Path: path, Header: map[string]string{"If-None-Match": `"1-0000"`}})
			expect(t, resp, b, http.StatusOK)
		})
		t.Run("Conflict", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: recordJSON("osm")})
			expect(t, resp, b, http.StatusConflict)
		})

		replaced := strings.Replace(recordJSON(""), `"status": "stable"`, `"status": "maintained-only"`, 1)
		t.Run("PutWithoutIfMatch", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PUT", Route: item, Path: path, Header: auth(s.editor), Body: replaced})
			expect(t, resp, b, http.StatusPreconditionRequired)
			if p := problemOf(t, b); !strings.Contains(p.Detail, "If-Match") || p.Type != s.URL+"/problems/precondition_required" {
				t.Errorf("problem = %+v, want it to name If-Match", p)
			}
		})
		t.Run("PutStale", func(t *testing.T) {
			for _, im := range []string{`"7-0123456789abcdef"`, "W/" + tag1, `"1-0123456789abcdef"`} {
				resp, b := s.do(t, req{Method: "PUT", Route: item, Path: path, Header: auth(s.editor, "If-Match", im), Body: replaced})
				expect(t, resp, b, http.StatusPreconditionFailed)
			}
		})
		t.Run("PutSlugMismatch", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PUT", Route: item, Path: path, Header: auth(s.editor, "If-Match", tag1), Body: recordJSON("wikipedia")})
			expect(t, resp, b, http.StatusBadRequest)
			if p := problemOf(t, b); len(p.Errors) != 1 || p.Errors[0].Field != "slug" {
				t.Errorf("errors = %+v, want slug", p.Errors)
			}
		})
		var tag2 string
		t.Run("Put", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PUT", Route: item, Path: path, Header: auth(s.editor, "If-Match", tag1), Body: replaced})
			expect(t, resp, b, http.StatusOK)
			tag2 = resp.Header.Get("ETag")
			var got commons.Record
			json.Unmarshal(b, &got)
			if got.Status != "maintained-only" || got.Provenance.Version != 2 || tag2 == tag1 {
				t.Errorf("after PUT: status %q version %d ETag %q (was %q)", got.Status, got.Provenance.Version, tag2, tag1)
			}
			// The old ETag is now stale: never a silent lost update.
			resp, b = s.do(t, req{Method: "PUT", Route: item, Path: path, Header: auth(s.editor, "If-Match", tag1), Body: recordJSON("")})
			expect(t, resp, b, http.StatusPreconditionFailed)
		})

		patchHdr := func(im string) map[string]string {
			return auth(s.editor, "If-Match", im, "Content-Type", mediaPatch)
		}
		t.Run("PatchNeedsMergePatchType", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PATCH", Route: item, Path: path, Header: auth(s.editor, "If-Match", tag2), Body: `{"status":"stable"}`})
			expect(t, resp, b, http.StatusUnsupportedMediaType)
			if resp.Header.Get("Accept-Patch") != mediaPatch {
				t.Errorf("Accept-Patch = %q", resp.Header.Get("Accept-Patch"))
			}
		})
		t.Run("PatchWithoutIfMatch", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PATCH", Route: item, Path: path, Header: auth(s.editor, "Content-Type", mediaPatch), Body: `{"status":"stable"}`})
			expect(t, resp, b, http.StatusPreconditionRequired)
		})
		t.Run("PatchStale", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PATCH", Route: item, Path: path, Header: patchHdr(tag1), Body: `{"status":"stable"}`})
			expect(t, resp, b, http.StatusPreconditionFailed)
		})
		t.Run("PatchInvalidResult", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PATCH", Route: item, Path: path, Header: patchHdr(tag2), Body: `{"status":"bogus","kinds":null}`})
			expect(t, resp, b, http.StatusBadRequest)
			p := problemOf(t, b)
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			if !slices.Contains(fields, "status") || !slices.Contains(fields, "kinds") {
				t.Errorf("errors name %v, want status and kinds", fields)
			}
		})
		t.Run("PatchUnknownField", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PATCH", Route: item, Path: path, Header: patchHdr(tag2), Body: `{"links":{"homepge":"https://x.example"}}`})
			expect(t, resp, b, http.StatusBadRequest)
			if p := problemOf(t, b); len(p.Errors) != 1 || p.Errors[0].Field != "links.homepge" || p.Errors[0].Pointer != "/links/homepge" {
				t.Errorf("errors = %+v", p.Errors)
			}
		})
		t.Run("PatchSlug", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PATCH", Route: item, Path: path, Header: patchHdr(tag2), Body: `{"slug":"other"}`})
			expect(t, resp, b, http.StatusBadRequest)
		})
		var tag3 string
		t.Run("Patch", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "PATCH", Route: item, Path: path, Header: patchHdr(tag2),
				Body: `{"summary":{"fr":null,"de":"Die freie Weltkarte."},"keywords":["maps"],"governance":{"model":"foundation"}}`})
			expect(t, resp, b, http.StatusOK)
			tag3 = resp.Header.Get("ETag")
			var got commons.Record
			json.Unmarshal(b, &got)
			if got.Summary["fr"] != "" || got.Summary["de"] == "" || got.Summary["en"] == "" || !slices.Equal(got.Keywords, []string{"maps"}) ||
				got.Governance == nil || got.Status != "maintained-only" || got.Provenance.Version != 3 {
				t.Errorf("after PATCH: %+v", got)
			}
		})
		t.Run("History", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: item + "/history", Path: path + "/history"})
			expect(t, resp, b, http.StatusOK)
			var h struct{ Items []commons.Revision }
			if err := json.Unmarshal(b, &h); err != nil || len(h.Items) != 3 {
				t.Fatalf("history = %s (%v), want 3 revisions", b, err)
			}
			if h.Items[0].Actor != "ed" {
				t.Errorf("newest revision = %+v, want actor ed", h.Items[0])
			}
		})
		t.Run("DeleteWithoutIfMatch", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "DELETE", Route: item, Path: path, Header: auth(s.admin)})
			expect(t, resp, b, http.StatusPreconditionRequired)
		})
		t.Run("DeleteStale", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "DELETE", Route: item, Path: path, Header: auth(s.admin, "If-Match", tag2)})
			expect(t, resp, b, http.StatusPreconditionFailed)
		})
		t.Run("PageNotModified", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: "/records/{slug}", Path: "/records/osm", Header: map[string]string{"Accept": mediaJSON, "If-None-Match": tag3}})
			expect(t, resp, b, http.StatusNotModified)
		})
		t.Run("Delete", func(t *testing.T) {
			resp, b := s.do(t, req{Method: "DELETE", Route: item, Path: path, Header: auth(s.admin, "If-Match", tag3)})
			expect(t, resp, b, http.StatusNoContent)
			resp, b = s.do(t, req{Method: "GET", Route: item + "/history", Path: path + "/history"})
			expect(t, resp, b, http.StatusOK)
			var h struct{ Items []commons.Revision }
			if err := json.Unmarshal(b, &h); err != nil || len(h.Items) != 4 || h.Items[0].Action != "delete" || h.Items[0].Actor != "ada" {
				t.Errorf("history after delete = %s (%v), want 4 revisions, the newest a delete by ada", b, err)
			}
		})
		t.Run("Gone", func(t *testing.T) {
			for _, q := range []req{
				{Method: "GET", Route: item, Path: path},
				{Method: "PUT", Route: item, Path: path, Header: auth(s.editor, "If-Match", tag3), Body: recordJSON("osm")},
				{Method: "PATCH", Route: item, Path: path, Header: patchHdr(tag3), Body: `{}`},
				{Method: "DELETE", Route: item, Path: path, Header: auth(s.editor, "If-Match", tag3)},
				{Method: "GET", Route: "/records/{slug}", Path: "/records/osm"},
			} {
				resp, b := s.do(t, q)
				expect(t, resp, b, http.StatusGone)
			}
			resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: recordJSON("osm")})
			expect(t, resp, b, http.StatusConflict)
		})
		t.Run("NotFound", func(t *testing.T) {
			for _, q := range []req{
				{Method: "GET", Route: item, Path: "/api/v1/records/nope"},
				{Method: "GET", Route: item + "/history", Path: "/api/v1/records/nope/history"},
				{Method: "PUT", Route: item, Path: "/api/v1/records/nope", Header: auth(s.editor, "If-Match", tag1), Body: recordJSON("nope")},
				{Method: "PATCH", Route: item, Path: "/api/v1/records/nope", Header: patchHdr(tag1), Body: `{}`},
				{Method: "DELETE", Route: item, Path: "/api/v1/records/nope", Header: auth(s.editor, "If-Match", tag1)},
			} {
				resp, b := s.do(t, q)
				expect(t, resp, b, http.StatusNotFound)
				if p := problemOf(t, b); p.Status != 404 || p.Instance != "/api/v1/records/nope"+strings.TrimPrefix(q.Route, item) {
					t.Errorf("%s %s: problem = %+v", q.Method, q.Path, p)
				}
			}
		})
	})
}
