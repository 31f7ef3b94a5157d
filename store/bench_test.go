package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// The 100,000-record benchmarks share one generated database, built on first
// use (about 15 s) and kept in the temporary directory between runs; delete
// it to rebuild. Benchmarks only run with -bench, never in go test ./....
const benchRecords = 100_000

var benchDBPath = filepath.Join(os.TempDir(), fmt.Sprintf("commons-store-bench-v2-%d.db", benchRecords))

var buildBenchDB sync.Once

// loadBench imports the benchmark directory, benchRecords generated
// records, into db in imports of 10,000.
func loadBench(b *testing.B, db *DB) {
	g := newGen(1)
	for i := 0; i < benchRecords; i += 10_000 {
		rs := make([]*commons.Record, 10_000)
		for j := range rs {
			rs[j] = g.record(i + j)
		}
		if _, err := db.ImportRecords(context.Background(), rs, ImportOptions{Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// openBench opens the shared 100,000-record database, building it if needed.
func openBench(b *testing.B) *DB {
	b.Helper()
	if onPostgres(b) {
		// COMMONSD_TEST_STORE=postgres: a database of its own, loaded
		// for this benchmark and dropped after it.
		db := mustOpenPath(b, benchDBPath, nil)
		start := time.Now()
		loadBench(b, db)
		b.Logf("loaded 100,000 records into PostgreSQL in %v", time.Since(start))
		return db
	}
	buildBenchDB.Do(func() {
		if _, err := os.Stat(benchDBPath); err == nil {
			return
		}
		tmp := benchDBPath + ".building"
		os.Remove(tmp)
		db, err := Open(context.Background(), Options{Path: tmp, BaseURL: testBase})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		loadBench(b, db)
		b.Logf("built %s in %v", benchDBPath, time.Since(start))
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		if err := os.Rename(tmp, benchDBPath); err != nil {
			b.Fatal(err)
		}
	})
	return mustOpenPath(b, benchDBPath, nil)
}

// benchQueries returns n queries of a kind, drawn from the generator's
// vocabulary: "one-word" uniformly over the vocabulary, "one-word-zipf" with
// the words' own frequencies (popular words are searched more), "two-word"
// uniformly, "prefix" the first three or four letters of a word, as typed,
// "typo" a word of five letters or more with one typing error (a letter
// replaced, dropped or swapped with the next, never the first).
func benchQueries(kind string, n int) []string {
	g := newGen(1)
	rnd := rand.New(rand.NewPCG(42, 42))
	uniform := func() string { return g.vocab[rnd.IntN(len(g.vocab))] }
	out := make([]string, n)
	for i := range out {
		switch kind {
		case "one-word":
			out[i] = uniform()
		case "one-word-zipf":
			out[i] = g.word()
		case "two-word":
			out[i] = uniform() + " " + uniform()
		case "prefix":
			w := []rune(uniform())
			out[i] = string(w[:min(len(w), 3+rnd.IntN(2))])
		case "typo":
			w := []rune(uniform())
			for len(w) < 5 {
				w = []rune(uniform())
			}
			j := 1 + rnd.IntN(len(w)-2)
			switch rnd.IntN(3) {
			case 0:
				w[j] = 'a' + rune(rnd.IntN(26))
			case 1:
				w = append(w[:j], w[j+1:]...)
			default:
				w[j], w[j+1] = w[j+1], w[j]
			}
			out[i] = string(w)
		}
	}
	return out
}

// BenchmarkSearch100k reports p50 and p99 latencies of searches with facets
// over 100,000 records. "warm" runs each query once before measuring (the
// match-set cache holds what it would hold in a server that has been
// answering queries), "cold" empties the cache before every query, and
// "warmed-up" empties it once, runs the server's background warm-up
// (warm.go; its time is reported as warmup-ms) and then measures queries
// none of which ran before: a server just restarted, or just done with an
// import.
//
//	go test ./store -run '^$' -bench Search100k -benchtime 400x
func BenchmarkSearch100k(b *testing.B) {
	db := openBench(b)
	ctx := context.Background()
	if _, err := db.index(ctx); err != nil {
		b.Fatal(err)
	}
	// A kind ending in "-fr" searches as a reader of French would (the
	// language of an HTML page): matches through French count more.
	for _, kind := range []string{"one-word", "one-word-zipf", "two-word", "two-word-fr", "prefix", "typo", "typo-fr", "none"} {
		for _, cache := range []string{"warm", "cold", "warmed-up"} {
			if kind == "none" && cache != "warm" {
				continue
			}
			b.Run(kind+"/"+cache, func(b *testing.B) {
				base, lang := kind, ""
				if k, ok := strings.CutSuffix(kind, "-fr"); ok {
					base, lang = k, "fr"
				}
				qs := benchQueries(base, b.N)
				filter := func(i int) commons.RecordFilter {
					f := commons.RecordFilter{Query: qs[i], WithFacets: true, IncludeRemote: true, Language: lang}
					if i%4 == 3 { // a quarter of the searches also filter
						f.Filters = map[string][]string{commons.FacetKind: {"software", "data"}, commons.FacetCountry: {"FR"}}
					}
					return f
				}
				switch cache {
				case "warm":
					for i := range qs {
						if _, err := db.SearchRecords(ctx, filter(i)); err != nil {
							b.Fatal(err)
						}
					}
				case "warmed-up":
					db.terms.reset()
					start := time.Now()
					sets, bytes, err := db.warmOnce(ctx)
					if err != nil {
						b.Fatal(err)
					}
					took := time.Since(start)
					// Reported at the end: ResetTimer deletes metrics.
					defer b.ReportMetric(float64(took.Milliseconds()), "warmup-ms")
					defer b.ReportMetric(float64(sets), "warm-sets")
					defer b.ReportMetric(float64(bytes)/(1<<20), "warm-MB")
				}
				lat := make([]time.Duration, 0, b.N)
				matches := 0
				b.ResetTimer()
				for i := range b.N {
					if cache == "cold" {
						db.terms.reset()
					}
					start := time.Now()
					p, err := db.SearchRecords(ctx, filter(i))
					lat = append(lat, time.Since(start))
					if err != nil {
						b.Fatal(err)
					}
					matches += p.Total
				}
				b.StopTimer()
				reportLatency(b, lat)
				b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
			})
		}
	}
}

// reportLatency reports the p50 and p99 of the durations in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1e6
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkImport reports how many records per second ImportRecords stores,
// 10,000 at a time into a fresh database: from the call until the records
// are committed, searchable and readable. The background checkpoint that
// follows (checkpoint.go) is left out of the timed part and reported apart,
// as "ckpt-ms": each database is closed, which checkpoints the whole log,
// before the next import starts.
//
//	go test ./store -run '^$' -bench Import -benchtime 3x
func BenchmarkImport(b *testing.B) { benchImport(b, newGen(3), false) }

// BenchmarkImportPopulated imports 10,000 records into a directory that
// holds 10,000 already: on PostgreSQL the text indexes stay in place, as
// for any import but a first load.
//
//	go test ./store -run '^$' -bench ImportPopulated -benchtime 1x
func BenchmarkImportPopulated(b *testing.B) { benchImport(b, newGen(5), true) }

// benchImport times imports of 10,000 generated records, each into a
// fresh database, which holds 10,000 others first if populated.
func benchImport(b *testing.B, g *gen, populated bool) {
	const n = 10_000
	var cpu, closing time.Duration // CPU of the timed parts; wall time of closing
	for range b.N {
		b.StopTimer()
		db, err := Open(context.Background(), testOptions(b, filepath.Join(b.TempDir(), "import.db"), nil))
		if err != nil {
			b.Fatal(err)
		}
		if populated {
			if res, err := db.ImportRecords(context.Background(), g.records(n), ImportOptions{Actor: "bench"}); err != nil || res.Created != n {
				b.Fatalf("seed: %+v, %v", res, err)
			}
		}
		rs := g.records(n)
		if populated {
			for _, r := range rs {
				r.Slug += "-new" // the generator numbers slugs from 0 each time
			}
		}
		runtime.GC()
		c := cpuTime()
		b.StartTimer()
		res, err := db.ImportRecords(context.Background(), rs, ImportOptions{Actor: "bench"})
		if err != nil || res.Created != n {
			b.Fatalf("import: %+v, %v", res, err)
		}
		b.StopTimer()
		cpu += cpuTime() - c
		t := time.Now()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		closing += time.Since(t)
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	// CPU per record (both cores, garbage collection included) is steadier
	// than the rate on a machine that runs other work.
	b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(n*b.N), "cpu-µs/record")
	b.ReportMetric(float64(closing)/float64(time.Millisecond)/float64(b.N), "ckpt-ms")
}

// BenchmarkImportSustained imports 100,000 records into one database in ten
// imports of 10,000, one after the other, the background checkpoints
// running beside them: the rate an operator loading a large directory sees
// over the whole load, checkpoints included.
//
//	go test ./store -run '^$' -bench ImportSustained -benchtime 1x
func BenchmarkImportSustained(b *testing.B) {
	const batches, n = 10, 10_000
	g := newGen(4)
	for range b.N {
		b.StopTimer()
		db, err := Open(context.Background(), Options{Path: filepath.Join(b.TempDir(), "import.db"), BaseURL: testBase})
		if err != nil {
			b.Fatal(err)
		}
		in := make([][]*commons.Record, batches)
		for i := range in {
			in[i] = g.records(n)
			for _, r := range in[i] {
				r.Slug += fmt.Sprintf("-b%d", i) // the generator numbers slugs from 0 each time
			}
		}
		runtime.GC()
		b.StartTimer()
		for i := range in {
			if res, err := db.ImportRecords(context.Background(), in[i], ImportOptions{Actor: "bench"}); err != nil || res.Created != n {
				b.Fatalf("import: %+v, %v", res, err)
			}
		}
		b.StopTimer()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(batches*n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecord measures Record on a popular record (cached), from every
// core at once, and with the cache emptied before each read ("uncached": a
// SQLite point read and a JSON decode).
//
//	go test ./store -run '^$' -bench 'Record$|Record/' -cpu 2
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	db := MustOpen(b)
	rs := newGen(5).records(1000)
	if _, err := db.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := db.Record(ctx, rs[i%100].Slug); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
	b.Run("uncached", func(b *testing.B) {
		for i := range b.N {
			db.recs.reset()
			if _, err := db.Record(ctx, rs[i%len(rs)].Slug); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMemory100k reports the memory of a process that has opened the
// 100,000-record database, built its search index and answered searches of
// every kind: the Go heap in use and the resident set size.
// Run it alone, so that no other benchmark's garbage counts:
//
//	go test ./store -run '^$' -bench Memory100k -benchtime 1x
func BenchmarkMemory100k(b *testing.B) {
	openBench(b).Close() // build outside the measurement if needed
	runtime.GC()
	debug.FreeOSMemory()
	before := rss(b)
	for range b.N {
		db := openBench(b)
		searchEveryKind(b, db)
		reportMemory(b)
		b.ReportMetric(float64(before)/(1<<20), "rss-before-MB")
		writeHeapProfile(b)
		db.Close()
	}
}

// BenchmarkMemoryImport100k reports the memory of a process that has
// itself loaded 100,000 records into a new database, in ten imports of
// 10,000 as `commonsd record import` would: the resident set size right
// after (rss-loaded-MB, with the writer's page cache grown by the bulk
// writes, import.go), once the cache has been given back (rss-idle-MB),
// and after searches of every kind (rss-MB, heap-MB). Run it alone:
//
//	go test ./store -run '^$' -bench MemoryImport100k -benchtime 1x
func BenchmarkMemoryImport100k(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		db, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), "import.db"), BaseURL: testBase})
		if err != nil {
			b.Fatal(err)
		}
		loadBench(b, db)
		runtime.GC()
		debug.FreeOSMemory()
		b.ReportMetric(float64(rss(b))/(1<<20), "rss-loaded-MB")
		for i := 0; db.shrinker.shrunk.Load() == 0; i++ {
			if i == 100 {
				b.Fatal("the page cache was not given back")
			}
			time.Sleep(bulkCacheIdle / 50)
		}
		b.ReportMetric(float64(rss(b))/(1<<20), "rss-idle-MB")
		searchEveryKind(b, db)
		reportMemory(b)
		db.Close()
	}
}

// writeHeapProfile writes the heap in use to the file the environment
// variable COMMONS_HEAP_PROFILE names, if any: what holds the memory of an
// open database (go tool pprof -sample_index=inuse_space).
func writeHeapProfile(b *testing.B) {
	path := os.Getenv("COMMONS_HEAP_PROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// reportMemory reports the Go heap in use and the resident set size after
// a collection.
func reportMemory(b *testing.B) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(rss(b))/(1<<20), "rss-MB")
}

// searchEveryKind runs 1,200 searches of every kind, and a Record call for
// each record they list, so that the match-set and record caches fill up.
func searchEveryKind(b *testing.B, db *DB) {
	ctx := context.Background()
	for _, kind := range []string{"one-word", "two-word", "prefix", "one-word-zipf"} {
		for _, q := range benchQueries(kind, 300) {
			p, err := db.SearchRecords(ctx, commons.RecordFilter{Query: q, WithFacets: true, IncludeRemote: true})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range p.Records {
				if _, err := db.Record(ctx, r.Slug); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// rss returns the resident set size of this process, from /proc.
func rss(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	b.Skip("no VmRSS")
	return 0
}
