package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// benchRecords returns n varied valid records.
func benchRecords(b *testing.B, n int) []*commons.Record {
	b.Helper()
	kinds := []string{"software", "data", "geodata", "service", "knowledge"}
	out := make([]*commons.Record, n)
	for i := range n {
		r, err := commons.DecodeRecord(strings.NewReader(richRecordJSON))
		if err != nil {
			b.Fatal(err)
		}
		r.Slug = "r" + strconv.Itoa(i)
		r.Name["en"] = "Commons number " + strconv.Itoa(i)
		r.Kinds = []string{kinds[i%len(kinds)]}
		out[i] = r
	}
	return out
}

// benchDirectory is a server over a store holding n records.
func benchDirectory(b *testing.B, n int) (*testServer, http.Handler) {
	s := newTestServer(b, nil, nil)
	if _, err := s.db.ImportRecords(context.Background(), benchRecords(b, n), store.ImportOptions{Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	return s, New(Options{Directory: s.db, BaseURL: s.URL, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
}

// BenchmarkExportDCAT harvests a 10,000-record catalogue page by page
// (limit=1000), as a DCAT-AP harvester does, and reports records/s.
//
//	go test ./web -run '^$' -bench 'ExportDCAT|CSVRoundTrip' -benchtime 3x -cpu 2
func BenchmarkExportDCAT(b *testing.B) {
	const n = 10000
	for _, path := range []string{"/catalog.jsonld", "/catalog.ttl"} {
		b.Run(strings.TrimPrefix(path, "/catalog."), func(b *testing.B) {
			s, h := benchDirectory(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				next, seen := path+"?limit=1000", 0
				for next != "" {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, next, nil))
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
					seen += 1000
					next = ""
					body := w.Body.String()
					if i := strings.Index(body, "hydra:next <"); i >= 0 { // Turtle
						rest := body[i+len("hydra:next <"):]
						next = strings.TrimPrefix(rest[:strings.IndexByte(rest, '>')], s.URL)
					} else if i := strings.Index(body, `"hydra:next":[{"@id":"`); i >= 0 { // JSON-LD
						rest := body[i+len(`"hydra:next":[{"@id":"`):]
						next = strings.TrimPrefix(rest[:strings.IndexByte(rest, '"')], s.URL)
						next = strings.ReplaceAll(next, `\u0026`, "&")
					}
				}
				if seen < n {
					b.Fatalf("harvested %d pages of 1000, want %d records", seen/1000, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkCSVRoundTrip writes 10,000 records as CSV and reads them back.
func BenchmarkCSVRoundTrip(b *testing.B) {
	const n = 10000
	recs := benchRecords(b, n)
	for _, r := range recs {
		r.Normalize()
	}
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for range b.N {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, recs, ""); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
		rows, bad, err := ReadCSV(&buf, "", false)
		if err != nil || len(bad) > 0 || len(rows) != n {
			b.Fatalf("read back %d rows: %v %v", len(rows), err, bad)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(size)/n, "bytes/record")
}
