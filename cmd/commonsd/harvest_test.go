package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// forge is a loopback file server whose files change, break, disappear
// and answer 304 to a conditional request for the version last sent.
type forge struct {
	mu    sync.Mutex
	files map[string]string // path → body; a missing path is a 404
	gets  map[string]int    // path → requests
	notMo map[string]int    // path → 304 answers
	srv   *httptest.Server
}

func newForge(t *testing.T) *forge {
	f := &forge{files: map[string]string{}, gets: map[string]int{}, notMo: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.gets[r.URL.Path]++
		body, ok := f.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"%x"`, len(body)*31+strings.Count(body, "e"))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			f.notMo[r.URL.Path]++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *forge) set(path, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if body == "" {
		delete(f.files, path)
	} else {
		f.files[path] = body
	}
}

func (f *forge) count(path string) (gets, notModified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[path], f.notMo[path]
}

// clock is a settable time for the store and the harvester.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// sampleFile is the package's sample publiccode.yml with another url and
// name, so that each served file fills its own record.
func sampleFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../publiccode/testdata/publiccode.yml")
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("https://example.com/italia/medusa.git", "https://example.com/"+name+".git", "name: Medusa", "name: "+name).Replace(string(b))
}

// TestHarvest lists a file and a repository, and reads them as days pass
// and the files change, answer 304, break and disappear, across a
// restart (the store closed and opened again): records follow the files,
// are never deleted, and no file is read twice in a minute.
func TestHarvest(t *testing.T) {
	ctx := context.Background()
	fg := newForge(t)
	clk := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "commons.db")
	cfg := DefaultConfig()
	cfg.Federation.AllowPrivateAddresses = true
	open := func() (*store.DB, *harvester, *int) {
		db, err := store.Open(ctx, store.Options{Path: path, BaseURL: "http://127.0.0.1:1", Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		changes := new(int)
		h := newHarvester(db, cfg, slog.New(slog.DiscardHandler), func() { *changes++ })
		h.now = clk.now
		return db, h, changes
	}
	db, h, changes := open()
	defer func() { db.Close() }()

	const file = "/city/alpha/publiccode.yml"
	fileURL := fg.srv.URL + file
	repo := fg.srv.URL + "/city/beta"
	// A Gitea-style forge: the file is not at raw/HEAD but at the main branch.
	const repoFile = "/city/beta/raw/branch/main/publiccode.yml"
	fg.set(file, sampleFile(t, "Alpha"))
	fg.set(repoFile, sampleFile(t, "Beta"))
	if added, err := addHarvests(ctx, db, []string{fileURL, repo, fileURL}); err != nil || len(added) != 2 {
		t.Fatalf("add: %v %v", added, err)
	}
	if _, err := addHarvests(ctx, db, []string{"ftp://example.org/publiccode.yml"}); commons.ErrorCode(err) != commons.EINVALID {
		t.Errorf("an ftp URL: %v", err)
	}
	results := func(t *testing.T, want map[string]string) {
		t.Helper()
		done, err := h.runDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, d := range done {
			got[d.URL] = d.Result
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("read %v, want %v", got, want)
		}
	}
	status := func(t *testing.T, slug string) string {
		t.Helper()
		r, err := db.Record(ctx, slug)
		if err != nil {
			t.Fatalf("record %s: %v", slug, err)
		}
		return r.Status
	}

	// Day 1: both read, the repository's file found at its second place.
	results(t, map[string]string{fileURL: "created", repo: "created"})
	if *changes != 2 || status(t, "alpha") != "development" || status(t, "beta") != "development" {
		t.Fatalf("after the first read: %d changes", *changes)
	}
	hv, _ := db.Harvest(ctx, repo)
	if hv.FileURL != fg.srv.URL+repoFile || hv.Record != "beta" || hv.OKAt.IsZero() || !hv.NextAt.Equal(clk.now().Add(24*time.Hour)) {
		t.Errorf("repository's harvest: %+v", hv)
	}
	if r, _ := db.Record(ctx, "alpha"); r.Provenance.SourceURL != fileURL || r.Provenance.SourceVersion != "0.4" {
		t.Errorf("alpha's provenance: %+v", r.Provenance)
	}

	// The same minute: nothing is due, and even made due nothing is read.
	results(t, map[string]string{})
	clk.add(30 * time.Second)
	if err := db.MakeHarvestsDue(ctx); err != nil {
		t.Fatal(err)
	}
	results(t, map[string]string{})
	if g, _ := fg.count(file); g != 1 {
		t.Fatalf("%s read %d times in a minute", file, g)
	}

	// Day 2: alpha unchanged (one 304), beta changed.
	clk.add(24 * time.Hour)
	fg.set(repoFile, strings.Replace(sampleFile(t, "Beta"), "developmentStatus: development", "developmentStatus: beta", 1))
	results(t, map[string]string{fileURL: "not-modified", repo: "updated"})
	if g, nm := fg.count(file); g != 2 || nm != 1 {
		t.Errorf("alpha: %d requests, %d answered 304; want 2 and 1", g, nm)
	}
	if status(t, "beta") != "beta" || *changes != 3 {
		t.Errorf("beta after its change: %s, %d changes", status(t, "beta"), *changes)
	}

	// Day 3: alpha broken, beta gone: both reported, both records kept.
	clk.add(24 * time.Hour)
	fg.set(file, strings.Replace(sampleFile(t, "Alpha"), "AGPL-3.0-or-later", "GPL-9", 1))
	fg.set(repoFile, "")
	results(t, map[string]string{fileURL: "failed", repo: "failed"})
	hs, err := db.Harvests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]string{}
	for _, h := range hs {
		errs[h.URL] = h.Error
	}
	if !strings.Contains(errs[fileURL], `:44: legal.license: "GPL-9" is not a valid SPDX expression`) || !strings.Contains(errs[fileURL], "record alpha is kept") {
		t.Errorf("alpha's error: %q", errs[fileURL])
	}
	if !strings.Contains(errs[repo], "the file is gone") || !strings.Contains(errs[repo], "404") || !strings.Contains(errs[repo], "record beta is kept") {
		t.Errorf("beta's error: %q", errs[repo])
	}
	if status(t, "alpha") != "development" || status(t, "beta") != "beta" {
		t.Error("a failed read changed a record")
	}
	okBefore := hs[0].OKAt

	// Restart: the store is closed and opened again; on day 4 the files
	// are due and read, the fixed one updates its record.
	db.Close()
	db, h, changes = open()
	clk.add(24 * time.Hour)
	fg.set(file, strings.Replace(sampleFile(t, "Alpha"), "developmentStatus: development", "developmentStatus: stable", 1))
	results(t, map[string]string{fileURL: "updated", repo: "failed"})
	if status(t, "alpha") != "stable" || *changes != 1 {
		t.Errorf("alpha after the restart: %s, %d changes", status(t, "alpha"), *changes)
	}
	hv, _ = db.Harvest(ctx, fileURL)
	if !hv.OKAt.After(okBefore) || hv.Error != "" {
		t.Errorf("alpha's harvest after the restart: %+v", hv)
	}

	// Removing a harvest keeps its record.
	if err := db.RemoveHarvest(ctx, repo); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveHarvest(ctx, repo); commons.ErrorCode(err) != commons.ENOTFOUND {
		t.Errorf("removed twice: %v", err)
	}
	if _, err := db.Record(ctx, "beta"); err != nil {
		t.Errorf("beta after its harvest was removed: %v", err)
	}
}

// serveFor runs `commonsd serve` until the returned stop is called (it
// waits for a clean stop).
func serveFor(t *testing.T, e *testEnv) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(ctx, []string{"commonsd", "serve"}, e.getenv, strings.NewReader(""), io.Discard, &logs)
	}()
	eventually(t, 10*time.Second, func() bool {
		resp, err := http.Get(e.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve did not stop cleanly: %v\n%s", err, logs.String())
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestHarvestServe lists files with the commands and the list file, and
// lets the server read them: at start, a due file is read; after a
// restart, a file read a moment ago is not read again, and a newly listed
// one is.
func TestHarvestServe(t *testing.T) {
	fg := newForge(t)
	fg.set("/alpha/publiccode.yml", sampleFile(t, "Alpha"))
	fg.set("/beta/publiccode.yml", sampleFile(t, "Beta"))
	e := newTestEnv(t)
	e.vars["COMMONSD_FEDERATION_ALLOW_PRIVATE_ADDRESSES"] = "true"
	e.vars["COMMONSD_HARVEST_POLL"] = "50ms"
	alpha, beta := fg.srv.URL+"/alpha/publiccode.yml", fg.srv.URL+"/beta/publiccode.yml"

	if out := e.mustRun("", "harvest", "add", alpha); !strings.Contains(out, "listed "+alpha) {
		t.Errorf("add: %q", out)
	}
	if out := e.mustRun("", "harvest", "add", alpha); !strings.Contains(out, "1 listed already") {
		t.Errorf("add twice: %q", out)
	}
	if out := e.mustRun("", "harvest", "list"); !strings.Contains(out, alpha) || !strings.Contains(out, "never") {
		t.Errorf("list before a read:\n%s", out)
	}
	recordExists := func(slug string) func() bool {
		return func() bool {
			resp, err := http.Get(e.url + "/api/v1/records/" + slug)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}
	}
	stop := serveFor(t, e)
	eventually(t, 10*time.Second, recordExists("alpha"))
	stop()
	if out := e.mustRun("", "harvest", "list"); !strings.Contains(out, "alpha") || !strings.Contains(out, "created") {
		t.Errorf("list after a read:\n%s", out)
	}

	// Restart with beta in the list file: beta is read, alpha is not due.
	list := filepath.Join(t.TempDir(), "harvest.txt")
	os.WriteFile(list, []byte("# publiccode.yml files\n"+beta+"\n"), 0o600)
	e.vars["COMMONSD_HARVEST_LIST"] = list
	stop = serveFor(t, e)
	eventually(t, 10*time.Second, recordExists("beta"))
	stop()
	if g, _ := fg.count("/alpha/publiccode.yml"); g != 1 {
		t.Errorf("alpha read %d times, want once", g)
	}
	// harvest run reads every file, except those read within a minute.
	if out := e.mustRun("", "harvest", "run"); strings.TrimSpace(out) != "" {
		t.Errorf("harvest run within a minute of the reads read:\n%s", out)
	}
	if g, _ := fg.count("/beta/publiccode.yml"); g != 1 {
		t.Errorf("beta read %d times, want once", g)
	}
	if out := e.mustRun("", "harvest", "remove", beta); !strings.Contains(out, "is no longer read; its record stays") {
		t.Errorf("remove: %q", out)
	}
	if _, _, err := e.run(context.Background(), "", "harvest", "remove", beta); err == nil || !strings.Contains(err.Error(), "is not listed") {
		t.Errorf("remove twice: %v", err)
	}
	if _, _, err := e.run(context.Background(), "", "harvest", "add", "not a url"); err == nil || !strings.Contains(err.Error(), "is not the http(s) URL") {
		t.Errorf("add a bad URL: %v", err)
	}
}
