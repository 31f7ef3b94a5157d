package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestWriteErrors covers each way a write can be refused before it reaches
// the store's rules, and the validation problem that lists every field.
func TestWriteErrors(t *testing.T) {
	s := newTestServer(t, spec, nil)
	const route = "/api/v1/records"
	big := `{"slug":"big","keywords":["` + strings.Repeat("x", 2<<20) + `"]}`
	tests := []struct {
		name   string
		header map[string]string
		body   string
		status int
		fields []string // the problem's errors[].field, in order
		detail string   // a substring of the problem's detail
	}{
		{name: "MalformedJSON", header: auth(s.editor), body: `{"slug": "a",`, status: 400, detail: "malformed JSON"},
		{name: "TwoValues", header: auth(s.editor), body: `{"slug":"a"} {"slug":"b"}`, status: 400, detail: "more than one JSON value"},
		{name: "UnknownField", header: auth(s.editor), body: `{"slug":"a","colour":"red"}`, status: 400, fields: []string{"colour"}},
		{name: "WrongType", header: auth(s.editor), body: `{"slug":"a","licences":[{"expression":"MIT"},{"expression":42}]}`, status: 400, fields: []string{"licences[1].expression"}},
		{name: "InvalidFields", header: auth(s.editor),
			body:   `{"slug":"Bad Slug","name":{"en":"X"},"kinds":["software","spaceship"],"status":"stable","licences":[{"expression":"MIT"},{"expression":"not a licence"}]}`,
			status: 400, fields: []string{"slug", "kinds[1]", "licences[1].expression"}},
		{name: "TooLarge", header: auth(s.editor), body: big, status: 413},
		{name: "MissingToken", body: recordJSON("a"), status: 401},
		{name: "WrongScheme", header: map[string]string{"Authorization": "Basic ZWQ6cHc="}, body: recordJSON("a"), status: 401},
		{name: "WrongToken", header: auth("cdt_not-a-real-token"), body: recordJSON("a"), status: 401},
		{name: "WrongContentType", header: auth(s.editor, "Content-Type", "text/plain"), body: recordJSON("a"), status: 415},
		{name: "WrongCharset", header: auth(s.editor, "Content-Type", "application/json; charset=latin1"), body: recordJSON("a"), status: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := s.do(t, req{Method: "POST", Route: route, Path: route, Header: tt.header, Body: tt.body})
			expect(t, resp, b, tt.status)
			if ct := resp.Header.Get("Content-Type"); ct != mediaProblem {
				t.Errorf("Content-Type = %q, want %s", ct, mediaProblem)
			}
			p := problemOf(t, b)
			if p.Status != tt.status || p.Instance != route || p.Title != http.StatusText(tt.status) {
				t.Errorf("problem = %+v", p)
			}
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
				if f.Pointer != fieldPointer(f.Field) || f.Detail == "" {
					t.Errorf("error entry %+v: pointer should be %q and detail set", f, fieldPointer(f.Field))
				}
			}
			if tt.fields != nil {
				for _, f := range tt.fields {
					if !slices.Contains(fields, f) {
						t.Errorf("errors name %v, want %s among them", fields, f)
					}
				}
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.detail)
			}
			if tt.status == 401 && resp.Header.Get("WWW-Authenticate") != `Bearer realm="commonsd"` {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("ItemWrites", func(t *testing.T) {
		tag := s.create(t, "osm")
		const item = "/api/v1/records/{slug}"
		for _, tt := range []struct {
			method string
			header map[string]string
			body   string
			status int
		}{
			{"PUT", map[string]string{"If-Match": tag}, recordJSON("osm"), 401},
			{"PATCH", map[string]string{"If-Match": tag, "Content-Type": mediaPatch}, `{}`, 401},
			{"DELETE", map[string]string{"If-Match": tag}, "", 401},
			{"PUT", auth(s.editor, "If-Match", tag), big, 413},
			{"PATCH", auth(s.editor, "If-Match", tag, "Content-Type", mediaPatch), big, 413},
			{"PUT", auth(s.editor, "If-Match", tag, "Content-Type", "application/xml"), "<record/>", 415},
			{"PATCH", auth(s.editor, "If-Match", tag, "Content-Type", mediaPatch), `{"status":`, 400},
			{"PATCH", auth(s.editor, "If-Match", tag, "Content-Type", mediaPatch), `{"status":7}`, 400},
		} {
			resp, b := s.do(t, req{Method: tt.method, Route: item, Path: "/api/v1/records/osm", Header: tt.header, Body: tt.body})
			expect(t, resp, b, tt.status)
		}
		resp, b := s.do(t, req{Method: "GET", Route: item, Path: "/api/v1/records/osm"})
		expect(t, resp, b, 200)
		if resp.Header.Get("ETag") != tag {
			t.Errorf("a refused write changed the record: ETag %s, was %s", resp.Header.Get("ETag"), tag)
		}
	})
	t.Run("InvalidProblemShape", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "POST", Route: route, Path: route, Header: auth(s.editor), Body: `{"slug":"ok","name":{"en":"X"},"kinds":["data"],"status":"stable","licences":[{"expression":"MIT"},{"expression":"nope nope"}]}`})
		expect(t, resp, b, 400)
		p := problemOf(t, b)
		want := problemField{Field: "licences[1].expression", Pointer: "/licences/1/expression"}
		if len(p.Errors) != 1 || p.Errors[0].Field != want.Field || p.Errors[0].Pointer != want.Pointer || p.Type != s.URL+"/problems/invalid" {
			t.Errorf("problem = %+v, want one error %+v", p, want)
		}
	})
	t.Run("TokenNeverLogged", func(t *testing.T) {
		if logs := s.logs.String(); strings.Contains(logs, s.editor) || strings.Contains(logs, "cdt_") || strings.Contains(logs, "ZWQ6cHc=") {
			t.Errorf("a credential reached the log:\n%s", logs)
		}
	})
}

