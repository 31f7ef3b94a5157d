package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// newBrowser starts headless Chromium for a test, with a fresh profile,
// or skips the test when Chromium is missing outside CI (under CI=true a
// missing Chromium is a failure). Every action runs under the returned
// context, which times out.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (.ci/run installs Debian's chromium)")
		}
		t.Skip("chromium is not installed; apt-get install chromium to run the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", true), // screenshots as wide as the viewport
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// Each step has its own bound (run, get); this one only ends a
	// browser that a test forgot, well after the slowest whole test (the
	// accessibility check of some 400 views) on a busy machine.
	ctx, cancelTimeout := context.WithTimeout(ctx, 20*time.Minute)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshotDir is where the browser tests leave their screenshots: env
// COMMONSD_SCREENSHOTS, else a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("COMMONSD_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// shoot saves full-page screenshots of the current page at desktop
// (1280 px) and phone (375 px) width, then goes back to desktop.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	for _, v := range []struct {
		suffix string
		w, h   int64
	}{{"desktop", 1280, 900}, {"phone", 375, 812}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.w, v.h)); err != nil {
			t.Fatalf("viewport for %s: %v", name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+v.suffix+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// run runs browser actions, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(step, actions...); err != nil {
		url, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("%s: %v (at %s: %.500s)", what, err, url, body)
	}
}

