package federation

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// newServeFederation is a Federation over a real store whose workers do
// not run: enough to serve documents.
func newServeFederation(t *testing.T) *Federation {
	t.Helper()
	base := "http://commons.test:8080"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "serve.db"), BaseURL: base, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	f := New(Options{DB: db, BaseURL: base, InstanceName: "test", Logger: logger})
	t.Cleanup(func() { f.Close(); db.Close() })
	return f
}

func TestQueryParam(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"resource=acct:osm@h", "acct:osm@h"},
		{"a=1&resource=acct%3Aosm%40h&resource=x", "acct:osm@h"},
		{"res%6Furce=a+b", "a b"},
		{"resource=%zz", ""},
		{"other=1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := queryParam(tt.raw, "resource"); got != tt.want {
			t.Errorf("queryParam(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestETagMatch(t *testing.T) {
	tests := []struct {
		values []string
		want   bool
	}{
		{[]string{`"abc"`}, true},
		{[]string{`W/"abc"`}, true},
		{[]string{`"x", "abc"`}, true},
		{[]string{`"x"`, `"abc"`}, true},
		{[]string{`*`}, true},
		{[]string{`"abcd"`}, false},
		{[]string{``}, false},
	}
	for _, tt := range tests {
		if got := etagMatch(tt.values, `"abc"`); got != tt.want {
			t.Errorf("etagMatch(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

// TestActorConditionalGet: a cached document carries its ETag and length,
// and a client that has it gets 304 without a body.
func TestActorConditionalGet(t *testing.T) {
	f := newServeFederation(t)
	get := func(inm string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/actor", nil)
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		w := httptest.NewRecorder()
		if err := f.ServeInstanceActor(w, r); err != nil {
			t.Fatal(err)
		}
		return w
	}
	first := get("")
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" || first.Header().Get("Content-Type") != ContentType {
		t.Fatalf("GET: %d, ETag %q, Content-Type %q", first.Code, etag, first.Header().Get("Content-Type"))
	}
	if n, _ := strconv.Atoi(first.Header().Get("Content-Length")); n != first.Body.Len() {
		t.Errorf("Content-Length %q for %d bytes", first.Header().Get("Content-Length"), first.Body.Len())
	}
	if again := get(""); again.Body.String() != first.Body.String() || again.Header().Get("ETag") != etag {
		t.Errorf("second GET differs from the first")
	}
	if nm := get(etag); nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and none", etag, nm.Code, nm.Body.Len())
	}
	if other := get(`"other"`); other.Code != http.StatusOK {
		t.Errorf("If-None-Match of another tag: %d, want 200", other.Code)
	}
}

// TestWebFingerCached: the encoded answer is served again from the cache,
// byte for byte, and unknown accounts are still refused.
func TestWebFingerCached(t *testing.T) {
	f := newServeFederation(t)
	finger := func(resource string) (*httptest.ResponseRecorder, error) {
		r := httptest.NewRequest(http.MethodGet, "/.well-known/webfinger?resource="+resource, nil)
		w := httptest.NewRecorder()
		return w, f.ServeWebFinger(w, r)
	}
	first, err := finger("acct:commons.test@commons.test:8080")
	if err != nil {
		t.Fatal(err)
	}
	if first.Header().Get("Content-Type") != "application/jrd+json" || first.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("headers: %v", first.Header())
	}
	if n, _ := strconv.Atoi(first.Header().Get("Content-Length")); n != first.Body.Len() || n == 0 {
		t.Errorf("Content-Length %q for %d bytes", first.Header().Get("Content-Length"), first.Body.Len())
	}
	jrd, err := unmarshalMap(first.Body.Bytes())
	if err != nil || jrd["subject"] != "acct:commons.test@commons.test:8080" {
		t.Fatalf("JRD %v (%v)", jrd, err)
	}
	again, err := finger("acct%3Acommons.test%40commons.test%3A8080")
	if err != nil || again.Body.String() != first.Body.String() {
		t.Errorf("second answer (escaped resource) differs: %v\n%s\n%s", err, again.Body, first.Body)
	}
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Errorf("no ETag")
	}
	r := httptest.NewRequest(http.MethodGet, "/.well-known/webfinger?resource=acct:commons.test@commons.test:8080", nil)
	r.Header.Set("If-None-Match", etag)
	w := httptest.NewRecorder()
	if err := f.ServeWebFinger(w, r); err != nil || w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: %v, %d with %d bytes, want 304 and none", etag, err, w.Code, w.Body.Len())
	}
	// The instance actor's handle as /about shows it on a host with a
	// port, and as a user may type it with the port on both sides.
	for _, res := range []string{"acct:commons.test:8080@commons.test:8080", "acct:commons.test@commons.test"} {
		w, err := finger(res)
		if err != nil {
			t.Errorf("%s: %v", res, err)
			continue
		}
		if jrd, err := unmarshalMap(w.Body.Bytes()); err != nil || jrd["subject"] != "acct:commons.test@commons.test:8080" {
			t.Errorf("%s: JRD %v (%v), want the instance actor's subject", res, jrd, err)
		}
	}
	if _, err := finger("acct:nobody@commons.test:8080"); commons.ErrorCode(err) != commons.ENOTFOUND {
		t.Errorf("unknown account: %v, want %s", err, commons.ENOTFOUND)
	}
	if _, err := finger(""); commons.ErrorCode(err) != commons.EINVALID {
		t.Errorf("no resource: %v, want %s", err, commons.EINVALID)
	}
}

