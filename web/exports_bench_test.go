package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// benchExport measures one export URL on the server side alone: the
// handler, called directly, over a store holding n records.
//
//	go test ./web -run '^$' -bench 'Export' -benchmem -cpu 2
func benchExport(b *testing.B, n int, path string) {
	s := newTestServer(b, nil, nil)
	for i := range n {
		s.create(b, "r"+strconv.Itoa(i))
	}
	h := New(Options{Directory: s.db, BaseURL: s.URL, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	r := httptest.NewRequest(http.MethodGet, path, nil)
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

// BenchmarkExportFeed serves the Atom feed of a 60-record directory (50 entries).
func BenchmarkExportFeed(b *testing.B) { benchExport(b, 60, "/feeds/records.atom") }

// BenchmarkExportJSONLD serves one record as schema.org JSON-LD.
func BenchmarkExportJSONLD(b *testing.B) { benchExport(b, 1, "/records/r0.jsonld") }
