package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation/fedtest"
	"github.com/commons-directory/commons/store/pgtest"
)

// balancer is a reverse proxy in front of the replicas, as an operator's
// would be: requests go round the live replicas, with the Host kept.
type balancer struct {
	mu       sync.Mutex
	backends []*url.URL
	next     atomic.Uint64
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	target := b.backends[int(b.next.Add(1))%len(b.backends)]
	b.mu.Unlock()
	p := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host
	}}
	p.ServeHTTP(w, r)
}

func (b *balancer) remove(u string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.backends {
		if x.String() == u {
			b.backends = append(b.backends[:i:i], b.backends[i+1:]...)
			return
		}
	}
}

// TestReplicas runs two commonsd serve processes over one PostgreSQL
// database behind one base URL: a record changed through one is served
// changed by the other; 1,000 deliveries to ten followers are each sent
// exactly once while both run; and when one is killed mid-way, the other
// sends the rest.
func TestReplicas(t *testing.T) {
	pgtest.Require(t)
	db := pgtest.URL(t)
	ports := freePorts(t, 2)
	urls := []string{fmt.Sprintf("http://127.0.0.1:%d", ports), fmt.Sprintf("http://127.0.0.1:%d", ports+1)}
	lb := &balancer{}
	for _, u := range urls {
		pu, _ := url.Parse(u)
		lb.backends = append(lb.backends, pu)
	}
	front := httptest.NewServer(lb)
	t.Cleanup(front.Close)
	base := front.URL
	vars := map[string]string{
		"COMMONSD_SERVER_BASE_URL":                    base,
		"COMMONSD_STORE_DRIVER":                       "postgres",
		"COMMONSD_STORE_URL":                          db,
		"COMMONSD_LOG_LEVEL":                          "warn",
		"COMMONSD_DEMO_LOAD_WHEN_EMPTY":               "true",
		"COMMONSD_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
		"COMMONSD_FEDERATION_DELIVERY_LEASE":          "3s",
	}
	var children []*child
	for _, u := range urls {
		v := maps.Clone(vars)
		v["COMMONSD_SERVER_LISTEN"] = strings.TrimPrefix(u, "http://")
		children = append(children, startChildAt(t, v, u))
	}
	e := &testEnv{t: t, url: base, vars: vars}
	e.mustRun("correct horse battery staple\n", "user", "add", "ed")
	token := strings.TrimSpace(e.mustRun("", "token", "create", "ed"))

	ctx := context.Background()
	actor := base + "/records/openstreetmap"
	var peers []*fedtest.Peer
	for i := range 10 {
		p := fedtest.NewPeer(t, fmt.Sprintf("p%d", i))
		resp, err := p.Post(ctx, actor+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams",
			"id":       p.URL + "/follows/1", "type": "Follow", "actor": p.Actor, "object": actor,
		})
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Follow: %v %v", resp, err)
		}
		peers = append(peers, p)
	}
	for _, p := range peers {
		p.WaitFor(t, time.Minute, "Accept", func(a map[string]any) bool { return a["type"] == "Accept" })
	}

	// change edits the record through the replica at u and returns its
	// new status.
	n := 0
	change := func(u string) string {
		t.Helper()
		n++
		status := []string{"stable", "maintained-only"}[n%2]
		for {
			resp, err := http.Get(u + "/api/v1/records/openstreetmap")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			req, _ := http.NewRequest("PATCH", u+"/api/v1/records/openstreetmap", strings.NewReader(`{"status":"`+status+`"}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", resp.Header.Get("ETag"))
			req.Header.Set("Authorization", "Bearer "+token)
			if resp, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return status
			case http.StatusPreconditionFailed, http.StatusTooManyRequests:
				time.Sleep(50 * time.Millisecond) // the other replica wrote first, or the bucket is empty
			default:
				t.Fatalf("PATCH through %s: %s", u, resp.Status)
			}
		}
	}
	statusAt := func(u string) string {
		resp, err := http.Get(u + "/api/v1/records/openstreetmap")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var r struct{ Status string }
		json.NewDecoder(resp.Body).Decode(&r)
		return r.Status
	}
	// Changed through one, served changed by the other.
	for i := range 4 {
		want := change(urls[i%2])
		eventually(t, time.Minute, func() bool { return statusAt(urls[(i+1)%2]) == want })
	}

	// Each change is posted (a Create of a note and an Update of the
	// record) to each of the ten followers: 20 deliveries a change.
	posted := func() (total int, dup []string) {
		for _, p := range peers {
			seen := map[string]int{}
			for _, d := range p.Deliveries() {
				if typ := d.Activity["type"]; typ == "Create" || typ == "Update" {
					id, _ := d.Activity["id"].(string)
					seen[id]++
					if seen[id] == 2 {
						dup = append(dup, p.Actor+" "+id)
					}
				}
			}
			total += len(seen)
		}
		return total, dup
	}
	wait := func(want int) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			got, _ := posted()
			if got >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d distinct activities delivered within a minute, want %d", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for i := range 30 {
		change(urls[i%2])
	}
	want := (4 + 30) * 20
	wait(want)
	if got, dup := posted(); got != want || len(dup) > 0 {
		t.Fatalf("with both running: %d activities delivered, want %d; sent twice: %v", got, want, dup)
	}

	// One is killed mid-way: the other sends the rest, its claims too once
	// their lease ends.
	for i := range 20 {
		if i == 10 {
			children[0].kill()
			lb.remove(urls[0])
		}
		change(urls[1])
	}
	want += 20 * 20
	wait(want)
	if got, _ := posted(); got != want {
		t.Fatalf("after the kill: %d activities delivered, want %d", got, want)
	}
}