// TestNodeInfoCached: NodeInfo is served from the document cache with an
// ETag, and a record written since changes the counts at once.
func TestNodeInfoCached(t *testing.T) {
	f := newServeFederation(t)
	get := func(version, etag string) (*httptest.ResponseRecorder, map[string]any) {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/nodeinfo/"+version, nil)
		if etag != "" {
			r.Header.Set("If-None-Match", etag)
		}
		w := httptest.NewRecorder()
		if err := f.ServeNodeInfo(w, r, version); err != nil {
			t.Fatalf("NodeInfo %s: %v", version, err)
		}
		if w.Code != http.StatusOK {
			return w, nil
		}
		doc, err := unmarshalMap(w.Body.Bytes())
		if err != nil {
			t.Fatalf("NodeInfo %s: %v\n%s", version, err, w.Body)
		}
		return w, doc
	}
	users := func(doc map[string]any) any {
		return doc["usage"].(map[string]any)["users"].(map[string]any)["total"]
	}
	first, doc := get("2.1", "")
	if ct := first.Header().Get("Content-Type"); ct != `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"` {
		t.Errorf("Content-Type %q", ct)
	}
	if doc["version"] != "2.1" || users(doc) != float64(0) {
		t.Fatalf("first document: %v", doc)
	}
	if w, _ := get("2.1", first.Header().Get("ETag")); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", w.Code)
	}
	if _, doc := get("2.0", ""); doc["version"] != "2.0" {
		t.Errorf("2.0 served %v", doc["version"])
	}

	rec := &commons.Record{Slug: "osm", Name: commons.Text{"en": "OpenStreetMap"}, Kinds: []string{"geodata"}, Status: "stable"}
	if err := f.db.(*store.DB).CreateRecord(t.Context(), rec, "ed"); err != nil {
		t.Fatal(err)
	}
	if _, doc := get("2.1", ""); users(doc) != float64(1) {
		t.Errorf("after a new record: %v users, want 1", users(doc))
	}
	err := f.ServeNodeInfo(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nodeinfo/3.0", nil), "3.0")
	if commons.ErrorCode(err) != commons.ENOTFOUND {
		t.Errorf("NodeInfo 3.0: %v, want %s", err, commons.ENOTFOUND)
	}
}
