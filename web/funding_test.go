package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// TestUIFundingCache serves the funding page from its cache until a write,
// local or from a peer, and then shows the change.
func TestUIFundingCache(t *testing.T) {
	// The page cache in front, which shows a write straight to the store
	// within 0.1 s, is left out: this is the funding cache's test.
	s := newFederatedServer(t, func(o *Options) { o.PageCacheSize = -1 })
	seedUIRecords(t, s)
	b := s.browser(t)
	wantNotIn(t, "before", b.get("/funding", http.StatusOK), "Fresh call")
	wantNotIn(t, "cached", b.get("/funding", http.StatusOK), "Fresh call")

	rec := &commons.Record{Slug: "fresh", Name: commons.Text{"en": "Fresh"}, Kinds: []string{"data"}, Status: "stable",
		Funding: &commons.Funding{Calls: []commons.FundingCall{{Title: commons.Text{"en": "Fresh call"}, URL: "https://fund.example/fresh"}}}}
	if err := s.db.CreateRecord(t.Context(), rec, "ed"); err != nil {
		t.Fatal(err)
	}
	wantIn(t, "after a create", b.get("/funding", http.StatusOK), "Fresh call")
	if err := s.db.DeleteRecord(t.Context(), "fresh", 0, "ed"); err != nil {
		t.Fatal(err)
	}
	wantNotIn(t, "after a delete", b.get("/funding", http.StatusOK), "Fresh call")

	// A peer's record arrives (federation writes through ApplyRemote).
	at := time.Now().UTC().Truncate(time.Millisecond)
	remote := &commons.Record{ID: "https://peer.example/records/grants", Slug: "grants", Name: commons.Text{"en": "Peer grants"},
		Kinds: []string{"data"}, Status: "stable",
		Provenance: commons.Provenance{Origin: "https://peer.example", Source: "manual", Created: at, Updated: at, Version: 1},
		Funding:    &commons.Funding{Calls: []commons.FundingCall{{Title: commons.Text{"en": "Peer call"}, URL: "https://fund.example/peer"}}}}
	if _, err := s.db.ApplyRemote(t.Context(), "https://peer.example", []store.RemoteChange{{ID: remote.ID, Record: remote}}, at, "", ""); err != nil {
		t.Fatal(err)
	}
	wantIn(t, "after a peer's record", b.get("/funding", http.StatusOK), "Peer call", `href="/instances/peer.example/records/grants"`)
}