// TestSearchParams checks the search parameters, good and bad.
func TestSearchParams(t *testing.T) {
	s := newTestServer(t, spec, nil)
	for _, slug := range []string{"alpha", "bravo", "charlie"} {
		s.create(t, slug)
	}
	const route = "/api/v1/records"
	bad := []struct{ query, param, detail string }{
		{"limit=0", "limit", "limit: must be between 1 and 100"},
		{"limit=101", "limit", "limit: must be between 1 and 100"},
		{"limit=x", "limit", "limit: must be between 1 and 100"},
		{"kind=spaceship", "kind", `kind: "spaceship" is not one of`},
		{"status=dead", "status", "status:"},
		{"sort=random", "sort", "sort: must be relevance, name or updated"},
		{"modified_since=yesterday", "modified_since", "modified_since: must be an RFC 3339"},
		{"facets=maybe", "facets", "facets: must be true or false"},
		{"remote=1", "remote", "remote: must be true or false"},
	}
	for _, tt := range bad {
		t.Run(tt.query, func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: route, Path: route + "?" + tt.query})
			expect(t, resp, b, 400)
			p := problemOf(t, b)
			if !strings.Contains(p.Detail, tt.detail) || len(p.Errors) != 1 || p.Errors[0].Field != tt.param || p.Errors[0].Pointer != "" {
				t.Errorf("problem = %+v, want detail %q naming %s without a pointer", p, tt.detail, tt.param)
			}
		})
	}
	t.Run("Pages", func(t *testing.T) {
		var slugs []string
		path := route + "?limit=2&sort=name&kind=geodata,community&facets=false"
		for range 3 {
			resp, b := s.do(t, req{Method: "GET", Route: route, Path: path})
			expect(t, resp, b, 200)
			var page struct {
				Items []struct{ Slug string }
				Total int
				Next  string         `json:"next_cursor"`
				Facet map[string]any `json:"facets"`
			}
			if err := json.Unmarshal(b, &page); err != nil {
				t.Fatal(err)
			}
			if page.Total != 3 || page.Facet != nil {
				t.Errorf("total %d facets %v, want 3 and none", page.Total, page.Facet)
			}
			for _, it := range page.Items {
				slugs = append(slugs, it.Slug)
			}
			link := resp.Header.Get("Link")
			if page.Next == "" {
				if link != "" {
					t.Errorf("last page has Link %q", link)
				}
				break
			}
			next, ok := strings.CutPrefix(link, "<"+s.URL)
			next, ok2 := strings.CutSuffix(next, `>; rel="next"`)
			if !ok || !ok2 || !strings.Contains(next, "cursor=") {
				t.Fatalf("Link = %q", link)
			}
			path = next
		}
		if want := []string{"alpha", "bravo", "charlie"}; !slices.Equal(slugs, want) {
			t.Errorf("paged through %v, want %v", slugs, want)
		}
	})
	t.Run("Facets", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "GET", Route: route, Path: route + "?q=openstreetmap&kind=geodata&kind=data"})
		expect(t, resp, b, 200)
		var page struct {
			Total  int
			Facets map[string][]struct {
				Value string
				Count int
			}
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		if page.Total != 3 || !slices.ContainsFunc(page.Facets["kind"], func(f struct {
			Value string
			Count int
		}) bool {
			return f.Value == "geodata" && f.Count == 3
		}) {
			t.Errorf("page = %+v, want 3 results and kind geodata counted 3", page)
		}
	})
	t.Run("Instance", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "GET", Route: "/api/v1/instance", Path: "/api/v1/instance"})
		expect(t, resp, b, 200)
		var in instanceInfo
		if err := json.Unmarshal(b, &in); err != nil || in.Records.Local != 3 || in.Name != "Test Commons" || in.BaseURL != s.URL {
			t.Errorf("instance = %+v (%v)", in, err)
		}
	})
	t.Run("OpenAPIAndHealth", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "GET", Route: "/api/openapi.json", Path: "/api/openapi.json"})
		expect(t, resp, b, 200)
		resp, b = s.do(t, req{Method: "GET", Route: "/healthz", Path: "/healthz"})
		expect(t, resp, b, 200)
		if string(b) != "ok\n" {
			t.Errorf("healthz body = %q", b)
		}
	})
	t.Run("UnknownURLAndMethod", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "GET", Path: "/api/v1/nothing"})
		expect(t, resp, b, 404)
		resp, b = s.do(t, req{Method: "DELETE", Path: "/api/v1/records"})
		expect(t, resp, b, 405)
		if p := problemOf(t, b); p.Status != 405 {
			t.Errorf("problem = %+v", p)
		}
	})
}

