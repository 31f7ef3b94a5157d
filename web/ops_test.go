package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/store"
)

// TestUITokens lists every live token on the operators' page (owner,
// label, created, last used; never a secret), creates one shown once, and
// revokes one from the list.
func TestUITokens(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.login("ada")
	// newTestServer gave ed and ada a token labelled "test"; ed's has been used.
	if _, err := s.db.UserByToken(t.Context(), s.editor); err != nil {
		t.Fatal(err)
	}
	page := b.get("/ops/users", http.StatusOK)
	rows := regexp.MustCompile(`(?s)<tr><td>([a-z]+)</td><th scope="row">([^<]*)</th><td><time datetime="[^"]+">[^<]+</time></td><td>(.*?)</td>`).FindAllStringSubmatch(page, -1)
	if len(rows) != 2 || rows[0][1] != "ada" || rows[0][3] != "never" || rows[1][1] != "ed" || !strings.Contains(rows[1][3], "<time") {
		t.Fatalf("token rows %q\n%s", rows, page)
	}
	for _, secret := range []string{s.editor, s.admin} {
		wantNotIn(t, "token list", page, secret, secret[4:])
	}

	_, page = b.post("/ops/tokens", url.Values{"user": {"ed"}, "label": {"harvester"}}, http.StatusOK)
	wantIn(t, "new token", page, `<code class="token">cdt_`, `<th scope="row">harvester</th>`)
	tokens, err := s.db.Tokens(t.Context())
	if err != nil || len(tokens) != 3 {
		t.Fatalf("tokens %+v, %v", tokens, err)
	}
	var harvester int64
	for _, tk := range tokens {
		if tk.Label == "harvester" {
			harvester = tk.ID
		}
	}
	wantIn(t, "revoke button", page, `name="id" value="`+itoa(harvester)+`"`)
	b.post("/ops/tokens/revoke", url.Values{"id": {itoa(s.mustTokenID(t, "ed", "test"))}}, http.StatusSeeOther)
	if _, err := s.db.UserByToken(t.Context(), s.editor); err == nil {
		t.Error("the token revoked from the list still works")
	}
	page = b.get("/ops/users?done=revoked", http.StatusOK)
	wantNotIn(t, "after revoking", page, `<tr><td>ed</td><th scope="row">test</th>`)
	wantIn(t, "after revoking", page, `<th scope="row">harvester</th>`)
	_, page = b.post("/ops/tokens/revoke", url.Values{"id": {itoa(s.mustTokenID(t, "ada", "test") + 1000)}}, http.StatusUnprocessableEntity)
	wantIn(t, "unknown id", page, `id="revoke-err"`)
	b.post("/ops/tokens/revoke", url.Values{"id": {"x"}}, http.StatusBadRequest)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mustTokenID finds the id of a live token by owner and label.
func (s *testServer) mustTokenID(t *testing.T, user, label string) int64 {
	t.Helper()
	tokens, err := s.db.Tokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tokens {
		if tk.User == user && tk.Label == label {
			return tk.ID
		}
	}
	t.Fatalf("no live token %s/%s in %+v", user, label, tokens)
	return 0
}

// TestUIFailingInboxes runs real deliveries to two loopback inboxes, one
// answering 503 (retried later) and one closed (given up after the retry
// schedule), and reads the operators' page: both listed as failing, the
// closed one as given up, each with its last error.
func TestUIFailingInboxes(t *testing.T) {
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	t.Cleanup(busy.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/inbox"
	l.Close()

	var f *federation.Federation
	s := newTestServer(t, nil, func(o *Options) {
		f = federation.New(federation.Options{DB: o.Directory.(*store.DB), BaseURL: o.BaseURL, InstanceName: o.InstanceName, AllowPrivate: true,
			Schedule: []time.Duration{time.Millisecond}, PollInterval: 10 * time.Millisecond})
		t.Cleanup(f.Close)
		o.Federation, o.Operator = f, f
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); f.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })

	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + s.URL + `/activities/1","type":"Update","actor":"` + f.InstanceActorID() + `"}`)
	if err := s.db.Enqueue(t.Context(), s.URL+"/activities/1", f.InstanceActorID(), body, []string{busy.URL + "/inbox", closed}); err != nil {
		t.Fatal(err)
	}

	b := s.browser(t)
	b.login("ada")
	var page string
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(time.Minute); ; <-tick.C {
		page = b.get("/ops", http.StatusOK)
		if strings.Contains(page, "HTTP 503") && strings.Contains(page, "(given up)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deliveries did not fail in time:\n%s", page)
		}
	}
	i := strings.Index(page, `id="queue-h"`)
	queue := page[i:]
	wantIn(t, "deliveries", queue, "1 delivery waiting or being retried.", "Failing inboxes",
		`<th scope="row">`+closed+` (given up)</th><td>2</td><td>`, "connection refused",
		`<th scope="row">`+busy.URL+`/inbox</th><td>1</td><td>HTTP 503</td>`)
	if strings.Index(queue, closed) > strings.Index(queue, busy.URL) {
		t.Error("the unreachable inbox is not listed first")
	}
	checkHTML(t, "ops with failing inboxes", page)
	validateHTML(t, map[string]string{"ops-failing": page})
}

// TestUIPeerSyncCost: the operators' page shows, per peer, when the last
// reconciliation was, how long ago, and what it cost, in the page
// language.
func TestUIPeerSyncCost(t *testing.T) {
	var f *federation.Federation
	s := newTestServer(t, nil, func(o *Options) {
		f = federation.New(federation.Options{DB: o.Directory.(*store.DB), BaseURL: o.BaseURL, InstanceName: o.InstanceName, AllowPrivate: true})
		t.Cleanup(f.Close)
		o.Federation, o.Operator = f, f
	})
	last := time.Now().Add(-3*time.Hour - 5*time.Minute - 30*time.Second).UTC()
	p := store.Peer{Peer: commons.Peer{Actor: "https://peer.example/actor", Host: "peer.example", Outgoing: commons.PeerAccepted,
		LastSync: last, SyncRequests: 1234, SyncBytes: 3 << 19, SyncDocuments: 7}, Inbox: "https://peer.example/inbox"}
	if err := s.db.PutPeer(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if err := s.db.PutPeer(t.Context(), store.Peer{Peer: commons.Peer{Actor: "https://new.example/actor", Host: "new.example",
		Outgoing: commons.PeerPending}}); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login("ada")
	page := b.get("/ops", http.StatusOK)
	peers := page[strings.Index(page, `id="peers-h"`):strings.Index(page, `id="blocks-h"`)]
	wantIn(t, "peers", peers, "Last sync", `<time datetime="`+last.Format(time.RFC3339)+`">`+last.Format("2006-01-02 15:04")+`</time> (3h05m)`,
		"requests: 1,234 · bytes: 1.5 MiB · records fetched: 7", "never")
	page = b.get("/ops?lang=de", http.StatusOK)
	wantIn(t, "peers in German", page, "Anfragen: 1.234 · Bytes: 1,5 MiB · abgerufene Einträge: 7")
	checkHTML(t, "ops with peers", page)
}
