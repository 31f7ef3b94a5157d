package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"github.com/commons-directory/commons/federation/fedtest"
	"github.com/commons-directory/commons/store"
)

// benchInstance starts an instance of the demo directory on loopback, as
// newInstance does for tests, with a quiet log. It runs its federation
// workers only if run is set.
func benchInstance(b *testing.B, workers int, run bool, edit ...func(*Config)) *app {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return benchInstanceLog(b, workers, run, logger, edit...)
}

// benchInstanceLog is benchInstance with the given logger.
func benchInstanceLog(b *testing.B, workers int, run bool, logger *slog.Logger, edit ...func(*Config)) *app {
	b.Helper()
	ts := httptest.NewUnstartedServer(nil)
	cfg := DefaultConfig()
	cfg.Server.BaseURL = "http://" + ts.Listener.Addr().String()
	cfg.Server.Listen = ts.Listener.Addr().String()
	cfg.Store.Path = filepath.Join(b.TempDir(), "bench.db")
	cfg.Federation.AllowPrivateAddresses = true
	cfg.Federation.InboxRate = 0 // the load comes from one address
	if workers > 0 {
		cfg.Federation.DeliveryWorkers = workers
	}
	for _, e := range edit {
		e(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.seedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	ts.Config.Handler = a.handler
	ts.Start()
	done := make(chan struct{})
	if run {
		go func() { a.fed.Run(ctx); close(done) }()
	} else {
		close(done)
	}
	b.Cleanup(func() {
		cancel()
		<-done
		ts.Close()
		a.Close()
	})
	return a
}

// signedPost is an inbox request signed ahead of the measurement.
type signedPost struct {
	body   []byte
	header http.Header
}

// signLike signs a Like of object by peer, as the peer's server would send
// it to inbox.
func signLike(peer *fedtest.Peer, inbox, object string, n int) (signedPost, error) {
	body := fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/likes/%d","type":"Like","actor":"%s","object":"%s"}`,
		peer.URL, n, peer.Actor, object)
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return signedPost{}, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	s, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
	if err != nil {
		return signedPost{}, err
	}
	if err := s.SignRequest(peer.Key, peer.Actor+"#main-key", req, body); err != nil {
		return signedPost{}, err
	}
	return signedPost{body: body, header: req.Header}, nil
}

// BenchmarkInbox measures signed activities accepted by the shared inbox
// of a real instance: content type, parse, domain block, complete
// signature check with a warm key cache, store, 202. Requests are signed
// by four peers before the timer (each with a fresh Date and its own id);
// the load generator shares the cores. The inbox workers do not run, so
// this is acceptance alone.
//
//	go test ./cmd/commonsd -run '^$' -bench Inbox -cpu 2 -benchtime 20000x
func BenchmarkInbox(b *testing.B) {
	a := benchInstance(b, 0, false)
	base := a.cfg.Server.BaseURL
	inbox, object := base+"/inbox", base+"/records/openstreetmap"
	peers := make([]*fedtest.Peer, 4)
	for i := range peers {
		peers[i] = fedtest.NewPeer(b, fmt.Sprintf("peer%d", i))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	send := func(p signedPost) error {
		req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(p.body))
		if err != nil {
			return err
		}
		req.Header = p.header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST %s: %s %s", inbox, resp.Status, msg)
		}
		return nil
	}
	// Warm the key cache: the first activity of each peer fetches its key.
	for i, p := range peers {
		sp, err := signLike(p, inbox, object, -1-i)
		if err != nil {
			b.Fatal(err)
		}
		if err := send(sp); err != nil {
			b.Fatal(err)
		}
	}
	posts := signLikes(b, peers, inbox, object, 0, b.N)
	var next atomic.Int64
	b.SetParallelism(16) // 32 concurrent senders on 2 cores, like a busy instance
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := send(posts[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "accepted/s")
}

// BenchmarkFanOut measures one record change delivered to 10,000
// followers, each with its own inbox, on 1,000 loopback hosts answering
// 202: from the change to the last delivery acknowledged. The change
// makes two activities (Update of the actor, Create of the note), so one
// iteration is 20,000 signed deliveries.
//
// Sub-benchmarks vary the number of delivery workers (16 is the default).
//
//	go test ./cmd/commonsd -run '^$' -bench FanOut -cpu 2 -benchtime 1x
func BenchmarkFanOut(b *testing.B) {
	for _, workers := range []int{4, 16, 64} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { benchFanOut(b, workers) })
	}
}

