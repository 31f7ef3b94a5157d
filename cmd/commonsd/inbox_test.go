package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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
