package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/commons-directory/commons/metrics"
	"github.com/commons-directory/commons/metrics/metricstest"
)

const testMetricsToken = "a-metrics-token-for-tests"

// testMetrics adapts *metrics.Metrics to Metrics, as cmd does.
type testMetrics struct{ *metrics.Metrics }

func (m testMetrics) RequestObserver(route, method, class string) Observer {
	return m.Metrics.RequestObserver(route, method, class)
}
func (m testMetrics) SearchObserver() Observer { return m.Metrics.SearchObserver() }

func withMetrics(token string) func(*Options) {
	return func(o *Options) {
		o.Metrics = testMetrics{metrics.New(metrics.Options{Process: "web-test"})}
		o.MetricsToken = token
	}
}

func (s *testServer) scrape(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	resp, b := s.do(t, req{Method: "GET", Route: "/metrics", Path: "/metrics", Header: map[string]string{"Authorization": "Bearer " + testMetricsToken}})
	expect(t, resp, b, http.StatusOK)
	return metricstest.Parse(t, b)
}

// TestMetricsRequests: requests are counted under their route template
// (never the raw path), method and status class, whether the fast path
// or the router answers; searches are timed; every series carries the
// process label.
func TestMetricsRequests(t *testing.T) {
	for _, fast := range []bool{true, false} {
		t.Run(map[bool]string{true: "FastPath", false: "Router"}[fast], func(t *testing.T) {
			s := newTestServer(t, spec, withMetrics(testMetricsToken))
			if !fast {
				// The same handler without the fast path, over the same metrics.
				srv := newServer(Options{Directory: s.db, BaseURL: s.URL, Metrics: testMetrics{metrics.New(metrics.Options{Process: "web-test"})}, MetricsToken: testMetricsToken, Logger: slog.New(slog.DiscardHandler)})
				srv.noFast = true
				ts := httptest.NewServer(srv.routes())
				t.Cleanup(ts.Close)
				s.create(t, "osm")
				s = &testServer{URL: ts.URL, db: s.db, spec: spec, logs: s.logs, client: ts.Client(), editor: s.editor}
			} else {
				s.create(t, "osm")
			}
			for range 3 {
				resp, b := s.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}", Path: "/api/v1/records/osm"})
				expect(t, resp, b, http.StatusOK)
			}
			resp, b := s.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}", Path: "/api/v1/records/nothing-here"})
			expect(t, resp, b, http.StatusNotFound)
			resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/records", Path: "/api/v1/records?q=osm"})
			expect(t, resp, b, http.StatusOK)
			resp, b = s.do(t, req{Method: "GET", Path: "/no/such/path/42"})
			expect(t, resp, b, http.StatusNotFound)

			fams := s.scrape(t)
			const name = "commonsd_http_request_duration_seconds"
			for _, c := range []struct {
				route, method, status string
				want                  float64
			}{
				{"/api/v1/records/{slug}", "GET", "2xx", 3},
				{"/api/v1/records/{slug}", "GET", "4xx", 1},
				{"/api/v1/records", "GET", "2xx", 1},
				{"unmatched", "GET", "4xx", 1},
			} {
				got, ok := metricstest.Value(fams, name, map[string]string{"route": c.route, "method": c.method, "status": c.status, "process": "web-test"})
				if !ok || got != c.want {
					t.Errorf("%s{route=%q,method=%s,status=%s} = %v (present %v), want %v", name, c.route, c.method, c.status, got, ok, c.want)
				}
			}
			for _, m := range fams[name].GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "route" && (l.GetValue() == "/api/v1/records/osm" || l.GetValue() == "/no/such/path/42") {
						t.Errorf("a raw path became a route label: %q", l.GetValue())
					}
				}
			}
			if n, ok := metricstest.Value(fams, "commonsd_search_duration_seconds", map[string]string{"process": "web-test"}); !ok || n < 1 {
				t.Errorf("commonsd_search_duration_seconds count = %v (present %v), want at least 1", n, ok)
			}
		})
	}
}

