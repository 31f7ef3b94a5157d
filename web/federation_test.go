package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/store"
)

// newFederatedServer is a test server with the real federation wired in,
// as cmd wires it.
func newFederatedServer(t *testing.T, edits ...func(*Options)) *testServer {
	t.Helper()
	return newTestServer(t, spec, func(o *Options) {
		f := federation.New(federation.Options{DB: o.Directory.(*store.DB), BaseURL: o.BaseURL, InstanceName: o.InstanceName, AllowPrivate: true})
		t.Cleanup(f.Close)
		o.Federation = f
		o.Operator = f
		for _, edit := range edits {
			edit(o)
		}
	})
}

func TestRecordFollowersAPI(t *testing.T) {
	s := newFederatedServer(t)
	s.create(t, "osm")
	const route = "/api/v1/records/{slug}/followers"
	resp, b := s.do(t, req{Method: "GET", Route: route, Path: "/api/v1/records/osm/followers", Header: auth(s.editor)})
	expect(t, resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"total":0`) {
		t.Errorf("followers of a new record: %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: route, Path: "/api/v1/records/osm/followers"})
	expect(t, resp, b, http.StatusUnauthorized)
	resp, b = s.do(t, req{Method: "GET", Route: route, Path: "/api/v1/records/nope/followers", Header: auth(s.editor)})
	expect(t, resp, b, http.StatusNotFound)
}

func TestRecordPostAPI(t *testing.T) {
	s := newFederatedServer(t)
	s.create(t, "osm")
	const route = "/api/v1/records/{slug}/posts"
	resp, b := s.do(t, req{Method: "POST", Route: route, Path: "/api/v1/records/osm/posts", Header: auth(s.editor),
		Body: `{"text": "New **funding call** <script>alert(1)</script>", "lang": "fr"}`})
	expect(t, resp, b, http.StatusCreated)
	id := resp.Header.Get("Location")
	if !strings.HasPrefix(id, s.URL+"/records/osm/posts/") {
		t.Fatalf("Location %q", id)
	}
	// The post answers ActivityPub at its IRI, sanitised.
	r, _ := http.NewRequest("GET", id, nil)
	r.Header.Set("Accept", "application/activity+json")
	note, err := s.client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	nb := readAll(t, note)
	if note.StatusCode != http.StatusOK || !strings.Contains(string(nb), "<strong>funding call</strong>") || strings.Contains(string(nb), "<script") || !strings.Contains(string(nb), `"contentMap":{"fr":`) {
		t.Errorf("note %d: %s", note.StatusCode, nb)
	}

	for _, tc := range []struct {
		name, path, body string
		header           map[string]string
		status           int
	}{
		{"Empty", "/api/v1/records/osm/posts", `{"text": "  "}`, auth(s.editor), http.StatusBadRequest},
		{"BadLang", "/api/v1/records/osm/posts", `{"text": "hi", "lang": "not a tag"}`, auth(s.editor), http.StatusBadRequest},
		{"UnknownField", "/api/v1/records/osm/posts", `{"text": "hi", "title": "x"}`, auth(s.editor), http.StatusBadRequest},
		{"NoToken", "/api/v1/records/osm/posts", `{"text": "hi"}`, nil, http.StatusUnauthorized},
		{"UnknownRecord", "/api/v1/records/nope/posts", `{"text": "hi"}`, auth(s.editor), http.StatusNotFound},
		{"NotJSON", "/api/v1/records/osm/posts", `text=hi`, auth(s.editor, "Content-Type", "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := s.do(t, req{Method: "POST", Route: route, Path: tc.path, Header: tc.header, Body: tc.body})
			expect(t, resp, b, tc.status)
		})
	}
}

// Servers post to inboxes with no Accept header, or an ActivityPub one:
// their errors must still be problem documents, never an HTML page.
func TestInboxErrorsAreProblems(t *testing.T) {
	s := newFederatedServer(t)
	for _, accept := range []string{"", "application/activity+json", "text/html"} {
		resp, b := s.do(t, req{Method: "POST", Path: "/inbox", Body: `{"type":"Follow"}`,
			Header: map[string]string{"Accept": accept, "Content-Type": "application/activity+json"}})
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("Accept %q: status %d", accept, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != mediaProblem {
			t.Errorf("Accept %q: Content-Type %q; body %s", accept, ct, b)
		}
	}
	resp, b := s.do(t, req{Method: "POST", Path: "/inbox",
		Body:   `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Follow","actor":"https://a.example/u","object":"https://b.example/x"}`,
		Header: map[string]string{"Content-Type": "application/activity+json"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Signature ") {
		t.Errorf("unsigned activity: %d, WWW-Authenticate %q: %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b)
	}
}

// TestInboxRateLimit sends more POSTs to the inboxes than the client's
// bucket holds: the rest get 429 with Retry-After as a problem document,
// whichever inbox they go to and before their signature is looked at;
// other requests from the same address are not limited by it.
func TestInboxRateLimit(t *testing.T) {
	s := newTestServer(t, spec, func(o *Options) {
		f := federation.New(federation.Options{DB: o.Directory.(*store.DB), BaseURL: o.BaseURL, InstanceName: o.InstanceName, AllowPrivate: true})
		t.Cleanup(f.Close)
		o.Federation, o.Operator = f, f
		o.InboxRate, o.InboxBurst = 0.01, 3
	})
	s.create(t, "osm")
	post := func(path string) *http.Response {
		t.Helper()
		resp, _ := s.do(t, req{Method: "POST", Path: path, Body: `{"type":"Follow"}`,
			Header: map[string]string{"Content-Type": "application/activity+json"}})
		return resp
	}
	for i, path := range []string{"/inbox", "/records/osm/inbox", "/actor/inbox"} {
		if resp := post(path); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d (%s) within the burst: 429", i, path)
		}
	}
	for _, path := range []string{"/inbox", "/records/osm/inbox", "/actor/inbox", "/topics/software/inbox"} {
		resp := post(path)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("%s beyond the burst: %d, want 429", path, resp.StatusCode)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != mediaProblem {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 {
			t.Errorf("%s: Retry-After %q", path, resp.Header.Get("Retry-After"))
		}
	}
	// Reads and API writes draw from other buckets.
	if resp, b := s.do(t, req{Method: "GET", Path: "/records/osm", Header: map[string]string{"Accept": "application/activity+json"}}); resp.StatusCode != http.StatusOK {
		t.Errorf("actor document after the inbox limit: %d %s", resp.StatusCode, b)
	}
	s.create(t, "after")

	// A negative rate turns the limit off.
	off := newTestServer(t, spec, func(o *Options) {
		f := federation.New(federation.Options{DB: o.Directory.(*store.DB), BaseURL: o.BaseURL, InstanceName: o.InstanceName, AllowPrivate: true})
		t.Cleanup(f.Close)
		o.Federation, o.Operator = f, f
		o.InboxRate, o.InboxBurst = -1, 1
	})
	for i := range 20 {
		resp, _ := off.do(t, req{Method: "POST", Path: "/inbox", Body: `{"type":"Follow"}`,
			Header: map[string]string{"Content-Type": "application/activity+json"}})
		if resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d with the limit off: 429", i)
		}
	}
}

// TestAuthorizeInteractionRedirectsHome: a URI of this instance goes to
// its path; every spelling that a browser could resolve to another host
// is refused, never redirected.
func TestAuthorizeInteractionRedirectsHome(t *testing.T) {
	s := newFederatedServer(t)
	s.create(t, "osm")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(uri string) *http.Response {
		t.Helper()
		resp, err := client.Get(s.URL + "/authorize_interaction?uri=" + url.QueryEscape(uri))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(s.URL + "/records/osm"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/records/osm" {
		t.Errorf("own record: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	for _, uri := range []string{
		s.URL + "//evil.example/users/mallory",
		s.URL + "/\\evil.example/users/mallory",
		s.URL + "/\\\\evil.example/x",
		s.URL + "/\t/evil.example/x",
		s.URL + "/\n/evil.example/x",
		s.URL + "/%2F/evil.example/x",
		s.URL + "/%2fevil.example/x",
		s.URL + "/%5Cevil.example/x",
		"//evil.example/x",
		"https://evil.example/x",
		strings.Replace(s.URL, "http://", "http://user@", 1) + "/records/osm",
		s.URL + ".evil.example/x",
		s.URL + "@evil.example/x",
		"javascript:alert(1)",
	} {
		resp := get(uri)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusNotFound || loc != "" {
			t.Errorf("%q: %s to %q", uri, resp.Status, loc)
		}
	}
}

// TestFeaturedCollections: every actor names a featured collection, and
// each answers, empty (GoToSocial logs an error for an actor without one).
func TestFeaturedCollections(t *testing.T) {
	s := newFederatedServer(t)
	s.create(t, "osm")
	for _, actor := range []string{"/records/osm", "/actor", "/topics/software"} {
		r, _ := http.NewRequest("GET", s.URL+actor, nil)
		r.Header.Set("Accept", "application/activity+json")
		resp, err := s.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(t, resp)
		if want := `"featured":"` + s.URL + actor + `/featured"`; !strings.Contains(string(b), want) {
			t.Errorf("%s: no %s in %s", actor, want, b)
		}
		r, _ = http.NewRequest("GET", s.URL+actor+"/featured", nil)
		r.Header.Set("Accept", "application/activity+json")
		if resp, err = s.client.Do(r); err != nil {
			t.Fatal(err)
		}
		b = readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"type":"OrderedCollection"`) || !strings.Contains(string(b), `"totalItems":0`) {
			t.Errorf("%s/featured: %d %s", actor, resp.StatusCode, b)
		}
	}
}

// TestAboutHandleResolves: the instance actor's handle that /about shows
// (the test server has a port) is one WebFinger answers.
func TestAboutHandleResolves(t *testing.T) {
	s := newFederatedServer(t)
	host := strings.TrimPrefix(s.URL, "http://")
	name, _, _ := strings.Cut(host, ":")
	handle := "@" + name + "@" + host
	resp, err := s.client.Get(s.URL + "/about")
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); !strings.Contains(string(b), handle) {
		t.Fatalf("/about does not show %s", handle)
	}
	for _, acct := range []string{strings.TrimPrefix(handle, "@"), host + "@" + host} {
		resp, err := s.client.Get(s.URL + "/.well-known/webfinger?resource=acct:" + acct)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"href":"`+s.URL+`/actor"`) {
			t.Errorf("WebFinger acct:%s: %d %s", acct, resp.StatusCode, b)
		}
	}
}

// TestFollowPage: /follow alone shows the form (to follow this instance),
// and a visitor whose server offers no follow page, as GoToSocial's does
// not, is told to paste the handle into their app's search, with the
// handle ready to copy, rather than given an error.
func TestFollowPage(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	page := b.get("/follow", http.StatusOK)
	wantIn(t, "GET /follow", page, `action="/follow"`, `name="target" value="`+s.URL+`/actor"`, instanceHandle(hostOf(s.URL)))

	// A WebFinger that names the account and nothing to follow with.
	gts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		fmt.Fprintf(w, `{"subject":%q,"links":[{"rel":"self","type":"application/activity+json","href":"http://%s/users/alice"}]}`,
			r.URL.Query().Get("resource"), r.Host)
	}))
	t.Cleanup(gts.Close)
	host := strings.TrimPrefix(gts.URL, "http://")
	_, page = b.post("/follow", url.Values{"target": {s.URL + "/records/osm"}, "account": {"@alice@" + host}}, http.StatusOK)
	wantIn(t, "no follow page", page, host+" offers no follow page", `id="follow-copy"`, `readonly value="@osm@`+hostOf(s.URL)+`"`)
	wantNotIn(t, "no follow page", page, `id="follow-err"`)
}