func benchFanOut(b *testing.B, workers int) {
	const hosts, followers = 1000, 10_000
	var received atomic.Int64
	inboxHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) //nolint:errcheck
		received.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	urls := make([]string, hosts)
	for i := range urls {
		s := httptest.NewServer(inboxHandler)
		b.Cleanup(s.Close)
		urls[i] = s.URL
	}
	a := benchInstance(b, workers, true)
	ctx := context.Background()
	actor := a.cfg.Server.BaseURL + "/records/openstreetmap"
	for i := range followers {
		u := urls[i%hosts]
		f := fmt.Sprintf("%s/users/u%d", u, i)
		if err := a.db.AddFollower(ctx, store.Follower{
			Actor: actor, Follower: f, Inbox: f + "/inbox", FollowID: f + "/follow", Created: time.Now(),
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		rec, err := a.db.Record(ctx, "openstreetmap")
		if err != nil {
			b.Fatal(err)
		}
		rec.Keywords = append(rec.Keywords, fmt.Sprintf("fan-out-%d", i))
		if err := a.db.UpdateRecord(ctx, rec, rec.Provenance.Version, "bench"); err != nil {
			b.Fatal(err)
		}
		a.fed.RecordChanged()
		want := int64(2 * followers * (i + 1))
		deadline := time.Now().Add(5 * time.Minute)
		for received.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d deliveries after 5 minutes", received.Load(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		// All arrived; wait for the queue to record them as done.
		for {
			pending, _, err := a.db.DeliveryQueue(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d deliveries still pending", pending)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(received.Load())/elapsed.Seconds(), "deliveries/s")
}

// discardWriter is a ResponseWriter that keeps only the status, so that a
// handler benchmark measures the server side and not a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// benchHandler calls the instance's handler directly with r, in parallel:
// routing, middleware and the document, without the network. It runs
// twice: with the access log off (level warn) and on (level info, the
// default), through the server's logger to a file, as `commonsd serve`
// writes to a service manager's log.
func benchHandler(b *testing.B, target, accept string) {
	for _, level := range []string{"warn", "info"} {
		b.Run("log="+level, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "log"))
			if err != nil {
				b.Fatal(err)
			}
			logger, closeLog := newServerLogger(Log{Level: level, Format: "text"}, f)
			b.Cleanup(func() { closeLog(); f.Close() })
			benchHandlerLog(b, target, accept, logger)
		})
	}
}

func benchHandlerLog(b *testing.B, target, accept string, logger *slog.Logger) {
	a := benchInstanceLog(b, 0, false, logger)
	r := httptest.NewRequest(http.MethodGet, strings.ReplaceAll(target, "HOST", a.cfg.Server.Listen), nil)
	r.Host = a.cfg.Server.Listen
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	// Warm up: the first request builds the document (taking a key from
	// the pool); the pool then generates keys in the background for a
	// while, which must not be measured.
	for warm := time.Now().Add(1500 * time.Millisecond); time.Now().Before(warm); {
		a.handler.ServeHTTP(&discardWriter{h: http.Header{}}, r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			w.status = 0
			a.handler.ServeHTTP(w, r)
			if w.status != 0 && w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}

// BenchmarkActorGetHandler measures GET /records/{slug} as an ActivityPub
// actor, server side only.
//
//	go test ./cmd/commonsd -run '^$' -bench Handler -benchmem -cpu 2
func BenchmarkActorGetHandler(b *testing.B) {
	benchHandler(b, "/records/openstreetmap", "application/activity+json")
}

// BenchmarkWebFingerHandler measures a WebFinger lookup of a record,
// server side only.
func BenchmarkWebFingerHandler(b *testing.B) {
	benchHandler(b, "/.well-known/webfinger?resource=acct:openstreetmap@HOST", "")
}