// TestMetricsToken: /metrics on the main listener needs the configured
// bearer token (401 with a problem document otherwise), and answers 404
// when metrics are off or have no token here.
func TestMetricsToken(t *testing.T) {
	s := newTestServer(t, spec, withMetrics(testMetricsToken))
	for _, h := range []map[string]string{
		nil,
		{"Authorization": "Bearer wrong-token-of-some-length"},
		{"Authorization": "Bearer " + testMetricsToken + "x"},
		{"Authorization": "Basic " + testMetricsToken},
		{"Authorization": testMetricsToken},
	} {
		resp, b := s.do(t, req{Method: "GET", Route: "/metrics", Path: "/metrics", Header: h})
		expect(t, resp, b, http.StatusUnauthorized)
		var p problem
		if err := json.Unmarshal(b, &p); err != nil || p.Status != http.StatusUnauthorized {
			t.Errorf("%v: not a problem document: %s", h, b)
		}
		if bytes.Contains(b, []byte(testMetricsToken)) {
			t.Errorf("the answer shows the token: %s", b)
		}
	}
	fams := s.scrape(t)
	if _, ok := metricstest.Value(fams, "go_goroutines", map[string]string{"process": "web-test"}); !ok {
		t.Error("no go_goroutines with the process label")
	}

	t.Run("Off", func(t *testing.T) {
		off := newTestServer(t, spec, nil)
		resp, b := off.do(t, req{Method: "GET", Route: "/metrics", Path: "/metrics", Header: map[string]string{"Authorization": "Bearer " + testMetricsToken}})
		expect(t, resp, b, http.StatusNotFound)
	})
	t.Run("OwnListener", func(t *testing.T) {
		// Metrics measured, but served on a listener of their own.
		own := newTestServer(t, spec, withMetrics(""))
		resp, b := own.do(t, req{Method: "GET", Route: "/metrics", Path: "/metrics", Header: map[string]string{"Authorization": "Bearer "}})
		expect(t, resp, b, http.StatusNotFound)
	})
}

// TestReady: /readyz answers 200 while the store answers, 503 with a
// problem document once it is closed; /healthz is unchanged.
func TestReady(t *testing.T) {
	s := newTestServer(t, spec, nil)
	resp, b := s.do(t, req{Method: "GET", Route: "/readyz", Path: "/readyz"})
	expect(t, resp, b, http.StatusOK)
	if string(b) != "ready\n" {
		t.Errorf("body %q", b)
	}
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/readyz", Path: "/readyz", Header: map[string]string{"Accept": "text/html"}})
	expect(t, resp, b, http.StatusServiceUnavailable)
	var p problem
	if err := json.Unmarshal(b, &p); err != nil || p.Status != http.StatusServiceUnavailable || p.Detail == "" {
		t.Errorf("not a problem document: %s", b)
	}
}

// TestNotReady: while the store opens, every URL answers 503 with a
// problem document and Retry-After.
func TestNotReady(t *testing.T) {
	for _, path := range []string{"/readyz", "/healthz", "/api/v1/records"} {
		w := httptest.NewRecorder()
		NotReady().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		var p problem
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Content-Type") != mediaProblem || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: %d %v", path, w.Code, w.Header())
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != http.StatusServiceUnavailable || p.Instance != path {
			t.Errorf("%s: not a problem document: %s", path, w.Body)
		}
	}
}

// BenchmarkRequestObserve measures what the metrics add to each request:
// the observation of its latency under its route, method and status
// class, in parallel as requests make it.
//
//	go test ./web -run '^$' -bench RequestObserve -cpu 2
func BenchmarkRequestObserve(b *testing.B) {
	st := newServerStats(testMetrics{metrics.New(metrics.Options{Process: "bench"})}, "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			st.apiRecord.observe(http.MethodGet, http.StatusOK, 1500*time.Microsecond)
		}
	})
}