// get reads one value from the page (a text, an attribute, the URL).
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(step, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// textOf returns the text of the first element matching a CSS selector.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// attrOf returns an attribute of the first element matching a selector.
func attrOf(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	return get(t, ctx, name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// TestBrowser walks the directory in headless Chromium as a visitor, an
// editor and an operator would; the pages use no JavaScript.
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	s := newUIServer(t)
	dir := screenshotDir(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	id := func(s string) chromedp.ID { return chromedp.ID(s) }

	// A visitor searches, filters and opens a record.
	run(t, ctx, "open home", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(id("q")))
	shoot(t, ctx, dir, "home")

	// Keyboard only: the first Tab reaches the skip link, Enter moves
	// focus to the content; a search is typed and sent with Enter.
	run(t, ctx, "tab to the skip link", chromedp.KeyEvent(kb.Tab))
	if got := get(t, ctx, "focused element", chromedp.Evaluate[string]("document.activeElement.className")); got != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", got)
	}
	run(t, ctx, "follow the skip link", chromedp.KeyEvent(kb.Enter))
	if got := get(t, ctx, "focused element", chromedp.Evaluate[string]("document.activeElement.id")); got != "main" {
		t.Errorf("after the skip link, focus is on %q, want main", got)
	}
	run(t, ctx, "search from the keyboard", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(id("q")),
		chromedp.Focus(id("q")), chromedp.KeyEvent("encyclo"+kb.Enter), chromedp.WaitVisible(css(`#q[value="encyclo"]`)))
	if got := textOf(t, ctx, "#results-h"); got != "1 commons found" {
		t.Errorf("keyboard search: %q", got)
	}
	run(t, ctx, "search", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(id("q")),
		chromedp.SendKeys(id("q"), "map"), chromedp.Submit(id("q")), chromedp.WaitVisible(css(`#q[value="map"]`)))
	if got := textOf(t, ctx, ".results mark"); got != "OpenStreetMap" {
		t.Errorf("highlighted %q, want OpenStreetMap (map is a part of the name)", got)
	}
	if got := textOf(t, ctx, "#results-h"); got != "1 commons found" {
		t.Errorf("search for map: %q", got)
	}
	run(t, ctx, "filter by kind", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(css(".facets")),
		chromedp.Click(css(`.facets input[name="kind"][value="geodata"]`)), chromedp.Click(css(`.facets button[type="submit"]`)),
		chromedp.WaitVisible(css(`.active a.tag`))) // the next page's
	if got := textOf(t, ctx, "#results-h"); got != "2 commons found" {
		t.Errorf("filter by geodata: %q", got)
	}
	run(t, ctx, "filter by country too", chromedp.Click(css(`.facets input[name="country"][value="FR"]`)),
		chromedp.Click(css(`.facets button[type="submit"]`)), chromedp.WaitVisible(css(`.active a.tag:nth-of-type(2)`)))
	if got := textOf(t, ctx, "#results-h"); got != "1 commons found" {
		t.Errorf("filter by geodata and FR: %q", got)
	}
	if u := get(t, ctx, "URL", chromedp.Location()); !strings.HasSuffix(u, "/?q=&kind=geodata&country=FR") {
		t.Errorf("filters in the URL: %s", u)
	}
	// Two values of one facet: either will do.
	run(t, ctx, "a second kind", chromedp.Navigate(s.URL+"/?kind=geodata"), chromedp.WaitVisible(css(".facets")),
		chromedp.Click(css(`.facets input[name="kind"][value="knowledge"]`)), chromedp.Click(css(`.facets button[type="submit"]`)),
		chromedp.WaitVisible(css(`.active a.tag:nth-of-type(2)`)))
	if got := textOf(t, ctx, "#results-h"); got != "3 commons found" {
		t.Errorf("geodata or knowledge: %q", got)
	}
	// On a phone, the facets are folded above the results, and the
	// header with the language choice takes two lines at most.
	setView(t, ctx, 375, 812, false)
	run(t, ctx, "phone", chromedp.Navigate(s.URL+"/?kind=geodata"), chromedp.WaitVisible(css(".refine summary")))
	if above := get(t, ctx, "facets above results", chromedp.Evaluate[bool](
		`document.querySelector(".refine").getBoundingClientRect().bottom <= document.querySelector(".results").getBoundingClientRect().top`)); !above {
		t.Error("on a phone the facets are not above the results")
	}
	if open := get(t, ctx, "facets folded", chromedp.Evaluate[bool](`document.querySelector(".refine").open`)); open {
		t.Error("on a phone the facets start open")
	}
	run(t, ctx, "unfold the facets", chromedp.Click(css(".refine summary")), chromedp.WaitVisible(css(`.facets input[name="kind"]`)))
	for _, lang := range pageLanguageTags {
		run(t, ctx, "phone "+lang, chromedp.Navigate(s.URL+"/?lang="+lang), chromedp.WaitVisible(id("q")))
		if rows := get(t, ctx, "header rows", chromedp.Evaluate[int](`(() => {
			const rs = [...document.querySelectorAll("header .brand, header nav.site li, header .langs summary")]
				.map(e => e.getBoundingClientRect()).filter(r => r.height > 0).sort((a, b) => a.top - b.top);
			let rows = 0, bottom = -1;
			for (const r of rs) { if (r.top >= bottom - 1) { rows++; bottom = r.bottom } else { bottom = Math.max(bottom, r.bottom) } }
			return rows; })()`)); rows > 2 {
			t.Errorf("%s: the header takes %d lines at 375 px", lang, rows)
		}
		if fits := get(t, ctx, "placeholder fits", chromedp.Evaluate[bool](`(() => { const i = document.getElementById("q"), st = getComputedStyle(i);
			const c = document.createElement("canvas").getContext("2d"); c.font = st.font;
			return c.measureText(i.placeholder).width <= i.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight); })()`)); !fits {
			t.Errorf("%s: the search box's placeholder is cut at 375 px", lang)
		}
	}
	setView(t, ctx, 1280, 900, false)
	run(t, ctx, "results again", chromedp.Navigate(s.URL+"/?kind=geodata&country=FR&lang=en"), chromedp.WaitVisible(css(".facets")))
	if visible := get(t, ctx, "facets shown", chromedp.Evaluate[bool](
		`document.querySelector('.facets input[name="kind"]').getBoundingClientRect().height > 0`)); !visible {
		t.Error("on a wide screen the facets are folded")
	}
	shoot(t, ctx, dir, "results")
	run(t, ctx, "open the record", chromedp.Navigate(s.URL+"/"), chromedp.Click(css(`.results a[href="/records/osm"]`)),
		chromedp.WaitVisible(id("gov-h")))
	if got := textOf(t, ctx, "h1"); got != "OpenStreetMap" {
		t.Errorf("record heading %q", got)
	}
	shoot(t, ctx, dir, "record")

	// The visitor switches to French; the choice sticks.
	// The switcher is folded: open it, then pick a language.
	run(t, ctx, "switch language", chromedp.Click(css(`.langs summary`)), chromedp.WaitVisible(css(`.langs a[hreflang="fr"]`)),
		chromedp.Click(css(`.langs a[hreflang="fr"]`)),
		chromedp.WaitReady(css(`.langs a[hreflang="fr"][aria-current="true"]`)))
	if lang, h1 := attrOf(t, ctx, "html", "lang"), textOf(t, ctx, "h1"); lang != "fr" || h1 != "OpenStreetMap (fr)" {
		t.Errorf("after switching: lang %q, heading %q", lang, h1)
	}
	run(t, ctx, "language sticks", chromedp.Navigate(s.URL+"/funding"), chromedp.WaitVisible(id("calls-h")))
	if lang, h1 := attrOf(t, ctx, "html", "lang"), textOf(t, ctx, "h1"); lang != "fr" || h1 != "Financer les communs" {
		t.Errorf("funding after the switch: lang %q, heading %q", lang, h1)
	}
	shoot(t, ctx, dir, "funding")
	run(t, ctx, "stats", chromedp.Navigate(s.URL+"/stats?lang=en"), chromedp.WaitVisible(css("svg.chart")))
	shoot(t, ctx, dir, "stats")
	run(t, ctx, "accessibility statement", chromedp.Navigate(s.URL+"/accessibility"), chromedp.WaitVisible(css("h1")))
	shoot(t, ctx, dir, "accessibility")
	run(t, ctx, "no result", chromedp.Navigate(s.URL+"/?q=zzzqqq"), chromedp.WaitVisible(css(".empty")))
	shoot(t, ctx, dir, "results-none")
	addRemote(t, s.db, "https://peer.example", "osm")
	for _, p := range []struct{ name, path string }{
		{"topic", "/topics/geodata"}, {"about", "/about"}, {"history", "/records/osm/history"},
		{"remote-record", "/instances/peer.example/records/osm"}, {"instance", "/instances/peer.example"},
		{"record-de", "/records/osm?lang=de"}, {"record-fr-only", "/records/bano?lang=en"},
		{"funding-find", "/funding/find?country=FR&kind=geodata&lang=en"}, {"programme", "/funding/programmes/geo-fund"},
	} {
		run(t, ctx, "open "+p.path, chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(css("h1")))
		shoot(t, ctx, dir, p.name)
	}

	// An editor signs in, creates a record with a mistake, fixes it, edits it.
	run(t, ctx, "login page", chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(id("name")))
	shoot(t, ctx, dir, "login")
	run(t, ctx, "sign in", chromedp.SendKeys(id("name"), "ed"), chromedp.SendKeys(id("password"), uiPassword),
		chromedp.Submit(id("password")), chromedp.WaitVisible(css(".notice")))
	run(t, ctx, "new record with mistakes", chromedp.Navigate(s.URL+"/edit/new"), chromedp.WaitVisible(id("f-slug")),
		chromedp.SendKeys(id("f-slug"), "decidim"), chromedp.SendKeys(id("f-name-en"), "Decidim"),
		chromedp.SendKeys(id("f-countries-0-code"), "XX"),
		chromedp.Submit(id("f-slug")), chromedp.WaitVisible(css(".error-summary")))
	if got := attrOf(t, ctx, "#f-countries-0-code", "aria-describedby"); got != "ef-countries-0-code" {
		t.Errorf("country input aria-describedby %q", got)
	}
	if got := textOf(t, ctx, "#e-kinds"); got == "" {
		t.Error("no error beside the kinds")
	}
	shoot(t, ctx, dir, "edit-errors")
	run(t, ctx, "fix and create", chromedp.SetValue(id("f-countries-0-code"), "ES"),
		chromedp.SetValue(id("f-countries-0-role"), "origin"),
		chromedp.Click(css(`input[name="kinds"][value="software"]`)),
		chromedp.SetValue(id("f-status"), "stable"),
		chromedp.Submit(id("f-slug")), chromedp.WaitVisible(css(".notice")))
	if loc, h1 := get(t, ctx, "location", chromedp.Location()), textOf(t, ctx, "h1"); !strings.HasSuffix(loc, "/records/decidim?done=created") || h1 != "Decidim" {
		t.Errorf("after create: %s, heading %q", loc, h1)
	}
	run(t, ctx, "edit", chromedp.Click(css(`a[href="/records/decidim/edit"]`)), chromedp.WaitVisible(id("f-summary-en")),
		chromedp.SendKeys(id("f-summary-en"), "Participatory democracy"),
		chromedp.Click(css(`button[value="funding.calls"]`)), chromedp.WaitVisible(id("f-funding-calls-2-title-en")),
		chromedp.SendKeys(id("f-funding-calls-0-title-en"), "Civic tech fund"),
		chromedp.SendKeys(id("f-funding-calls-0-url"), "https://fund.example/civic"),
		chromedp.Submit(id("f-summary-en")), chromedp.WaitVisible(css(".notice")))
	if got := textOf(t, ctx, ".summary"); got != "Participatory democracy" {
		t.Errorf("summary after edit: %q", got)
	}
	run(t, ctx, "history", chromedp.Navigate(s.URL+"/records/decidim/history"), chromedp.WaitVisible(css("ins")))
	if got := textOf(t, ctx, "main"); !strings.Contains(got, "Civic tech fund") {
		t.Errorf("history lacks the change: %.300s", got)
	}
	run(t, ctx, "sign out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(".notice")))

	// An operator blocks a domain.
	run(t, ctx, "operator signs in", chromedp.Navigate(s.URL+"/login?next=/ops"), chromedp.WaitVisible(id("name")),
		chromedp.SendKeys(id("name"), "ada"), chromedp.SendKeys(id("password"), uiPassword),
		chromedp.Submit(id("password")), chromedp.WaitVisible(id("blocks-h")))
	run(t, ctx, "block a domain", chromedp.SendKeys(id("domain"), "spam.example"), chromedp.SendKeys(id("reason"), "spam"),
		chromedp.Submit(id("domain")), chromedp.WaitVisible(css(".notice")))
	if got := textOf(t, ctx, ".blocks"); !strings.Contains(got, "spam.example") {
		t.Errorf("blocks after blocking: %q", got)
	}
	shoot(t, ctx, dir, "ops")
	run(t, ctx, "users and tokens", chromedp.Navigate(s.URL+"/ops/users"), chromedp.WaitVisible(id("tokens-h")))
	shoot(t, ctx, dir, "users")
	run(t, ctx, "new record form", chromedp.Navigate(s.URL+"/edit/new"), chromedp.WaitVisible(id("f-slug")))
	shoot(t, ctx, dir, "edit-new")
	t.Logf("screenshots in %s", dir)
}
