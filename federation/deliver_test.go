package federation

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation/fedtest"
	"github.com/commons-directory/commons/store"
)

// deliveryRig is a Federation with a real store, serving its instance
// actor on loopback (so peers can verify its signatures), running its
// workers with a retry schedule in milliseconds.
type deliveryRig struct {
	f   *Federation
	db  *store.DB
	seq atomic.Int64
}

func newDeliveryRig(t *testing.T, schedule []time.Duration) *deliveryRig {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "fed.db"), BaseURL: base,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f := New(Options{DB: db, BaseURL: base, InstanceName: "test", AllowPrivate: true, Workers: 4,
		Schedule: schedule, PollInterval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/actor" {
			http.NotFound(w, r)
			return
		}
		if err := f.ServeInstanceActor(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	ts.Start()
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		ts.Close()
		f.Close()
		db.Close()
	})
	return &deliveryRig{f: f, db: db}
}

// testWriter sends log lines to the test log, shown when it fails.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// send queues a fresh activity of the instance actor for inbox and
// returns its id.
func (g *deliveryRig) send(t *testing.T, inbox string) string {
	t.Helper()
	sender := g.f.InstanceActorID()
	id := fmt.Sprintf("%s#test-%d", sender, g.seq.Add(1))
	body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Announce","actor":%q,"object":%q}`, id, sender, sender)
	if err := g.db.Enqueue(context.Background(), id, sender, []byte(body), []string{inbox}); err != nil {
		t.Fatal(err)
	}
	wake(g.f.wakeDeliver)
	return id
}

// health returns the queue length and the state of inbox.
func (g *deliveryRig) health(t *testing.T, inbox string) (pending int, h store.InboxHealth) {
	t.Helper()
	pending, failing, err := g.db.DeliveryQueue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failing {
		if f.Inbox == inbox {
			h = f
		}
	}
	return pending, h
}

// until polls cond until it holds, or fails the test after a minute (a
// bound for a loaded machine under -race, not a measure).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func byID(id string) func(map[string]any) bool {
	return func(a map[string]any) bool { return a["id"] == id }
}

// TestDeliveryRetries runs deliveries against peers that answer with
// scripted statuses and checks what is retried, when, and what is dropped.
func TestDeliveryRetries(t *testing.T) {
	g := newDeliveryRig(t, []time.Duration{10 * time.Millisecond, 10 * time.Millisecond})

	t.Run("500 then 202 is retried", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "alice")
		inbox := peer.URL + "/inbox"
		peer.Respond(fedtest.Response{Status: 500}, fedtest.Response{Status: 503})
		id := g.send(t, inbox)
		until(t, "three attempts", func() bool { return peer.Count(byID(id)) == 3 })
		until(t, "the queue empties", func() bool { n, _ := g.health(t, inbox); return n == 0 })
		for _, d := range peer.Deliveries() {
			if d.Err != nil {
				t.Errorf("attempt signature: %v", d.Err)
			}
		}
		if _, h := g.health(t, inbox); h.Failures != 0 || h.Unreachable {
			t.Errorf("inbox health after success: %+v", h)
		}
	})

	t.Run("429 honours Retry-After", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "bob")
		inbox := peer.URL + "/inbox"
		peer.Respond(fedtest.Response{Status: 429, RetryAfter: "1"})
		id := g.send(t, inbox)
		until(t, "two attempts", func() bool { return peer.Count(byID(id)) == 2 })
		ds := peer.Deliveries()
		// The schedule says 10 ms; Retry-After says a second.
		if gap := ds[1].At.Sub(ds[0].At); gap < time.Second {
			t.Errorf("retried after %s despite Retry-After: 1", gap)
		}
	})

	for _, status := range []int{404, 410} {
		t.Run(fmt.Sprintf("%d is dropped, inbox stays reachable", status), func(t *testing.T) {
			peer := fedtest.NewPeer(t, "carol")
			inbox := peer.URL + "/inbox"
			peer.Respond(fedtest.Response{Status: status})
			id := g.send(t, inbox)
			until(t, "the refused delivery is dropped", func() bool { n, _ := g.health(t, inbox); return n == 0 })
			if _, h := g.health(t, inbox); h.Unreachable {
				t.Errorf("inbox marked unreachable after a %d", status)
			}
			// The next activity is still delivered, and the refused one was
			// not sent again.
			next := g.send(t, inbox)
			peer.WaitFor(t, time.Minute, "the next activity", byID(next))
			if n := peer.Count(byID(id)); n != 1 {
				t.Errorf("the refused activity was sent %d times", n)
			}
		})
	}

	t.Run("5xx until the schedule ends: given up, unreachable", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "dave")
		inbox := peer.URL + "/inbox"
		peer.Respond(fedtest.Response{Status: 500}, fedtest.Response{Status: 502}, fedtest.Response{Status: 500})
		id := g.send(t, inbox)
		until(t, "given up", func() bool { _, h := g.health(t, inbox); return h.Unreachable })
		if n := peer.Count(byID(id)); n != 3 {
			t.Errorf("%d attempts, want 3 (one and two retries)", n)
		}
		// Nothing more is queued for it.
		g.send(t, inbox)
		if n, _ := g.health(t, inbox); n != 0 {
			t.Errorf("%d deliveries queued for an unreachable inbox", n)
		}
	})
}
