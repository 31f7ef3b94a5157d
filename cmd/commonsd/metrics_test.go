package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/commons-directory/commons/federation/fedtest"
	"github.com/commons-directory/commons/metrics/metricstest"
	"github.com/commons-directory/commons/store"
)

const testMetricsToken = "a-metrics-token-for-tests"

// scrapeMetrics reads url's metrics (with the bearer token if any) and
// returns them, or none and the status if it was not 200.
func scrapeMetrics(t *testing.T, url, token string) (fams map[string]*dto.MetricFamily, status int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode
	}
	return metricstest.Parse(t, b), resp.StatusCode
}

// TestMetricsEndToEnd: after real requests — a record GET, a search, an
// unsigned activity refused, fediverse users' Follows accepted and their
// Accepts delivered, retried or given up, a peer followed and reconciled
// — a scrape of /metrics shows each with its labels.
func TestMetricsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	b := newInstanceWith(t, dir, openPeer("127.0.0.1:0"), "fr")
	a := newInstanceWith(t, dir, instanceOptions{config: func(c *Config) {
		c.Metrics.Token = testMetricsToken
		c.Metrics.Process = "a-1"
		c.Federation.RetrySchedule = Durations{{200 * time.Millisecond}} // one retry, then give up
	}}, "eu")
	ctx := context.Background()

	resp := a.api(t, "GET", "/api/v1/records/openstreetmap", "", "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET record: %s", resp.Status)
	}
	resp = a.api(t, "GET", "/api/v1/records?q=map", "", "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %s", resp.Status)
	}
	resp, err := http.Post(a.url+"/inbox", "application/activity+json",
		strings.NewReader(`{"@context": "https://www.w3.org/ns/activitystreams", "id": "http://x.example/1", "type": "Like", "actor": "http://x.example/u", "object": "`+a.url+`/records/openstreetmap"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned activity: %s, want 401", resp.Status)
	}
	peer := fedtest.NewPeer(t, "alice")
	follows(t, a, peer, "openstreetmap", "metrics") // its Accept is delivered
	// Bob's inbox fails once: the Accept is retried, then sent. Carol's
	// fails twice: the Accept is given up and her inbox is unreachable.
	bob, carol := fedtest.NewPeer(t, "bob"), fedtest.NewPeer(t, "carol")
	bob.Respond(fedtest.Response{Status: 503})
	carol.Respond(fedtest.Response{Status: 503}, fedtest.Response{Status: 503})
	follows(t, a, bob, "openstreetmap", "metrics-bob")
	follows(t, a, carol, "openstreetmap", "metrics-carol")
	a.follow(t, b)
	local, _, err := b.db.CountRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bHost := strings.TrimPrefix(b.url, "http://")

	var fams map[string]*dto.MetricFamily
	want := func(name string, labels map[string]string, ok func(float64) bool) bool {
		labels["process"] = "a-1"
		v, found := metricstest.Value(fams, name, labels)
		return found && ok(v)
	}
	atLeast := func(n float64) func(float64) bool { return func(v float64) bool { return v >= n } }
	exactly := func(n float64) func(float64) bool { return func(v float64) bool { return v == n } }
	checks := []struct {
		name   string
		labels map[string]string
		ok     func(float64) bool
	}{
		{"commonsd_http_request_duration_seconds", map[string]string{"route": "/api/v1/records/{slug}", "method": "GET", "status": "2xx"}, exactly(1)},
		{"commonsd_http_request_duration_seconds", map[string]string{"route": "/api/v1/records", "method": "GET", "status": "2xx"}, exactly(1)},
		{"commonsd_http_request_duration_seconds", map[string]string{"route": "/inbox", "method": "POST", "status": "4xx"}, exactly(1)},
		{"commonsd_http_request_duration_seconds", map[string]string{"route": "/records/{slug}/inbox", "method": "POST", "status": "2xx"}, exactly(3)},
		{"commonsd_search_duration_seconds", map[string]string{}, atLeast(1)},
		{"commonsd_inbox_refused_total", map[string]string{"reason": "signature"}, exactly(1)},
		{"commonsd_inbox_refused_total", map[string]string{"reason": "date"}, exactly(0)},
		{"commonsd_inbox_accepted_total", map[string]string{}, atLeast(4)},                 // three Follows, B's Accept
		{"commonsd_deliveries_total", map[string]string{"outcome": "sent"}, atLeast(3)},    // the Accepts to alice and bob, the Follow to B
		{"commonsd_deliveries_total", map[string]string{"outcome": "retry"}, exactly(2)},   // to bob, to carol
		{"commonsd_deliveries_total", map[string]string{"outcome": "gave_up"}, exactly(1)}, // to carol
		{"commonsd_deliveries_total", map[string]string{"outcome": "refused"}, exactly(0)},
		{"commonsd_peer_syncs_total", map[string]string{"peer": bHost, "outcome": "ok"}, atLeast(1)},
		{"commonsd_peer_sync_lag_seconds", map[string]string{"peer": bHost}, atLeast(0)},
		{"commonsd_records", map[string]string{"origin": "local"}, atLeast(1)},
		{"commonsd_records", map[string]string{"origin": "remote"}, exactly(float64(local))},
		{"commonsd_delivery_queue", map[string]string{}, atLeast(0)},
		{"commonsd_delivery_inboxes", map[string]string{"state": "unreachable"}, exactly(1)}, // carol's
		{"commonsd_database_size_bytes", map[string]string{}, atLeast(4096)},
		{"commonsd_store_up", map[string]string{}, exactly(1)},
		{"process_resident_memory_bytes", map[string]string{}, atLeast(1)},
	}
	// Deliveries and the reconciliation finish in the background.
	deadline := time.Now().Add(time.Minute)
	for {
		var status int
		fams, status = scrapeMetrics(t, a.url+"/metrics", testMetricsToken)
		if status != http.StatusOK {
			t.Fatalf("scrape: %d", status)
		}
		var missing []string
		for _, c := range checks {
			if !want(c.name, c.labels, c.ok) {
				v, found := metricstest.Value(fams, c.name, c.labels)
				missing = append(missing, fmt.Sprintf("%s%v = %v (present %v)", c.name, c.labels, v, found))
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute:\n  %s", strings.Join(missing, "\n  "))
		}
		time.Sleep(50 * time.Millisecond)
	}

	if _, status := scrapeMetrics(t, a.url+"/metrics", ""); status != http.StatusUnauthorized {
		t.Errorf("scrape without the token: %d, want 401", status)
	}
	if _, status := scrapeMetrics(t, b.url+"/metrics", testMetricsToken); status != http.StatusNotFound {
		t.Errorf("scrape of an instance without metrics: %d, want 404", status)
	}
	if strings.Contains(a.logs.String(), testMetricsToken) {
		t.Error("the log shows the metrics token")
	}
}

// TestMetricsOwnListener: with metrics.listen, /metrics is served on that
// address without a token, and not on the main listener.
func TestMetricsOwnListener(t *testing.T) {
	e := newTestEnv(t)
	port := freePorts(t, 1)
	e.vars["COMMONSD_METRICS_LISTEN"] = fmt.Sprintf("127.0.0.1:%d", port)
	e.vars["COMMONSD_METRICS_PROCESS"] = "own"
	e.serve()
	var fams map[string]*dto.MetricFamily
	eventually(t, time.Minute, func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	fams, status := scrapeMetrics(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), "")
	if status != http.StatusOK {
		t.Fatalf("scrape: %d", status)
	}
	if v, ok := metricstest.Value(fams, "commonsd_store_up", map[string]string{"process": "own"}); !ok || v != 1 {
		t.Errorf("commonsd_store_up{process=own} = %v (present %v)", v, ok)
	}
	if _, status := scrapeMetrics(t, e.url+"/metrics", ""); status != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404", status)
	}
}

// TestReadyWhileMigrating: the listener answers before the store is open:
// /readyz (and every URL) is 503 while another connection holds the
// database's write lock, so that its migrations wait; 200 once they ran.
func TestReadyWhileMigrating(t *testing.T) {
	e := newTestEnv(t)
	path := filepath.Join(t.TempDir(), "commons.db")
	e.vars["COMMONSD_STORE_PATH"] = path
	// A database in WAL mode whose write lock this test holds: the
	// server's migrations wait for it (busy_timeout).
	lock, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	lock.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := lock.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
				t.Error(err)
			}
			conn.Close()
		})
	}
	defer release()

	get := func(path string) int {
		resp, err := http.Get(e.url + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	done := make(chan error, 1)
	sctx, cancel := context.WithCancel(ctx)
	var logs bytes.Buffer
	go func() {
		done <- run(sctx, []string{"commonsd", "serve"}, e.getenv, strings.NewReader(""), io.Discard, &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, logs.String())
		}
	}()
	eventually(t, time.Minute, func() bool { return get("/readyz") != 0 })
	for _, p := range []string{"/readyz", "/healthz", "/api/v1/records"} {
		if got := get(p); got != http.StatusServiceUnavailable {
			t.Errorf("%s while the store opens: %d, want 503", p, got)
		}
	}
	release()
	eventually(t, time.Minute, func() bool { return get("/readyz") == http.StatusOK })
	if got := get("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz once open: %d", got)
	}
}

// TestMetricsStoreDown: a scrape while the store fails still answers,
// with commonsd_store_up 0 and without the gauges it could not read.
func TestMetricsStoreDown(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "commons.db"), BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics(Metrics{Token: testMetricsToken, Process: "down"}, db, nil)
	ts := httptest.NewServer(metricsMux(m))
	defer ts.Close()
	fams, status := scrapeMetrics(t, ts.URL+"/metrics", "")
	if v, ok := metricstest.Value(fams, "commonsd_store_up", nil); status != http.StatusOK || !ok || v != 1 {
		t.Fatalf("open store: status %d, commonsd_store_up %v (present %v)", status, v, ok)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fams, status = scrapeMetrics(t, ts.URL+"/metrics", "")
	if v, ok := metricstest.Value(fams, "commonsd_store_up", map[string]string{"process": "down"}); status != http.StatusOK || !ok || v != 0 {
		t.Errorf("closed store: status %d, commonsd_store_up %v (present %v)", status, v, ok)
	}
	if _, ok := metricstest.Value(fams, "commonsd_database_size_bytes", nil); ok {
		t.Error("closed store: commonsd_database_size_bytes present")
	}
}
