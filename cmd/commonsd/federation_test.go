package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/federation/fedtest"
	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/store/pgtest"
)

// instance is one commonsd running in the test process on loopback, as
// newApp builds it for `commonsd serve`.
type instance struct {
	*app
	url   string
	token string
	logs  *syncBuffer
	stop  func()
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newInstance starts an instance with the given demo share (none if
// empty), an editor token, and its federation workers. It stops with the
// test, and its log is printed if the test failed.
func newInstance(t *testing.T, dir string, homes ...string) *instance {
	t.Helper()
	return newInstanceWith(t, dir, instanceOptions{}, homes...)
}

// instanceOptions vary an instance: the address it listens on (to
// restart one where it was, or to give it a loopback address of its own,
// so that a domain block of it blocks nothing else) and its configuration.
type instanceOptions struct {
	addr   string // "127.0.0.2:0"; default 127.0.0.1 on any port
	config func(*Config)
}

func newInstanceWith(t *testing.T, dir string, o instanceOptions, homes ...string) *instance {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	if o.addr != "" {
		ts.Listener.Close()
		l, err := net.Listen("tcp", o.addr)
		if err != nil {
			t.Fatalf("listen on %s: %v", o.addr, err)
		}
		ts.Listener = l
	}
	url := "http://" + ts.Listener.Addr().String()
	cfg := DefaultConfig()
	cfg.Server.BaseURL = url
	cfg.Server.Listen = ts.Listener.Addr().String()
	cfg.Store.Path = filepath.Join(dir, strings.NewReplacer(":", "_", ".", "_").Replace(ts.Listener.Addr().String())+".db")
	if strings.Contains(t.Name(), "/"+store.DriverPostgres) {
		cfg.Store.Driver, cfg.Store.URL = store.DriverPostgres, pgtest.URL(t)
	}
	cfg.Federation.AllowPrivateAddresses = true
	if o.config != nil {
		o.config(&cfg)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if len(homes) > 0 {
		if _, err := a.seedDemo(ctx, homes...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.db.CreateUser(ctx, "editor", commons.RoleEditor, "a long enough password"); err != nil && commons.ErrorCode(err) != commons.ECONFLICT {
		t.Fatal(err)
	}
	if _, err := a.db.CreateUser(ctx, "admin", commons.RoleAdmin, "a long enough password"); err != nil && commons.ErrorCode(err) != commons.ECONFLICT {
		t.Fatal(err)
	}
	token, err := a.db.CreateToken(ctx, "admin", "test")
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = a.handler
	ts.Start()
	done := make(chan struct{})
	go func() { a.fed.Run(ctx); close(done) }()
	in := &instance{app: a, url: url, token: token, logs: logs}
	in.stop = sync.OnceFunc(func() {
		cancel()
		<-done
		ts.Close()
		a.Close()
	})
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("log of %s:\n%s", url, logs.String())
		}
	})
	return in
}

// api sends an editor's request to the instance's API.
func (in *instance) api(t *testing.T, method, path, contentType, body string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, in.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+in.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestMastodonFollowsARecord is the measure of success, against a
// peer that behaves as the reference describes Mastodon: find a record by
// its handle, fetch it, follow it, and receive its changes.
func TestMastodonFollowsARecord(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	ctx := context.Background()
	var peers []*fedtest.Peer
	for _, algo := range []string{"hs2019", "rsa-sha256"} {
		peer := fedtest.NewPeer(t, "alice")
		peer.Algo = algo
		peers = append(peers, peer)
		t.Run(algo, func(t *testing.T) {
			host := strings.TrimPrefix(in.url, "http://")
			actorURL, err := peer.WebFinger(ctx, in.url, "openstreetmap@"+host)
			if err != nil {
				t.Fatal(err)
			}
			if actorURL != in.url+"/records/openstreetmap" {
				t.Fatalf("WebFinger self = %s", actorURL)
			}
			actor, err := peer.Get(ctx, actorURL)
			if err != nil {
				t.Fatal(err)
			}
			fields, ok := actor["attachment"].([]any)
			if !ok || len(fields) == 0 {
				t.Fatalf("attachment is not a non-empty array: %v", actor["attachment"])
			}
			if actor["type"] != "Service" || actor["preferredUsername"] != "openstreetmap" || actor["inbox"] != actorURL+"/inbox" {
				t.Errorf("actor: type %v, preferredUsername %v, inbox %v", actor["type"], actor["preferredUsername"], actor["inbox"])
			}
			key, _ := actor["publicKey"].(map[string]any)
			if key["owner"] != actorURL || !strings.Contains(fmt.Sprint(key["publicKeyPem"]), "BEGIN PUBLIC KEY") {
				t.Errorf("publicKey: %v", key)
			}

			followID := peer.URL + "/follows/" + algo
			resp, err := peer.Post(ctx, actorURL+"/inbox", map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams",
				"id":       followID, "type": "Follow", "actor": peer.Actor, "object": actorURL,
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("Follow: %s", resp.Status)
			}
			accept := peer.WaitFor(t, time.Minute, "Accept", func(a map[string]any) bool { return a["type"] == "Accept" })
			if accept.Err != nil {
				t.Fatalf("Accept signature: %v", accept.Err)
			}
			obj, _ := accept.Activity["object"].(map[string]any)
			if accept.Activity["actor"] != actorURL || obj["id"] != followID {
				t.Errorf("Accept: actor %v, object %v", accept.Activity["actor"], accept.Activity["object"])
			}
			if accept.KeyID != actorURL+"#main-key" {
				t.Errorf("Accept signed with %s", accept.KeyID)
			}
		})
	}

	// The record changes: both followers get Update{actor} and Create{Note}.
	resp := in.api(t, "GET", "/api/v1/records/openstreetmap", "", "")
	etag := resp.Header.Get("ETag")
	resp.Body.Close()
	resp = in.api(t, "PATCH", "/api/v1/records/openstreetmap", "application/merge-patch+json",
		`{"status":"maintained-only"}`, "If-Match", etag)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %s %s", resp.Status, body)
	}
	actorURL := in.url + "/records/openstreetmap"
	for _, peer := range peers {
		upd := peer.WaitFor(t, time.Minute, "Update of the actor", func(a map[string]any) bool {
			obj, _ := a["object"].(map[string]any)
			return a["type"] == "Update" && obj["id"] == actorURL
		})
		if upd.Err != nil {
			t.Errorf("Update signature: %v", upd.Err)
		}
		create := peer.WaitFor(t, time.Minute, "Create{Note}", func(a map[string]any) bool {
			obj, _ := a["object"].(map[string]any)
			return a["type"] == "Create" && obj["type"] == "Note"
		})
		if create.Err != nil {
			t.Errorf("Create signature: %v", create.Err)
		}
		note := create.Activity["object"].(map[string]any)
		content, _ := note["content"].(string)
		cmap, _ := note["contentMap"].(map[string]any)
		to, _ := note["to"].([]any)
		cc, _ := note["cc"].([]any)
		tags, _ := note["tag"].([]any)
		if !strings.Contains(content, "Status changed from Stable to Maintained only.") || cmap["en"] != content {
			t.Errorf("note content %q, contentMap %v", content, cmap)
		}
		if len(to) != 1 || to[0] != "https://www.w3.org/ns/activitystreams#Public" || len(cc) != 1 || cc[0] != actorURL+"/followers" {
			t.Errorf("note addressed to %v cc %v", to, cc)
		}
		if len(tags) == 0 || !strings.Contains(jsonString(tags), `"type":"Hashtag"`) {
			t.Errorf("note tags %s", jsonString(tags))
		}
		// The Note has its own URL, answering ActivityPub.
		got, err := peer.Get(ctx, note["id"].(string))
		if err != nil || got["content"] != content {
			t.Errorf("GET note: %v %v", err, got["content"])
		}
	}
}

// jsonString renders a value for a failure message.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The instance actor is found as host@host and its collections answer.
func TestInstanceActor(t *testing.T) {
	in := newInstance(t, t.TempDir())
	peer := fedtest.NewPeer(t, "alice")
	ctx := context.Background()
	host := strings.TrimPrefix(in.url, "http://")
	hostname, _, _ := strings.Cut(host, ":")
	self, err := peer.WebFinger(ctx, in.url, hostname+"@"+host)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := peer.Get(ctx, self)
	if err != nil || actor["type"] != "Application" || self != in.url+"/actor" {
		t.Fatalf("instance actor %s: %v %v", self, actor["type"], err)
	}
	for _, c := range []string{"outbox", "followers", "following"} {
		doc, err := peer.Get(ctx, in.url+"/actor/"+c)
		if err != nil || doc["type"] != "OrderedCollection" {
			t.Errorf("/actor/%s: %v %v", c, doc, err)
		}
	}
}