// TestUIFundingPages lists at most fundingPageSize calls and channels a
// page, soonest first, with links to the next and previous pages that keep
// the filters; the feed has the first page.
func TestUIFundingPages(t *testing.T) {
	s := newTestServer(t, nil, nil)
	const n = fundingPageSize + 20
	rs := make([]*commons.Record, n)
	for i := range rs {
		rs[i] = &commons.Record{Slug: fmt.Sprintf("r%03d", i), Name: commons.Text{"en": fmt.Sprintf("Commons %03d", i)},
			Kinds: []string{"data"}, Status: "stable", Countries: []commons.Country{{Code: "FR", Role: "origin"}},
			Funding: &commons.Funding{
				Calls:    []commons.FundingCall{{Title: commons.Text{"en": fmt.Sprintf("Call %03d", i)}, URL: fmt.Sprintf("https://fund.example/%d", i), Deadline: fmt.Sprintf("2099-01-%02d", 1+i%28)}},
				Channels: []commons.FundingChannel{{Kind: "donation", URL: fmt.Sprintf("https://give.example/%d", i), Label: fmt.Sprintf("Give %03d", i)}},
			}}
	}
	if _, err := s.db.ImportRecords(t.Context(), rs, store.ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	calls := regexp.MustCompile(`<h3><a href="https://fund.example/\d+" rel="nofollow noopener">(Call \d+)</a></h3>\s*<p><time|<p>deadline <time datetime="([0-9-]+)">`)
	count := func(page, what string) int { return strings.Count(page, what) }

	first := b.get("/funding?country=FR", http.StatusOK)
	if c, g := count(first, `rel="nofollow noopener">Call `), count(first, `rel="nofollow noopener">Give `); c != fundingPageSize || g != fundingPageSize {
		t.Errorf("first page: %d calls, %d channels", c, g)
	}
	wantIn(t, "first page", first, `<a rel="next" href="/funding?country=FR&amp;page=2">`)
	wantNotIn(t, "first page", first, `rel="prev"`)
	var last string
	for _, m := range calls.FindAllStringSubmatch(first, -1) {
		if m[2] != "" {
			if m[2] < last {
				t.Fatalf("deadline %s after %s", m[2], last)
			}
			last = m[2]
		}
	}
	second := b.get("/funding?country=FR&page=2", http.StatusOK)
	if c, g := count(second, `rel="nofollow noopener">Call `), count(second, `rel="nofollow noopener">Give `); c != 20 || g != 20 {
		t.Errorf("second page: %d calls, %d channels", c, g)
	}
	wantIn(t, "second page", second, `<a rel="prev" href="/funding?country=FR">`, "Give 119")
	wantNotIn(t, "second page", second, `rel="next"`, "Give 000")
	checkHTML(t, "second funding page", second)
	_, feed := b.do("GET", "/funding.atom", nil)
	if got := strings.Count(feed, "<entry>"); got != fundingPageSize {
		t.Errorf("feed has %d entries", got)
	}
}

// countingDir is the real store, counting the full reads of the funded
// records.
type countingDir struct {
	*store.DB
	full atomic.Int32
}

func (d *countingDir) FundingRecords(ctx context.Context, fn func(*commons.Record) error) error {
	d.full.Add(1)
	return d.DB.FundingRecords(ctx, fn)
}

// TestFundingCachePatched: after a write, the funding page patches its
// cache with the records written instead of reading every funded record
// again, and shows what a page built from scratch shows, in the same
// order; beyond fundingPatchMax records written it reads everything.
func TestFundingCachePatched(t *testing.T) {
	var dir *countingDir
	s := newTestServer(t, nil, func(o *Options) {
		dir = &countingDir{DB: o.Directory.(*store.DB)}
		o.Directory = dir
		o.PageCacheSize = -1 // the funding cache alone (the page cache has its own test)
	})
	ctx := t.Context()
	funded := func(slug, call string) *commons.Record {
		r := &commons.Record{Slug: slug, Name: commons.Text{"en": strings.ToUpper(slug)}, Kinds: []string{"data"}, Status: "stable"}
		if call != "" {
			r.Funding = &commons.Funding{
				Calls:    []commons.FundingCall{{Title: commons.Text{"en": call}, URL: "https://fund.example/" + slug, Deadline: "2099-03-01"}},
				Channels: []commons.FundingChannel{{Kind: "donation", URL: "https://give.example/" + slug, Label: "Give to " + slug}},
			}
		}
		return r
	}
	if _, err := s.db.ImportRecords(ctx, []*commons.Record{
		funded("alpha", "Alpha call"), funded("bravo", "Bravo call"), funded("charlie", "Charlie call"),
		funded("xray", ""), funded("yankee", ""),
	}, store.ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`rel="nofollow noopener">([^<]+)</a>`)
	listed := func(page string) string {
		var out []string
		for _, m := range links.FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		return strings.Join(out, " | ")
	}
	b := s.browser(t)
	// scratch renders /funding with a handler of its own: a cache built
	// from nothing.
	scratch := func() string {
		h := New(Options{Directory: s.db, BaseURL: s.URL, InstanceName: "Test Commons", Version: "test"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/funding", nil))
		return listed(rec.Body.String())
	}
	step := func(what string, wantFull int32, in, out []string) {
		t.Helper()
		got := listed(b.get("/funding", http.StatusOK))
		if n := dir.full.Load(); n != wantFull {
			t.Errorf("%s: %d full reads of the funded records, want %d", what, n, wantFull)
		}
		if want := scratch(); got != want {
			t.Errorf("%s: the page lists\n  %s\nbuilt from scratch it lists\n  %s", what, got, want)
		}
		for _, w := range in {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q missing from %s", what, w, got)
			}
		}
		for _, w := range out {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q still in %s", what, w, got)
			}
		}
	}
	edit := func(slug string, change func(*commons.Record)) {
		t.Helper()
		r, err := s.db.Record(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		change(r)
		if err := s.db.UpdateRecord(ctx, r, 0, "test"); err != nil {
			t.Fatal(err)
		}
	}

	step("first", 1, []string{"Alpha call", "Bravo call", "Charlie call"}, nil)
	edit("xray", func(r *commons.Record) { r.Name["en"] = "X-ray" })
	step("an edit without funding", 1, []string{"Alpha call", "Bravo call", "Charlie call"}, nil)
	edit("bravo", func(r *commons.Record) { r.Funding.Calls[0].Title = commons.Text{"en": "Bravo call, second round"} })
	step("a call renamed", 1, []string{"Bravo call, second round"}, []string{"Bravo call |"})
	edit("charlie", func(r *commons.Record) { r.Funding = nil })
	edit("yankee", func(r *commons.Record) { *r = *funded("yankee", "Yankee call") })
	step("funding removed and added", 1, []string{"Yankee call", "Give to yankee"}, []string{"Charlie call", "Give to charlie"})
	if err := s.db.DeleteRecord(ctx, "alpha", 0, "test"); err != nil {
		t.Fatal(err)
	}
	step("a deletion", 1, nil, []string{"Alpha call", "Give to alpha"})

	// Many records written: everything is read again.
	rs := make([]*commons.Record, fundingPatchMax+1)
	for i := range rs {
		rs[i] = funded(fmt.Sprintf("bulk-%04d", i), "")
	}
	rs[0] = funded("bulk-0000", "Bulk call")
	if _, err := s.db.ImportRecords(ctx, rs, store.ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	step("an import", 2, []string{"Bulk call", "Yankee call"}, nil)
}
