package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// testServer is a real instance on loopback: the handler New returns, over
// a real SQLite store in a temporary directory.
type testServer struct {
	URL    string
	db     *store.DB
	spec   *apiSpec // when set, every response is checked against openapi.json
	logs   *syncBuffer
	editor string // bearer token of an editor
	admin  string // bearer token of an admin
	client *http.Client
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestServer starts an instance. edit may change the options (BaseURL
// is already set to the server's own URL unless edit replaces it).
func newTestServer(t testing.TB, spec *apiSpec, edit func(*Options)) *testServer {
	t.Helper()
	ctx := context.Background()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	db, err := store.Open(ctx, testStoreOptions(t, filepath.Join(t.TempDir(), "commons.db"), base))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	opts := Options{
		Directory:    db,
		BaseURL:      base,
		InstanceName: "Test Commons",
		Version:      "test",
		Logger:       slog.New(slog.NewJSONHandler(logs, nil)),
		WriteRate:    1e6, // tests write fast; TestRateLimit tightens this
		WriteBurst:   1e6,
	}
	if edit != nil {
		edit(&opts)
	}
	ts.Config.Handler = New(opts)
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	s := &testServer{URL: ts.URL, db: db, spec: spec, logs: logs, client: ts.Client()}
	for _, u := range []struct {
		name, role string
		token      *string
	}{{"ed", commons.RoleEditor, &s.editor}, {"ada", commons.RoleAdmin, &s.admin}} {
		if _, err := db.CreateUser(ctx, u.name, u.role, "correct horse battery staple"); err != nil {
			t.Fatalf("create user %s: %v", u.name, err)
		}
		if *u.token, err = db.CreateToken(ctx, u.name, "test"); err != nil {
			t.Fatalf("create token for %s: %v", u.name, err)
		}
	}
	return s
}

// req describes one request. Route is the route template for the OpenAPI
// check ("" skips it); Path is the URL path with its query.
type req struct {
	Method, Route, Path string
	Header              map[string]string
	Body                string
}

// do sends the request and checks the response against openapi.json.
func (s *testServer) do(t testing.TB, q req) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if q.Body != "" {
		body = strings.NewReader(q.Body)
	}
	r, err := http.NewRequest(q.Method, s.URL+q.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if q.Body != "" {
		r.Header.Set("Content-Type", mediaJSON)
	}
	for k, v := range q.Header {
		r.Header.Set(k, v)
	}
	resp, err := s.client.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", q.Method, q.Path, err)
	}
	b := readAll(t, resp)
	if s.spec != nil && q.Route != "" {
		s.spec.check(t, q.Method, q.Route, resp, b)
	}
	return resp, b
}

// auth returns headers carrying a bearer token, plus more pairs.
func auth(token string, kv ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + token}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

// recordJSON is a valid record document for slug.
func recordJSON(slug string) string {
	return `{
		"slug": "` + slug + `",
		"name": {"en": "OpenStreetMap ` + slug + `", "fr": "OpenStreetMap ` + slug + ` (fr)"},
		"summary": {"en": "The free wiki world map.", "fr": "La carte du monde libre et collaborative."},
		"description": {"en": "A **map** of the world, made by [volunteers](https://wiki.openstreetmap.org/)."},
		"kinds": ["geodata", "community"],
		"countries": [{"code": "EU", "role": "intended-for"}],
		"languages": ["en", "fr"],
		"licences": [{"expression": "ODbL-1.0", "applies_to": "data"}],
		"status": "stable",
		"organisations": [{"name": "OpenStreetMap Foundation", "url": "https://osmfoundation.org", "role": "steward"}],
		"links": {"homepage": "https://www.openstreetmap.org"},
		"identifiers": [{"scheme": "wikidata", "value": "Q936"}]
	}`
}

// problemOf decodes a problem document.
func problemOf(t testing.TB, b []byte) problem {
	t.Helper()
	var p problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("decode problem: %v\n%s", err, b)
	}
	return p
}

// create posts a record and returns its ETag.
func (s *testServer) create(t testing.TB, slug string) string {
	t.Helper()
	resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: recordJSON(slug)})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create %s: %d %s", slug, resp.StatusCode, b)
	}
	return resp.Header.Get("ETag")
}

// The store must keep satisfying what web consumes.
var _ Directory = (*store.DB)(nil)
