//go:build unix

package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/federation/fedtest"
)

// inboxBench is an instance ready to take signed activities at its shared
// inbox: its remote senders' keys are fetched and cached.
type inboxBench struct {
	a      *app
	inbox  string
	object string
	peers  []*fedtest.Peer
}

// newInboxBench starts an instance and n remote actors, each on its own
// loopback server, and has each send one activity so that the instance
// fetches and caches its key, as it would for a busy remote server.
func newInboxBench(b *testing.B, n int, edit ...func(*Config)) *inboxBench {
	b.Helper()
	a := benchInstance(b, 0, false, edit...)
	base := a.cfg.Server.BaseURL
	ib := &inboxBench{a: a, inbox: base + "/inbox", object: base + "/records/openstreetmap"}
	for i := range n {
		ib.peers = append(ib.peers, fedtest.NewPeer(b, fmt.Sprintf("peer%d", i)))
	}
	for i, p := range ib.peers {
		sp, err := signLike(p, ib.inbox, ib.object, -1-i)
		if err != nil {
			b.Fatal(err)
		}
		w := httptest.NewRecorder()
		a.handler.ServeHTTP(w, sp.request(ib.inbox))
		if w.Code != http.StatusAccepted {
			b.Fatalf("warm-up activity of %s: %d %s", p.Actor, w.Code, w.Body)
		}
	}
	return ib
}

// request returns the signed post as a server-side request to inbox.
func (p signedPost) request(inbox string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, inbox, strings.NewReader(string(p.body)))
	r.Header = p.header.Clone()
	r.Host = r.URL.Host
	r.RemoteAddr = "127.0.0.1:40000"
	return r
}

// sign signs n distinct Likes (ids first, first+1, …), spread over the
// peers, on every core.
func (ib *inboxBench) sign(b *testing.B, first, n int) []signedPost {
	b.Helper()
	return signLikes(b, ib.peers, ib.inbox, ib.object, first, n)
}

// signLikes signs n distinct Likes of object for inbox (ids first,
// first+1, …), spread over the peers, on two goroutines.
func signLikes(b *testing.B, peers []*fedtest.Peer, inbox, object string, first, n int) []signedPost {
	b.Helper()
	posts := make([]signedPost, n)
	var wg sync.WaitGroup
	var signErr atomic.Value
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < n; i += 2 {
				sp, err := signLike(peers[i%len(peers)], inbox, object, first+i)
				if err != nil {
					signErr.Store(err)
					return
				}
				posts[i] = sp
			}
		})
	}
	wg.Wait()
	if err, ok := signErr.Load().(error); ok {
		b.Fatal(err)
	}
	return posts
}

