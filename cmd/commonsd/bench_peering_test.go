package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// benchPeer starts an empty instance with an open peer policy on addr,
// its federation workers running.
func benchPeer(b *testing.B, addr string) *app {
	b.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.Listener.Close()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	ts.Listener = l
	cfg := DefaultConfig()
	cfg.Server.BaseURL = "http://" + l.Addr().String()
	cfg.Server.Listen = l.Addr().String()
	cfg.Store.Path = filepath.Join(b.TempDir(), "peer.db")
	cfg.Federation.AllowPrivateAddresses = true
	cfg.Federation.PeerPolicy = "open"
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		b.Fatal(err)
	}
	ts.Config.Handler = a.handler
	ts.Start()
	done := make(chan struct{})
	go func() { a.fed.Run(ctx); close(done) }()
	b.Cleanup(func() {
		cancel()
		<-done
		ts.Close()
		a.Close()
	})
	return a
}

// waitPublished waits until a's publisher has gone through the whole
// history, as it long has on a live instance that peers later.
func waitPublished(b *testing.B, a *app) {
	b.Helper()
	ctx := context.Background()
	a.fed.RecordChanged()
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		cursor, err := a.db.PublishCursor(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, last, err := a.db.HistoryAfter(ctx, cursor, 1); err != nil {
			b.Fatal(err)
		} else if last == cursor {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("the publisher did not catch up in 5 minutes")
		}
	}
}

// benchRecords makes n varied valid records.
func benchRecords(n int) []*commons.Record {
	kinds := []string{"software", "data", "geodata", "knowledge", "standard"}
	countries := []string{"FR", "DE", "IT", "ES", "NL", "PL", "EU"}
	words := []string{"open", "street", "map", "data", "civic", "commons", "address", "library", "archive", "transit"}
	out := make([]*commons.Record, n)
	for i := range out {
		name := fmt.Sprintf("%s %s %d", words[i%len(words)], words[(i/10)%len(words)], i)
		out[i] = &commons.Record{
			Slug: fmt.Sprintf("bench-%06d", i), Name: commons.Text{"en": name, "fr": name + " (fr)"},
			Summary:     commons.Text{"en": "A digital commons for benchmarking number " + strconv.Itoa(i)},
			Description: commons.Text{"en": "Longer text about " + name + ", its community, its governance and its funding."},
			Kinds:       []string{kinds[i%len(kinds)]}, Countries: []commons.Country{{Code: countries[i%len(countries)], Role: "origin"}},
			Languages: []string{"en", "fr"}, Licences: []commons.Licence{{Expression: "MIT"}}, Status: "stable",
			Links: commons.Links{Homepage: fmt.Sprintf("https://example.org/%d", i)},
		}
	}
	return out
}

// BenchmarkBackfill measures a new peer's backfill of another instance's
// records, end to end over HTTP: the Follow, the Accept, and the paging
// through the record collection into the follower's store and search
// index. COMMONSD_BENCH_RECORDS sets the size (default 100,000). Run with
// -benchtime=1x.
func BenchmarkBackfill(b *testing.B) {
	n := 100_000
	if s := os.Getenv("COMMONSD_BENCH_RECORDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		origin := benchPeer(b, "127.0.0.1:0")
		if _, err := origin.db.ImportRecords(ctx, benchRecords(n), store.ImportOptions{Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
		waitPublished(b, origin)
		follower := benchPeer(b, "127.0.0.2:0")
		b.StartTimer()
		start := time.Now()
		if _, err := follower.fed.FollowPeer(ctx, origin.cfg.Server.BaseURL); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Minute)
		for {
			_, remote, err := follower.db.CountRecords(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if remote == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("backfilled %d of %d records in 10 minutes", remote, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
		b.ReportMetric(elapsed.Seconds(), "s/backfill")
	}
}

// BenchmarkChangeLatency measures how long one change at its origin takes
// to appear in a peer's search results: the publisher, the delivery, the
// peer's inbox, processing and search index. It reports the median and
// the 95th percentile over b.N changes.
func BenchmarkChangeLatency(b *testing.B) {
	ctx := context.Background()
	origin := benchPeer(b, "127.0.0.1:0")
	peer := benchPeer(b, "127.0.0.2:0")
	if _, err := origin.db.ImportRecords(ctx, benchRecords(1000), store.ImportOptions{Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	waitPublished(b, origin)
	if _, err := peer.fed.FollowPeer(ctx, origin.cfg.Server.BaseURL); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, remote, _ := peer.db.CountRecords(ctx); remote == 1000 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("no backfill within a minute")
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		word := fmt.Sprintf("zq%dx%d", i, time.Now().UnixNano()%1e6)
		r, err := origin.db.Record(ctx, fmt.Sprintf("bench-%06d", i%1000))
		if err != nil {
			b.Fatal(err)
		}
		r.Keywords = append(r.Keywords, word)
		start := time.Now()
		if err := origin.db.UpdateRecord(ctx, r, 0, "bench"); err != nil {
			b.Fatal(err)
		}
		origin.fed.RecordChanged()
		for deadline := start.Add(30 * time.Second); ; time.Sleep(200 * time.Microsecond) {
			page, err := peer.db.SearchRecords(ctx, commons.RecordFilter{Query: word, IncludeRemote: true, Limit: 1})
			if err != nil {
				b.Fatal(err)
			}
			if page.Total == 1 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("change %d not found at the peer within 30 s", i)
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "ms-p95")
}
