package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// programmesBenchCount is how many funding programmes the programmes
// benchmark adds to the funding benchmark's 100,000 records.
const programmesBenchCount = 20

var (
	programmesBenchPath = filepath.Join(os.TempDir(), fmt.Sprintf("commons-web-programmes-bench-v1-%d.db", fundingBenchRecords))
	programmesBenchOnce sync.Once
)

// programmesBenchProgramme generates programme i: every second one is
// open to any country, the others to one; kinds likewise.
func programmesBenchProgramme(i int) *commons.Record {
	countries := [][]string{nil, {"FR"}, {"EU"}, {"DE", "AT"}}
	kinds := [][]string{nil, {"software"}, {"data", "geodata"}}
	return &commons.Record{Slug: fmt.Sprintf("p%02d", i), Name: commons.Text{"en": fmt.Sprintf("Fund %d", i)},
		Programme: &commons.Programme{Funder: commons.Funder{Name: commons.Text{"en": "Funder"}}, Kind: "grant", Status: "open",
			Eligibility: commons.Eligibility{Countries: countries[i%len(countries)], Kinds: kinds[i%len(kinds)]},
			Calls:       []commons.ProgrammeCall{{Title: commons.Text{"en": "Call"}, Deadline: fmt.Sprintf("2030-%02d-01", 1+i%12)}},
			SourceURL:   "https://fund.example/", Checked: "2026-12-06"}}
}

// openProgrammesBench opens a generated database: the funding
// benchmark's 100,000 records, and with programmes the programmes (kept
// in the temporary directory between runs; delete it to rebuild).
func openProgrammesBench(b *testing.B) *store.DB {
	b.Helper()
	return openBenchDB(b, &programmesBenchOnce, programmesBenchPath, func(ctx context.Context, db *store.DB) {
		var ps []*commons.Record
		for i := range programmesBenchCount {
			ps = append(ps, programmesBenchProgramme(i))
		}
		if _, err := db.ImportRecords(ctx, ps, store.ImportOptions{Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkProgrammes100k serves the funding programme pages from a
// directory of 100,000 records and 20 programmes, through the handler:
// a record page (which shows the programmes that may fund it), the
// guided search, the list, and a programme's page (the commons it may
// suit) warm, and cold as after a write; /funding, whose figures
// BENCHMARKS.md gives, is measured beside them as the reference.
//
//	go test ./web -run '^$' -bench Programmes100k -benchtime 20x
func BenchmarkProgrammes100k(b *testing.B) {
	db := openProgrammesBench(b)
	newHandler := func() http.Handler {
		return New(Options{Directory: db, BaseURL: fundingBenchBase, Logger: slog.New(slog.DiscardHandler)})
	}
	get := func(b *testing.B, h http.Handler, path string) {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept", "text/html")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, w.Code)
		}
	}
	for _, path := range []string{"/records/r000001", "/funding/find?country=FR&kind=software", "/funding/programmes", "/funding/programmes/p00"} {
		b.Run("warm"+path, func(b *testing.B) {
			h := newHandler()
			get(b, h, path)
			for b.Loop() {
				get(b, h, path)
			}
		})
	}
	b.Run("cold/records/r000001", func(b *testing.B) {
		for b.Loop() {
			get(b, newHandler(), "/records/r000001")
		}
	})
	b.Run("cold/funding/programmes/p00", func(b *testing.B) {
		for b.Loop() {
			get(b, newHandler(), "/funding/programmes/p00")
		}
	})
	b.Run("reference/funding", func(b *testing.B) {
		h := newHandler()
		get(b, h, "/funding")
		for b.Loop() {
			get(b, h, "/funding")
		}
	})
}
