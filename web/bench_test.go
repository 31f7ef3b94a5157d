package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRecordGet measures GET /api/v1/records/{slug} over loopback
// HTTP on the cached path (the record's encoding is cached; the store is
// still asked for the record). Client and server share the CPU, as with a
// load generator on the same machine.
//
//	go test ./web -run '^$' -bench RecordGet -benchmem -cpu 2
func BenchmarkRecordGet(b *testing.B) {
	s := newTestServer(b, nil, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) })
	s.create(b, "osm")
	url := s.URL + "/api/v1/records/osm"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := s.client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkRecordGetHandler measures the server side alone: the handler,
// called directly, with the access log formatted and discarded.
func BenchmarkRecordGetHandler(b *testing.B) {
	s := newTestServer(b, nil, nil)
	s.create(b, "osm")
	h := New(Options{Directory: s.db, BaseURL: s.URL, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	r := httptest.NewRequest(http.MethodGet, "/api/v1/records/osm", nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkRecordGetMetrics is BenchmarkRecordGetHandler without and
// with the metrics, alternately, to measure what they cost on the fast
// path.
//
//	go test ./web -run '^$' -bench RecordGetMetrics -benchmem -cpu 2 -count 5
func BenchmarkRecordGetMetrics(b *testing.B) {
	s := newTestServer(b, nil, nil)
	s.create(b, "osm")
	for _, on := range []bool{false, true} {
		opts := Options{Directory: s.db, BaseURL: s.URL, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		name := "off"
		if on {
			withMetrics(testMetricsToken)(&opts)
			name = "on"
		}
		h := New(opts)
		b.Run(name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/records/osm", nil)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
		})
	}
}
