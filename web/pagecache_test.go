package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// recordReads is the real store, counting the records it is asked for:
// a page served from the cache asks for none.
type recordReads struct {
	*store.DB
	reads atomic.Int64
}

func (d *recordReads) Record(ctx context.Context, slug string) (*commons.Record, error) {
	d.reads.Add(1)
	return d.DB.Record(ctx, slug)
}

// TestPageCache serves an anonymous visitor's record page from the cache,
// each visitor with their own form token; a write through the API makes
// the next page fresh, a write straight to the store the pages after the
// change sequence is read again; a signed-in editor always gets a fresh
// page.
func TestPageCache(t *testing.T) {
	var dir *recordReads
	s := newFederatedServer(t, func(o *Options) {
		dir = &recordReads{DB: o.Directory.(*store.DB)}
		o.Directory = dir
	})
	seedUIRecords(t, s)
	anon, other := s.browser(t), s.browser(t)
	first := anon.get("/records/osm", http.StatusOK)
	if n := dir.reads.Load(); n != 1 {
		t.Fatalf("first page: %d reads of the record, want 1", n)
	}
	again := anon.get("/records/osm", http.StatusOK)
	theirs := other.get("/records/osm", http.StatusOK)
	if n := dir.reads.Load(); n != 1 {
		t.Errorf("pages served again: %d reads of the record, want 1 (from the cache)", n)
	}
	if again != first {
		t.Error("the cached page differs for the same visitor")
	}
	mine, yours := csrfField.FindStringSubmatch(first), csrfField.FindStringSubmatch(theirs)
	if mine == nil || yours == nil || mine[1] == yours[1] || strings.HasPrefix(mine[1], "CACHED") {
		t.Fatalf("form tokens: %v and %v, want each visitor's own", mine, yours)
	}
	// Each visitor's token works on the form the cached page carries.
	for _, c := range []struct {
		b   *uiClient
		tok string
	}{{anon, mine[1]}, {other, yours[1]}} {
		resp, page := c.b.do("POST", "/follow", url.Values{"csrf": {c.tok}, "target": {s.URL + "/records/osm"}, "account": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Type your account") {
			t.Errorf("follow form with the cached page's token: %d", resp.StatusCode)
		}
	}
	// The same URL asked for as JSON is not the cached page.
	if resp, body := s.do(t, req{Method: "GET", Path: "/records/osm", Header: map[string]string{"Accept": "application/json"}}); !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		!strings.HasPrefix(string(body), "{") {
		t.Errorf("JSON of a cached page: %s %.40s", resp.Header.Get("Content-Type"), body)
	}
	// A language is a page of its own.
	anon.lang = "fr"
	wantIn(t, "French page", anon.get("/records/osm", http.StatusOK), `<html lang="fr">`, "OpenStreetMap (fr)")
	anon.lang = ""
	reads := dir.reads.Load()

	// A write through the API: the next page is fresh.
	resp, _ := s.do(t, req{Method: "GET", Path: "/api/v1/records/osm"})
	resp, b := s.do(t, req{Method: "PATCH", Path: "/api/v1/records/osm",
		Header: auth(s.editor, "If-Match", resp.Header.Get("ETag"), "Content-Type", "application/merge-patch+json"), Body: `{"summary":{"en":"The map, edited."}}`})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	wantIn(t, "after an API write", anon.get("/records/osm", http.StatusOK), "The map, edited.")
	if dir.reads.Load() == reads {
		t.Error("the page after a write came from the cache")
	}
	// Writes straight to the store (the harvester, peer sync, another
	// process) show within the time the change sequence is read again;
	// from then on every visitor, however many at once, sees them.
	rec, err := s.db.Record(context.Background(), "osm")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		rec.Summary["en"] = fmt.Sprintf("The map, harvested %d.", round)
		if err := s.db.UpdateRecord(context.Background(), rec, rec.Provenance.Version, "harvest"); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); !strings.Contains(anon.get("/records/osm", http.StatusOK), rec.Summary["en"]); {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: a store write did not show within a minute", round)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				resp, page := s.browser(t).do("GET", "/records/osm", nil)
				if resp.StatusCode != http.StatusOK || !strings.Contains(page, rec.Summary["en"]) {
					t.Errorf("round %d: a concurrent visitor got %d without %q", round, resp.StatusCode, rec.Summary["en"])
				}
			})
		}
		wg.Wait()
	}

	// An editor always gets a fresh page, made for them.
	ed := s.browser(t)
	ed.login("ed")
	reads = dir.reads.Load()
	for range 2 {
		wantIn(t, "editor's page", ed.get("/records/osm", http.StatusOK), "(ed)", "/records/osm/edit")
	}
	if n := dir.reads.Load() - reads; n != 2 {
		t.Errorf("editor's two pages: %d reads of the record, want 2", n)
	}
	wantNotIn(t, "anonymous page after the editor's", anon.get("/records/osm", http.StatusOK), "(ed)", "/records/osm/edit")
}

// TestPageCacheOff turns the cache off: every page is made afresh.
func TestPageCacheOff(t *testing.T) {
	var dir *recordReads
	s := newTestServer(t, nil, func(o *Options) {
		dir = &recordReads{DB: o.Directory.(*store.DB)}
		o.Directory = dir
		o.PageCacheSize = -1
	})
	seedUIRecords(t, s)
	b := s.browser(t)
	for range 3 {
		b.get("/records/osm", http.StatusOK)
	}
	if n := dir.reads.Load(); n != 3 {
		t.Errorf("three pages without the cache: %d reads, want 3", n)
	}
}

// BenchmarkPageCache serves cached pages to a visitor without cookies,
// through the handler alone (go test -bench PageCache ./web/).
func BenchmarkPageCache(b *testing.B) {
	var h http.Handler
	s := newTestServer(b, nil, func(o *Options) {
		o.Logger = nil
		h = newServer(*o).routes()
	})
	seedUIRecords(b, s)
	for _, path := range []string{"/records/osm", "/", "/?q=map&kind=geodata"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, w.Code)
				}
			}
		})
	}
}
