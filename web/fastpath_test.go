package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/commons-directory/commons/federation"
)

// TestFastPathMatchesRouter sends the same requests to a handler with
// serveFast and to one that routes everything through gorilla/mux, over the
// same store: status, headers and body must be the same, for every case
// the fast path takes and for those it must leave to the router.
func TestFastPathMatchesRouter(t *testing.T) {
	s := newTestServer(t, nil, nil)
	osmTag := s.create(t, "osm")
	s.create(t, "gone")
	if resp, b := s.do(t, req{Method: "DELETE", Path: "/api/v1/records/gone", Header: auth(s.editor, "If-Match", "*")}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	opts := Options{Directory: s.db, BaseURL: s.URL, Logger: slog.New(slog.DiscardHandler)}
	fast := newServer(opts).routes()
	slowSrv := newServer(opts)
	slowSrv.noFast = true
	slow := slowSrv.routes()

	type exchange struct {
		method, path string
		header       map[string]string
	}
	check := func(t *testing.T, q exchange) *httptest.ResponseRecorder {
		t.Helper()
		var got [2]*httptest.ResponseRecorder
		for i, h := range []http.Handler{fast, slow} {
			r := httptest.NewRequest(q.method, q.path, nil)
			for k, v := range q.header {
				r.Header.Set(k, v)
			}
			got[i] = httptest.NewRecorder()
			h.ServeHTTP(got[i], r)
		}
		f, sl := got[0], got[1]
		if f.Code != sl.Code {
			t.Errorf("%s %s: status %d by the fast path, %d by the router", q.method, q.path, f.Code, sl.Code)
		}
		for k := range mergeKeys(f.Header(), sl.Header()) {
			if fv, sv := strings.Join(f.Header()[k], ", "), strings.Join(sl.Header()[k], ", "); fv != sv {
				t.Errorf("%s %s: %s is %q by the fast path, %q by the router", q.method, q.path, k, fv, sv)
			}
		}
		if !bytes.Equal(f.Body.Bytes(), sl.Body.Bytes()) {
			t.Errorf("%s %s: bodies differ:\nfast:   %s\nrouter: %s", q.method, q.path, f.Body, sl.Body)
		}
		return f
	}

	for _, c := range []struct {
		name string
		q    exchange
		want int
	}{
		{"record", exchange{"GET", "/api/v1/records/osm", nil}, http.StatusOK},
		{"head", exchange{"HEAD", "/api/v1/records/osm", nil}, http.StatusOK},
		{"not modified", exchange{"GET", "/api/v1/records/osm", map[string]string{"If-None-Match": osmTag}}, http.StatusNotModified},
		{"other etag", exchange{"GET", "/api/v1/records/osm", map[string]string{"If-None-Match": `"nope"`}}, http.StatusOK},
		{"unknown", exchange{"GET", "/api/v1/records/nope", nil}, http.StatusNotFound},
		{"unknown, browser", exchange{"GET", "/api/v1/records/nope", map[string]string{"Accept": "text/html"}}, http.StatusNotFound},
		{"deleted", exchange{"GET", "/api/v1/records/gone", nil}, http.StatusGone},
		{"query", exchange{"GET", "/api/v1/records/osm?lang=fr", nil}, http.StatusOK},
		// Left to the router:
		{"history", exchange{"GET", "/api/v1/records/osm/history", nil}, http.StatusOK},
		{"trailing slash", exchange{"GET", "/api/v1/records/osm/", nil}, 0},
		{"dot", exchange{"GET", "/api/v1/records/..", nil}, 0},
		{"method", exchange{"POST", "/api/v1/records/osm", nil}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := check(t, c.q)
			if c.want != 0 && got.Code != c.want {
				t.Errorf("status %d, want %d", got.Code, c.want)
			}
		})
	}

	// An edit is served at once, not the encoding cached before it.
	before := check(t, exchange{"GET", "/api/v1/records/osm", nil}).Header().Get("ETag")
	if resp, b := s.do(t, req{Method: "PATCH", Path: "/api/v1/records/osm", Header: auth(s.editor, "If-Match", before, "Content-Type", "application/merge-patch+json"), Body: `{"status":"maintained-only"}`}); resp.StatusCode != http.StatusOK {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	after := check(t, exchange{"GET", "/api/v1/records/osm", nil})
	if after.Header().Get("ETag") == before || !strings.Contains(after.Body.String(), "maintained-only") {
		t.Errorf("after an edit the fast path serves ETag %s (before: %s): %s", after.Header().Get("ETag"), before, after.Body)
	}
}

func mergeKeys(a, b http.Header) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestFederationFastPathMatchesRouter: the same for the federation's fast
// paths (WebFinger, actor documents, NodeInfo), against the real
// federation.
func TestFederationFastPathMatchesRouter(t *testing.T) {
	s := newTestServer(t, nil, nil)
	s.create(t, "osm")
	f := federation.New(federation.Options{DB: s.db, BaseURL: s.URL, InstanceName: "test"})
	t.Cleanup(f.Close)
	opts := Options{Directory: s.db, BaseURL: s.URL, Logger: slog.New(slog.DiscardHandler), Federation: f}
	fast := newServer(opts).routes()
	slowSrv := newServer(opts)
	slowSrv.noFast = true
	slow := slowSrv.routes()
	host := strings.TrimPrefix(s.URL, "http://")
	for _, c := range []struct{ path, accept string }{
		{"/nodeinfo/2.1", ""},
		{"/nodeinfo/2.0", ""},
		{"/.well-known/webfinger?resource=acct:osm@" + host, ""},
		{"/.well-known/webfinger?resource=acct:nobody@" + host, ""},
		{"/records/osm", "application/activity+json"},
	} {
		var got [2]*httptest.ResponseRecorder
		for i, h := range []http.Handler{fast, slow} {
			r := httptest.NewRequest("GET", c.path, nil)
			if c.accept != "" {
				r.Header.Set("Accept", c.accept)
			}
			got[i] = httptest.NewRecorder()
			h.ServeHTTP(got[i], r)
		}
		f, sl := got[0], got[1]
		if f.Code != sl.Code || !bytes.Equal(f.Body.Bytes(), sl.Body.Bytes()) {
			t.Errorf("GET %s: fast path %d %s, router %d %s", c.path, f.Code, f.Body, sl.Code, sl.Body)
		}
		for k := range mergeKeys(f.Header(), sl.Header()) {
			if fv, sv := strings.Join(f.Header()[k], ", "), strings.Join(sl.Header()[k], ", "); fv != sv {
				t.Errorf("GET %s: %s is %q by the fast path, %q by the router", c.path, k, fv, sv)
			}
		}
	}
}