// stored returns the number of activities in the instance's inbox table.
func (ib *inboxBench) stored(b *testing.B) int {
	b.Helper()
	n, err := ib.a.db.CountInboxItems(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkInboxHandler measures the server side of the shared inbox
// alone: the instance's handler (middleware, router, content type, parse,
// domain block, complete signature check with a warm key cache, group
// commit to SQLite, 202) called directly, in parallel, with distinct
// activities signed by 20 remote actors before the timer. Beside it,
// BenchmarkInboxVerify is the ceiling: one bare RSA-2048 verification.
//
//	go test ./cmd/commonsd -run '^$' -bench 'InboxHandler|InboxVerify' -cpu 2 -benchtime 20000x
func BenchmarkInboxHandler(b *testing.B) { benchInboxHandler(b) }

// BenchmarkInboxHandlerMetrics is BenchmarkInboxHandler with the metrics
// on (served with a token): its difference from it is their cost.
func BenchmarkInboxHandlerMetrics(b *testing.B) {
	benchInboxHandler(b, func(c *Config) { c.Metrics.Token = "a-metrics-token-for-benchmarks" })
}

func benchInboxHandler(b *testing.B, edit ...func(*Config)) {
	ib := newInboxBench(b, 20, edit...)
	posts := ib.sign(b, 0, b.N)
	reqs := make([]*http.Request, b.N)
	for i, p := range posts {
		reqs[i] = p.request(ib.inbox)
	}
	before := ib.stored(b)
	var next atomic.Int64
	b.SetParallelism(16) // many requests in flight, so that group commits batch
	b.ReportAllocs()
	cpu := startCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			w.status = 0
			ib.a.handler.ServeHTTP(w, reqs[next.Add(1)-1])
			if w.status != http.StatusAccepted {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
	b.StopTimer()
	cpu.report()
	if got := ib.stored(b) - before; got != b.N {
		b.Fatalf("%d activities stored, want %d", got, b.N)
	}
}

// BenchmarkInboxVerify is the ceiling of a signed inbox, measured like
// BenchmarkInboxHandler: a bare RSA-2048 PKCS #1 v1.5 SHA-256 verification
// of a signature string, on every core.
func BenchmarkInboxVerify(b *testing.B) {
	v := newBareVerifier(b)
	b.ReportAllocs()
	cpu := startCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := v.verify(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu.report()
}

// cpuClock measures the CPU time the process uses (all threads, user and
// system) per benchmark operation: on a machine shared with other work,
// wall time per operation moves with the other load, CPU time much less.
type cpuClock struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuClock { return cpuClock{b, processCPU(b)} }

// report adds the metric cpu-µs/op.
func (c cpuClock) report() {
	c.b.ReportMetric(float64((processCPU(c.b)-c.start).Microseconds())/float64(c.b.N), "cpu-µs/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bareVerifier checks one signature over a typical signing string.
type bareVerifier struct {
	key      *rsa.PublicKey
	msg, sig []byte
}

func newBareVerifier(b *testing.B) *bareVerifier {
	b.Helper()
	key, err := rsa.GenerateKey(rand.Reader, federation.KeyBits)
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte("(request-target): post /inbox\nhost: 127.0.0.1:8080\ndate: Mon, 23 Nov 2026 19:43:20 GMT\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		b.Fatal(err)
	}
	return &bareVerifier{key: &key.PublicKey, msg: msg, sig: sig}
}

func (v *bareVerifier) verify() error {
	sum := sha256.Sum256(v.msg)
	return rsa.VerifyPKCS1v15(v.key, crypto.SHA256, sum[:], v.sig)
}

// rate runs the verification on two goroutines (the cores of the
// benchmark machine) for d and returns verifications per second and their
// number.
func (v *bareVerifier) rate(d time.Duration) (float64, int64) {
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 2 {
		wg.Go(func() {
			for c := int64(0); ; c++ {
				if c%64 == 0 && time.Since(start) > d {
					n.Add(c)
					return
				}
				v.verify() //nolint:errcheck // checked in BenchmarkInboxVerify
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), n.Load()
}

// inboxLua is the wrk script: each wrk thread sends its share of the
// pre-signed requests in the file, each once.
const inboxLua = `
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(args[2])
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  reqs, sent = {}, 0
  local pos, idx = 1, 0
  while pos <= #data do
    local nl = string.find(data, "\n", pos, true)
    local len = tonumber(string.sub(data, pos, nl - 1))
    if idx % nthreads == id then
      reqs[#reqs + 1] = string.sub(data, nl + 1, nl + len)
    end
    idx = idx + 1
    pos = nl + 1 + len
  end
  nreqs = #reqs
end
function request()
  sent = sent + 1
  return reqs[(sent - 1) % #reqs + 1]
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    if t:get("sent") > t:get("nreqs") then
      io.write("activities exhausted\n")
    end
  end
end
`

// BenchmarkInboxWrk measures signed activities accepted per second by the
// shared inbox of a real instance over loopback HTTP, under wrk -t2 -c64:
// every request a distinct activity, signed completely (digest, date,
// host, request-target) by one of 20 remote actors whose keys the instance
// fetched and cached. The instance runs in this process; the activities
// are signed before wrk starts. Beside it, the ceiling: bare RSA-2048
// verifications per second on two goroutines, measured right after, and
// the ratio of the two (the target is ≥ 70%); and the same ratio in
// CPU time: the process's CPU per accepted activity (wrk's own CPU is not
// in it) against the CPU of one verification.
//
// Each iteration is one wrk run of COMMONSD_BENCH_WRK_SECONDS (default 5)
// over COMMONSD_BENCH_ACTIVITIES (default 60,000) activities, half for
// each wrk thread; the run fails if a thread ran out of activities (a
// repeated activity is not stored again) or if the number stored is not
// the number answered. Needs wrk on the PATH.
//
//	go test ./cmd/commonsd -run '^$' -bench InboxWrk -cpu 2 -benchtime 1x
func BenchmarkInboxWrk(b *testing.B) {
	b.StopTimer() // only wrk's runs are timed
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk is not installed")
	}
	n := envInt(b, "COMMONSD_BENCH_ACTIVITIES", 60_000)
	seconds := envInt(b, "COMMONSD_BENCH_WRK_SECONDS", 5)
	ib := newInboxBench(b, 20)
	v := newBareVerifier(b)
	script := filepath.Join(b.TempDir(), "inbox.lua")
	if err := os.WriteFile(script, []byte(inboxLua), 0o644); err != nil {
		b.Fatal(err)
	}
	var accepted, ceiling, serverCPU, verifyCPU []float64
	for i := range b.N {
		b.StopTimer()
		reqFile := ib.writeRequests(b, i*n, n)
		before := ib.stored(b)
		cpu0 := processCPU(b)
		b.StartTimer()
		out, err := exec.Command(wrk, "-t2", "-c64", "-d"+strconv.Itoa(seconds)+"s", "-s", script,
			ib.inbox, "--", reqFile, "2").CombinedOutput()
		b.StopTimer()
		cpu1 := processCPU(b)
		if err != nil {
			b.Fatalf("wrk: %v\n%s", err, out)
		}
		sent, rate, failed := parseWrk(b, string(out))
		if failed > 0 {
			b.Fatalf("%d responses were not 202:\n%s", failed, out)
		}
		// Up to one request per connection may be in flight when wrk
		// stops: stored but not counted.
		const conns = 64
		if strings.Contains(string(out), "activities exhausted") {
			b.Fatalf("a wrk thread sent all its %d activities and started again: set COMMONSD_BENCH_ACTIVITIES higher", n/2)
		}
		got := ib.stored(b) - before
		if got < sent || got > sent+conns {
			b.Fatalf("%d activities stored, wrk got %d answers", got, sent)
		}
		accepted = append(accepted, rate)
		serverCPU = append(serverCPU, float64((cpu1-cpu0).Microseconds())/float64(got))
		cpu0 = processCPU(b)
		r, n := v.rate(2 * time.Second)
		ceiling = append(ceiling, r)
		verifyCPU = append(verifyCPU, float64((processCPU(b)-cpu0).Microseconds())/float64(n))
		os.Remove(reqFile)
	}
	acc, ceil := median(accepted), median(ceiling)
	b.ReportMetric(acc, "accepted/s")
	b.ReportMetric(ceil, "verify/s")
	b.ReportMetric(100*acc/ceil, "%ceiling")
	// The same in CPU time, which moves less with the machine's other load:
	// the server's CPU per accepted activity against one verification's.
	srv, ver := median(serverCPU), median(verifyCPU)
	b.ReportMetric(srv, "server-cpu-µs/activity")
	b.ReportMetric(ver, "cpu-µs/verify")
	b.ReportMetric(100*ver/srv, "%ceiling-cpu")
}

// writeRequests signs n activities and writes them as raw HTTP requests,
// each preceded by its length on a line of its own, for inboxLua.
func (ib *inboxBench) writeRequests(b *testing.B, first, n int) string {
	b.Helper()
	posts := ib.sign(b, first, n)
	name := filepath.Join(b.TempDir(), fmt.Sprintf("requests-%d", first))
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	path := strings.TrimPrefix(ib.inbox, ib.a.cfg.Server.BaseURL)
	var req strings.Builder
	for _, p := range posts {
		req.Reset()
		fmt.Fprintf(&req, "POST %s HTTP/1.1\r\n", path)
		keys := make([]string, 0, len(p.header))
		for k := range p.header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range p.header[k] {
				fmt.Fprintf(&req, "%s: %s\r\n", k, v)
			}
		}
		fmt.Fprintf(&req, "Content-Length: %d\r\n\r\n%s", len(p.body), p.body)
		fmt.Fprintf(w, "%d\n%s", req.Len(), req.String())
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return name
}

var (
	wrkSent   = regexp.MustCompile(`(\d+) requests in`)
	wrkRate   = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkFailed = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads the requests answered, their rate and the failures
// (non-2xx answers and socket errors) from wrk's report.
func parseWrk(b *testing.B, out string) (sent int, rate float64, failed int) {
	b.Helper()
	m, r := wrkSent.FindStringSubmatch(out), wrkRate.FindStringSubmatch(out)
	if m == nil || r == nil {
		b.Fatalf("unexpected wrk output:\n%s", out)
	}
	sent, _ = strconv.Atoi(m[1])
	rate, _ = strconv.ParseFloat(r[1], 64)
	if f := wrkFailed.FindStringSubmatch(out); f != nil {
		failed, _ = strconv.Atoi(f[1])
	}
	if e := wrkErrors.FindStringSubmatch(out); e != nil {
		for _, s := range e[1:] {
			n, _ := strconv.Atoi(s)
			failed += n
		}
	}
	return sent, rate, failed
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
