package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/federation/fedtest"
	"github.com/commons-directory/commons/store"
)

// problemDoc is the part of an RFC 9457 answer the tests read.
type problemDoc struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// send posts req and returns the status and the problem document (empty
// on success). It asks for problem+json: see the report on Accept-less
// inbox errors.
func send(t *testing.T, req *http.Request) (int, problemDoc) {
	t.Helper()
	req.Header.Set("Accept", "application/problem+json, application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var p problemDoc
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%d answered with %q: %s", resp.StatusCode, ct, body)
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("problem document: %v: %s", err, body)
		}
	}
	return resp.StatusCode, p
}

// follow is a Follow of object by peer's user, with a fresh id.
func follow(peer *fedtest.Peer, object, tag string) map[string]any {
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       peer.URL + "/follows/" + tag, "type": "Follow", "actor": peer.Actor, "object": object,
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInboxRejects posts one faulty activity per case to a real instance
// and checks the 4xx and the reason the problem document gives. None may
// be a 5xx, and none may be stored.
func TestInboxRejects(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	ctx := context.Background()
	record := in.url + "/records/openstreetmap"
	inbox := record + "/inbox"
	peer := fedtest.NewPeer(t, "alice")
	other := fedtest.NewPeer(t, "bob")

	cases := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		detail string
	}{
		{"unsigned", func(t *testing.T) *http.Request {
			req, _ := http.NewRequest("POST", inbox, bytes.NewReader(mustJSON(t, follow(peer, record, "unsigned"))))
			req.Header.Set("Content-Type", "application/activity+json")
			return req
		}, 401, "not signed"},
		{"body changed after signing", func(t *testing.T) *http.Request {
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "digest")))
			if err != nil {
				t.Fatal(err)
			}
			changed := mustJSON(t, follow(peer, in.url+"/records/wikipedia", "digest"))
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
			return req
		}, 401, "Digest header does not match the body"},
		{"Date two hours old", func(t *testing.T) *http.Request {
			peer.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
			defer func() { peer.Now = time.Now }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "stale")))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 401, "from our clock"},
		{"Date two hours ahead", func(t *testing.T) *http.Request {
			peer.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			defer func() { peer.Now = time.Now }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "future")))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 401, "from our clock"},
		{"digest not signed", func(t *testing.T) *http.Request {
			peer.SignedHeaders = []string{"(request-target)", "host", "date"}
			defer func() { peer.SignedHeaders = nil }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "nodigest")))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 401, `does not cover "digest"`},
		{"host not signed", func(t *testing.T) *http.Request {
			peer.SignedHeaders = []string{"(request-target)", "date", "digest"}
			defer func() { peer.SignedHeaders = nil }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "nohost")))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 401, `does not cover "host"`},
		{"unsupported algorithm", func(t *testing.T) *http.Request {
			peer.Algo = "hmac-sha256"
			defer func() { peer.Algo = "hs2019" }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "algo")))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 401, `"hmac-sha256" is not supported`},
		{"signed by another actor", func(t *testing.T) *http.Request {
			// alice signs a Follow whose actor is bob.
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(other, record, "impostor")))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 401, "signed by " + peer.Actor},
		{"over 1 MiB", func(t *testing.T) *http.Request {
			act := follow(peer, record, "big")
			act["content"] = strings.Repeat("x", 1<<20)
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, act))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 413, "larger than 1048576 bytes"},
		{"malformed JSON", func(t *testing.T) *http.Request {
			req, err := peer.SignedPost(ctx, inbox, []byte(`{"type": "Follow", "id": `))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 400, "malformed JSON"},
		{"no actor", func(t *testing.T) *http.Request {
			act := follow(peer, record, "noactor")
			delete(act, "actor")
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, act))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 400, "actor"},
		{"wrong Content-Type", func(t *testing.T) *http.Request {
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "ctype")))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain")
			return req
		}, 415, "Content-Type must be"},
		{"signed for another host, replayed here", func(t *testing.T) *http.Request {
			// A delivery alice signed for another server's inbox, captured
			// and sent here as it was: its Host is the other server's.
			req, err := peer.SignedPost(ctx, "http://other.example/records/openstreetmap/inbox", mustJSON(t, follow(peer, record, "replayed")))
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Host = strings.TrimPrefix(in.url, "http://")
			req.Host = "other.example"
			return req
		}, 421, `Host "other.example" is not this server`},
		{"parser gap: Headers spelled differently", func(t *testing.T) *http.Request {
			// Signed over the Date line alone, but claiming the full list
			// under a second spelling of the parameter name.
			peer.SignedHeaders = []string{"date"}
			defer func() { peer.SignedHeaders = nil }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "gap1")))
			if err != nil {
				t.Fatal(err)
			}
			sig := req.Header.Get("Signature")
			req.Header.Set("Signature", sig+`,Headers="(request-target) host date digest"`)
			return req
		}, 401, `unknown parameter "Headers"`},
		{"parser gap: headers twice", func(t *testing.T) *http.Request {
			peer.SignedHeaders = []string{"date"}
			defer func() { peer.SignedHeaders = nil }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "gap2")))
			if err != nil {
				t.Fatal(err)
			}
			sig := req.Header.Get("Signature")
			req.Header.Set("Signature", `headers="(request-target) host date digest",`+sig)
			return req
		}, 401, "headers appears twice"},
		{"parser gap: no headers parameter", func(t *testing.T) *http.Request {
			peer.SignedHeaders = []string{"date"}
			defer func() { peer.SignedHeaders = nil }()
			req, err := peer.SignedPost(ctx, inbox, mustJSON(t, follow(peer, record, "gap3")))
			if err != nil {
				t.Fatal(err)
			}
			sig := req.Header.Get("Signature")
			req.Header.Set("Signature", strings.Replace(sig, `headers="date",`, "", 1))
			return req
		}, 401, "headers is required"},
		{"inbox of an unknown record", func(t *testing.T) *http.Request {
			req, err := peer.SignedPost(ctx, in.url+"/records/no-such-record/inbox",
				mustJSON(t, follow(peer, in.url+"/records/no-such-record", "unknown")))
			if err != nil {
				t.Fatal(err)
			}
			return req
		}, 404, `no record "no-such-record"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, p := send(t, c.req(t))
			if status != c.status || p.Status != c.status {
				t.Errorf("status %d (problem says %d), want %d; detail %q", status, p.Status, c.status, p.Detail)
			}
			if !strings.Contains(p.Detail, c.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, c.detail)
			}
		})
	}
	// Nothing was stored, so no one is followed and nothing is sent.
	if n, err := in.db.CountFollowers(ctx, record); err != nil || n != 0 {
		t.Errorf("followers after rejected activities: %d, %v", n, err)
	}
	if d := append(peer.Deliveries(), other.Deliveries()...); len(d) != 0 {
		t.Errorf("peers received %d deliveries", len(d))
	}
}

// TestInboxRejectsBlockedDomain blocks the peer's host on the instance's
// database: its activities are refused with 403 before any key fetch.
func TestInboxRejectsBlockedDomain(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	ctx := context.Background()
	record := in.url + "/records/openstreetmap"
	peer := fedtest.NewPeer(t, "alice")
	if err := in.db.BlockDomain(ctx, store.DomainBlock{Domain: strings.TrimPrefix(peer.URL, "http://"), Severity: "suspend", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	req, err := peer.SignedPost(ctx, record+"/inbox", mustJSON(t, follow(peer, record, "blocked")))
	if err != nil {
		t.Fatal(err)
	}
	status, p := send(t, req)
	if status != http.StatusForbidden || !strings.Contains(p.Detail, "is blocked") {
		t.Errorf("blocked domain: %d %q", status, p.Detail)
	}
}

// TestInboxIgnoresReplay posts the same Follow twice: both are answered
// 202, but it is processed once, so one Accept is sent.
func TestInboxIgnoresReplay(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	ctx := context.Background()
	record := in.url + "/records/openstreetmap"
	peer := fedtest.NewPeer(t, "alice")
	first := follow(peer, record, "once")
	isAcceptOf := func(id string) func(map[string]any) bool {
		return func(a map[string]any) bool {
			obj, _ := a["object"].(map[string]any)
			return a["type"] == "Accept" && obj["id"] == id
		}
	}
	for i := range 2 {
		resp, err := peer.Post(ctx, record+"/inbox", first)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %d: %s", i+1, resp.Status)
		}
		peer.WaitFor(t, time.Minute, "Accept", isAcceptOf(first["id"].(string)))
	}
	// A later Follow is processed after the replay would have been: once
	// its Accept is in, the replay has had every chance to produce one.
	second := follow(peer, in.url+"/records/wikipedia", "later")
	if resp, err := peer.Post(ctx, in.url+"/records/wikipedia/inbox", second); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second Follow: %v %v", resp, err)
	}
	peer.WaitFor(t, time.Minute, "Accept of the later Follow", isAcceptOf(second["id"].(string)))
	if n := peer.Count(isAcceptOf(first["id"].(string))); n != 1 {
		t.Errorf("the replayed Follow was accepted %d times", n)
	}
}

// TestInboxRefusesAnotherHost replays, on every kind of inbox, a delivery
// a real peer signed for another server: each is refused with 421 and a
// problem naming the Host header, before its signature is checked (the
// peer's key is never fetched). The absolute form of the request line,
// which sets the host too, is refused the same way; the same delivery
// signed for this instance is accepted.
func TestInboxRefusesAnotherHost(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	ctx := context.Background()
	peer := fedtest.NewPeer(t, "alice")
	ours := strings.TrimPrefix(in.url, "http://")
	for _, path := range []string{"/inbox", "/actor/inbox", "/records/openstreetmap/inbox", "/topics/software/inbox"} {
		t.Run(path, func(t *testing.T) {
			req, err := peer.SignedPost(ctx, "http://other.example"+path, mustJSON(t, follow(peer, in.url+"/records/openstreetmap", "other"+path)))
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Host, req.Host = ours, "other.example"
			req.Header.Set("Accept", "application/problem+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusMisdirectedRequest || p.Status != 421 || len(p.Errors) != 1 || p.Errors[0].Field != "Host" {
				t.Errorf("%s: %+v", resp.Status, p)
			}
		})
	}
	// An absolute request line naming another host, with our Host header.
	req, err := peer.SignedPost(ctx, "http://other.example/inbox", mustJSON(t, follow(peer, in.url+"/records/openstreetmap", "absolute")))
	if err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, follow(peer, in.url+"/records/openstreetmap", "absolute"))
	conn, err := net.Dial("tcp", ours)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "POST http://other.example/inbox HTTP/1.1\r\nHost: %s\r\nContent-Type: application/activity+json\r\nAccept: application/problem+json\r\nContent-Length: %d\r\nConnection: close\r\n", ours, len(body))
	for _, h := range []string{"Date", "Digest", "Signature"} {
		fmt.Fprintf(&raw, "%s: %s\r\n", h, req.Header.Get(h))
	}
	raw.WriteString("\r\n")
	raw.Write(body)
	if _, err := conn.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("absolute request line for another host: %s", resp.Status)
	}
	if n := peer.Count(func(map[string]any) bool { return true }); n != 0 {
		t.Errorf("the peer received %d deliveries", n)
	}
	// The control: the same delivery signed for this instance is accepted.
	resp2, err := peer.Post(ctx, in.url+"/inbox", follow(peer, in.url+"/records/openstreetmap", "ours"))
	if err != nil || resp2.StatusCode != http.StatusAccepted {
		t.Fatalf("delivery signed for this instance: %v %v", resp2, err)
	}
}

// TestInboxBindsKeysToTheirOrigin: mallory signs deliveries with a key id
// on a host he does not control, and serves the actor himself, with an id
// that claims that host. (1) Host A redirects to mallory's host B; (2) an
// open redirect on another instance (its /authorize_interaction, given a
// protocol-relative path) points to B. Both deliveries are refused and no
// actor is stored under the borrowed name.
func TestInboxBindsKeysToTheirOrigin(t *testing.T) {
	dir := t.TempDir()
	in := newInstanceWith(t, dir, instanceOptions{addr: "127.0.0.1:0"}, "eu")
	other := newInstanceWith(t, dir, instanceOptions{addr: "127.0.0.2:0"})
	ctx := context.Background()
	record := in.url + "/records/openstreetmap"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := federation.EncodePublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var claimed atomic.Value // the actor id mallory's host claims
	claimed.Store("")
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := claimed.Load().(string)
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": "mallory", "inbox": id + "/inbox",
			"publicKey": map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": pubPEM},
		})
	}))
	t.Cleanup(evil.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	for _, c := range []struct{ name, actor string }{
		{"redirect to another host", redirector.URL + "/users/mallory"},
		{"open redirect chain", other.url + "/authorize_interaction?uri=" + url.QueryEscape(other.url+"//"+strings.TrimPrefix(evil.URL, "http://")+"/users/mallory")},
	} {
		t.Run(c.name, func(t *testing.T) {
			claimed.Store(c.actor)
			u, _ := url.Parse(c.actor)
			act := map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams",
				"id":       "http://" + u.Host + "/follows/" + url.PathEscape(c.name), "type": "Follow", "actor": c.actor, "object": record,
			}
			body := mustJSON(t, act)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, record+"/inbox", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/activity+json")
			if err := federation.SignRequest(req, body, federation.SigningKey{ID: c.actor + "#main-key", Private: key}, time.Now()); err != nil {
				t.Fatal(err)
			}
			status, p := send(t, req)
			if status != http.StatusUnauthorized || !strings.Contains(p.Detail, "cannot fetch the key") {
				t.Errorf("%d %q", status, p.Detail)
			}
			if _, err := in.db.RemoteActor(ctx, c.actor); err == nil {
				t.Errorf("the actor %s was stored", c.actor)
			}
		})
	}
	if n, err := in.db.CountFollowers(ctx, record); err != nil || n != 0 {
		t.Errorf("followers: %d, %v", n, err)
	}
}

// TestInboxRFC9421: a real peer that signs with RFC 9421 (with code of
// its own) delivers a Follow: accepted and answered; the same delivery
// with its body changed after signing, or with a Signature-Input that
// repeats a parameter, is refused. Two instances that peer sign to each
// other with RFC 9421 from the first delivery.
func TestInboxRFC9421(t *testing.T) {
	dir := t.TempDir()
	in := newInstanceWith(t, dir, instanceOptions{addr: "127.0.0.1:0"}, "eu")
	ctx := context.Background()
	record := in.url + "/records/openstreetmap"
	peer := fedtest.NewPeer(t, "alice")
	peer.SignRFC9421 = true

	req, err := peer.SignedPost(ctx, record+"/inbox", mustJSON(t, follow(peer, record, "tampered")))
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Signature-Input") == "" {
		t.Fatal("the peer did not sign with RFC 9421")
	}
	changed := mustJSON(t, follow(peer, in.url+"/records/wikipedia", "tampered"))
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
	if status, p := send(t, req); status != http.StatusUnauthorized || !strings.Contains(p.Detail, "Content-Digest sha-256 does not match") {
		t.Errorf("tampered body: %d %q", status, p.Detail)
	}
	req, err = peer.SignedPost(ctx, record+"/inbox", mustJSON(t, follow(peer, record, "repeated")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Signature-Input", req.Header.Get("Signature-Input")+`;created=1`)
	if status, p := send(t, req); status != http.StatusUnauthorized || !strings.Contains(p.Detail, "ambiguous") {
		t.Errorf("repeated parameter: %d %q", status, p.Detail)
	}
	f := follow(peer, record, "rfc9421")
	post(t, peer, record+"/inbox", f)
	d := peer.WaitFor(t, 10*time.Second, "Accept", func(a map[string]any) bool {
		obj, _ := a["object"].(map[string]any)
		return a["type"] == "Accept" && obj["id"] == f["id"]
	})
	if d.Err != nil {
		t.Fatalf("Accept: %v", d.Err)
	}
	if n, err := in.db.CountFollowers(ctx, record); err != nil || n != 1 {
		t.Errorf("followers: %d, %v", n, err)
	}

	other := newInstanceWith(t, dir, openPeer("127.0.0.2:0"))
	in.follow(t, other)
	if got := in.fed.SignatureScheme(ctx, strings.TrimPrefix(other.url, "http://")); got != "rfc9421" {
		t.Errorf("%s signs to its peer with %q", in.url, got)
	}
}

// TestDoubleKnockRemembered: an instance delivers to a server that takes
// only RFC 9421 (a real peer, verifying with code of its own): the first
// delivery is refused in draft-cavage and accepted at the second knock;
// the next goes out in RFC 9421 at once. A server that refuses RFC 9421
// gets draft-cavage only, as every server not known to accept it.
func TestDoubleKnockRemembered(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	record := in.url + "/records/openstreetmap"
	modern := fedtest.NewPeer(t, "alice")
	modern.Inbox9421 = fedtest.Inbox9421Only
	legacy := fedtest.NewPeer(t, "bob")
	for i, peer := range []*fedtest.Peer{modern, legacy} {
		// Each follows the record: the Accept is the first delivery.
		f := follow(peer, record, fmt.Sprint("knock", i))
		post(t, peer, record+"/inbox", f)
		peer.WaitFor(t, 10*time.Second, "Accept", func(a map[string]any) bool {
			obj, _ := a["object"].(map[string]any)
			return a["type"] == "Accept" && obj["id"] == f["id"]
		})
	}
	ds := modern.Deliveries()
	if len(ds) != 2 || ds[0].Scheme != fedtest.SchemeCavage || ds[0].Err == nil || ds[1].Scheme != fedtest.SchemeRFC9421 || ds[1].Err != nil {
		t.Fatalf("deliveries to the RFC 9421 server: %+v", ds)
	}
	if got := in.fed.SignatureScheme(context.Background(), strings.TrimPrefix(modern.URL, "http://")); got != "rfc9421" {
		t.Fatalf("remembered %q for the RFC 9421 server", got)
	}
	if ds := legacy.Deliveries(); len(ds) != 1 || ds[0].Scheme != fedtest.SchemeCavage || ds[0].Err != nil {
		t.Fatalf("deliveries to the draft-cavage server: %+v", ds)
	}
	// The next delivery to the RFC 9421 server: one knock.
	in.rename(t, "openstreetmap", "OpenStreetMap, renamed")
	modern.WaitFor(t, 10*time.Second, "Update", func(a map[string]any) bool { return a["type"] == "Update" })
	for _, d := range modern.Deliveries()[2:] {
		if d.Scheme != fedtest.SchemeRFC9421 || d.Err != nil {
			t.Errorf("later delivery in %s: %v", d.Scheme, d.Err)
		}
	}
}