// TestRateLimit checks that writes beyond the burst get 429 and Retry-After.
func TestRateLimit(t *testing.T) {
	s := newTestServer(t, spec, func(o *Options) { o.WriteRate = 0.01; o.WriteBurst = 2 })
	const route = "/api/v1/records"
	for i, want := range []int{201, 201, 429, 429} {
		resp, b := s.do(t, req{Method: "POST", Route: route, Path: route, Header: auth(s.editor), Body: recordJSON("r" + strconv.Itoa(i))})
		expect(t, resp, b, want)
		if want == 429 {
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 100 {
				t.Errorf("Retry-After = %q, want 1..100 seconds", resp.Header.Get("Retry-After"))
			}
		}
	}
	item := "/api/v1/records/{slug}"
	for _, q := range []req{
		{Method: "PUT", Route: item, Path: "/api/v1/records/r0", Header: auth(s.editor, "If-Match", "*"), Body: recordJSON("r0")},
		{Method: "PATCH", Route: item, Path: "/api/v1/records/r0", Header: auth(s.editor, "If-Match", "*", "Content-Type", mediaPatch), Body: `{}`},
		{Method: "DELETE", Route: item, Path: "/api/v1/records/r0", Header: auth(s.editor, "If-Match", "*")},
	} {
		resp, b := s.do(t, q)
		expect(t, resp, b, 429)
	}
	// Reads are not limited.
	resp, b := s.do(t, req{Method: "GET", Route: route, Path: route})
	expect(t, resp, b, 200)
}

// TestInternalErrors closes the store under a running server: every
// operation answers 500 "Internal error." and the cause goes to the log only.
func TestInternalErrors(t *testing.T) {
	s := newTestServer(t, spec, nil)
	tag := s.create(t, "osm")
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	const item = "/api/v1/records/{slug}"
	for _, q := range []req{
		{Method: "GET", Route: "/api/v1/records", Path: "/api/v1/records"},
		{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: recordJSON("b")},
		{Method: "GET", Route: item, Path: "/api/v1/records/osm"},
		{Method: "PUT", Route: item, Path: "/api/v1/records/osm", Header: auth(s.editor, "If-Match", tag), Body: recordJSON("osm")},
		{Method: "PATCH", Route: item, Path: "/api/v1/records/osm", Header: auth(s.editor, "If-Match", tag, "Content-Type", mediaPatch), Body: `{}`},
		{Method: "DELETE", Route: item, Path: "/api/v1/records/osm", Header: auth(s.editor, "If-Match", tag)},
		{Method: "GET", Route: item + "/history", Path: "/api/v1/records/osm/history"},
		{Method: "GET", Route: "/api/v1/instance", Path: "/api/v1/instance"},
		{Method: "GET", Route: "/healthz", Path: "/healthz"},
		{Method: "GET", Route: "/healthz", Path: "/healthz", Header: map[string]string{"Accept": mediaJSON}},
		{Method: "GET", Route: "/", Path: "/"},
		{Method: "GET", Route: "/", Path: "/", Header: map[string]string{"Accept": mediaJSON}},
		{Method: "GET", Route: "/records/{slug}", Path: "/records/osm"},
		{Method: "GET", Route: "/records/{slug}", Path: "/records/osm", Header: map[string]string{"Accept": mediaJSON}},
	} {
		resp, b := s.do(t, q)
		expect(t, resp, b, 500)
		if !strings.Contains(string(b), "Internal error.") || strings.Contains(strings.ToLower(string(b)), "sql") {
			t.Errorf("%s %s: body %s, want only \"Internal error.\"", q.Method, q.Path, b)
		}
	}
	if logs := s.logs.String(); !strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("the causes were not logged:\n%s", logs)
	}
}

// TestPanicRecovered checks that a handler's panic becomes a logged 500
// problem rather than a dropped connection.
func TestPanicRecovered(t *testing.T) {
	logs := &syncBuffer{}
	s := &server{log: slog.New(slog.NewJSONHandler(logs, nil))}
	ts := httptest.NewServer(s.serve(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/api/v1/anything")
	if err != nil {
		t.Fatal(err)
	}
	b := readAll(t, resp)
	expect(t, resp, b, 500)
	if p := problemOf(t, b); p.Detail != "Internal error." {
		t.Errorf("problem = %+v", p)
	}
	if l := logs.String(); !strings.Contains(l, "panic: boom") || !strings.Contains(l, `"status":500`) {
		t.Errorf("log lacks the panic or the access line:\n%s", l)
	}
}
