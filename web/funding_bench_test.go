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
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// fundingBenchRecords is the size of the directory BenchmarkFunding100k
// reads; one record in ten lists funding (calls, channels or both).
const fundingBenchRecords = 100_000

const fundingBenchBase = "https://bench.example"

var (
	fundingBenchPath = filepath.Join(os.TempDir(), fmt.Sprintf("commons-web-funding-bench-v1-%d.db", fundingBenchRecords))
	fundingBenchOnce sync.Once
)

// fundingBenchRecord generates record i: countries, kinds and funders
// drawn from small sets; every tenth record lists funding.
func fundingBenchRecord(i int) *commons.Record {
	countries := []string{"FR", "DE", "ES", "IT", "NL", "PL", "SE", "PT", "BE", "AT", "FI"}
	kinds := []string{"software", "data", "geodata", "knowledge", "community"}
	r := &commons.Record{
		Slug:    fmt.Sprintf("r%06d", i),
		Name:    commons.Text{"en": fmt.Sprintf("Commons %d", i), "fr": fmt.Sprintf("Commun %d", i)},
		Summary: commons.Text{"en": "A digital commons made by its community."},
		Kinds:   []string{kinds[i%len(kinds)]}, Status: "stable",
		Countries: []commons.Country{{Code: countries[i%len(countries)], Role: "origin"}},
		Licences:  []commons.Licence{{Expression: "MIT"}},
	}
	if i%10 == 0 {
		deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%700).Format("2006-01-02")
		if i%30 == 0 {
			deadline = "2020-01-01" // closed
		}
		r.Funding = &commons.Funding{
			Calls: []commons.FundingCall{{Title: commons.Text{"en": fmt.Sprintf("Call %d", i)}, Funder: fmt.Sprintf("Fund %d", i%40),
				URL: fmt.Sprintf("https://fund.example/%d", i), Deadline: deadline}},
			Channels: []commons.FundingChannel{{Kind: "donation", URL: fmt.Sprintf("https://donate.example/%d", i)}},
		}
	}
	return r
}

// openFundingBench opens the shared generated database, building it on
// first use (kept in the temporary directory between runs; delete it to
// rebuild).
func openFundingBench(b *testing.B) *store.DB {
	b.Helper()
	return openBenchDB(b, &fundingBenchOnce, fundingBenchPath, func(ctx context.Context, db *store.DB) {})
}

// openBenchDB opens the benchmark database at path, building it first
// (once, through a temporary file renamed into place when complete) with
// fundingBenchRecords records of fundingBenchRecord, then fill.
func openBenchDB(b *testing.B, once *sync.Once, path string, fill func(context.Context, *store.DB)) *store.DB {
	b.Helper()
	ctx := context.Background()
	once.Do(func() {
		if _, err := os.Stat(path); err == nil {
			return
		}
		tmp := path + ".building"
		os.Remove(tmp)
		db, err := store.Open(ctx, store.Options{Path: tmp, BaseURL: fundingBenchBase})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < fundingBenchRecords; i += 10_000 {
			rs := make([]*commons.Record, 10_000)
			for j := range rs {
				rs[j] = fundingBenchRecord(i + j)
			}
			if _, err := db.ImportRecords(ctx, rs, store.ImportOptions{Actor: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
		fill(ctx, db)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	})
	db, err := store.Open(ctx, store.Options{Path: path, BaseURL: fundingBenchBase})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkFunding100k serves /funding (plain, filtered, second page) and
// its feed from a directory of 100,000 records, 10,000 of them with
// funding, through the handler (no network). "warm" is the usual case, the
// funding cache built (no write since the last request); "cold" builds it
// for each request, as the first request after a write does.
//
//	go test ./web -run '^$' -bench Funding100k -benchtime 20x
func BenchmarkFunding100k(b *testing.B) {
	db := openFundingBench(b)
	newHandler := func() http.Handler {
		return New(Options{Directory: db, BaseURL: fundingBenchBase, Logger: slog.New(slog.DiscardHandler)})
	}
	get := func(b *testing.B, h http.Handler, path string) int {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept", "text/html")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, w.Code)
		}
		return w.Body.Len()
	}
	for _, path := range []string{"/funding", "/funding?country=FR&kind=software", "/funding?page=2", "/funding.atom"} {
		b.Run("warm"+path, func(b *testing.B) {
			h := newHandler()
			get(b, h, path)
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				size = get(b, h, path)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
	b.Run("cold/funding", func(b *testing.B) {
		for b.Loop() {
			get(b, newHandler(), "/funding")
		}
	})
	// The first request after an edit: the cache is patched with the
	// record written (funding_cache.go).
	page, err := db.SearchRecords(context.Background(), commons.RecordFilter{Limit: 100})
	if err != nil {
		b.Fatal(err)
	}
	for _, funded := range []bool{false, true} {
		var slug string
		for _, r := range page.Records {
			if (r.Funding != nil) == funded {
				slug = r.Slug
				break
			}
		}
		if slug == "" {
			b.Fatalf("no record with funding %v in the first page", funded)
		}
		name := "after-edit-without-funding/funding"
		if funded {
			name = "after-edit-with-funding/funding"
		}
		b.Run(name, func(b *testing.B) {
			h := newHandler()
			get(b, h, "/funding") // the cache built before the edits
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				r, err := db.Record(context.Background(), slug)
				if err != nil {
					b.Fatal(err)
				}
				r.Name["en"] = fmt.Sprintf("Edited %d", i)
				if err := db.UpdateRecord(context.Background(), r, 0, "bench"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				get(b, h, "/funding")
			}
		})
	}
}
