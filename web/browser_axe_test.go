package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeRules are the axe-core rule tags the pages must pass: WCAG 2.0 and
// 2.1, levels A and AA (colour contrast included).
const axeRules = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]`

// axeRun runs axe-core on the current page and returns one line per
// violation and element. The script is injected through the DevTools
// protocol, which the pages' CSP (no script at all) does not govern.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: ` + axeRules + `}, resultTypes: ["violations"]})
	.then(r => r.violations.flatMap(v => v.nodes.map(n => v.id + " (" + v.impact + "): " + v.help + " at " + n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))))`

// axeCheck injects axe-core into the current page if it is not there yet
// and fails the test on any violation.
func axeCheck(t *testing.T, ctx context.Context, axeJS, name string) {
	t.Helper()
	for _, v := range axeViolations(t, ctx, axeJS, name) {
		t.Errorf("%s: %s", name, v)
	}
}

// axeViolations runs axe-core on the current page, injecting it first if
// needed, and returns its violations.
func axeViolations(t *testing.T, ctx context.Context, axeJS, name string) []string {
	t.Helper()
	loaded := get(t, ctx, "axe loaded?", chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if !loaded {
		run(t, ctx, "inject axe-core into "+name, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](axeJS+"\n;undefined")(ctx, tg)
			return err
		}))
	}
	return get(t, ctx, "axe.run on "+name, chromedp.Evaluate[[]string](axeRun, chromedp.EvalAwaitPromise))
}

// axeViews are the ways each page is checked: desktop and phone widths,
// and the dark colour scheme at desktop width.
var axeViews = []struct {
	name string
	w, h int64
	dark bool
}{{"desktop", 1280, 900, false}, {"phone", 375, 812, false}, {"dark", 1280, 900, true}}

// setView sizes the viewport and sets the colour scheme.
func setView(t *testing.T, ctx context.Context, w, h int64, dark bool) {
	t.Helper()
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	run(t, ctx, "view", chromedp.EmulateViewport(w, h), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}

// TestBrowserAccessibility runs axe-core (pinned in web/testdata/ui-tools)
// on every kind of page, at desktop and phone width and in the dark
// scheme: public pages, the editor's form showing errors and the
// operators' pages. Any WCAG 2.x A or AA violation fails.
func TestBrowserAccessibility(t *testing.T) {
	axePath := uiTool(t, "axe-core/axe.min.js")
	ctx := newBrowser(t)
	b, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatal(err)
	}
	axeJS := string(b)
	s := newUIServer(t)
	addRemote(t, s.db, "https://peer.example", "osm")
	public := []string{"/", "/?q=map&kind=geodata", "/records/osm", "/records/bano", "/instances/peer.example/records/osm",
		"/instances/peer.example", "/topics/geodata", "/topics/fr", "/about", "/stats", "/funding", "/login", "/legal", "/privacy", "/accessibility",
		"/records/osm/history", "/instances/peer.example/records/osm/history",
		"/follow?target=" + url.QueryEscape(s.URL+"/records/osm"), "/records/nope", "/?lang=fr", "/records/osm?lang=de",
		"/funding/programmes", "/funding/find?country=FR&kind=geodata", "/funding/programmes/geo-fund?lang=fr"}
	private := []string{"/edit/new", "/records/osm/edit", "/account", "/ops", "/ops/users", "/records/geo-fund/edit"}
	check := func(path string) {
		for _, v := range axeViews {
			setView(t, ctx, v.w, v.h, v.dark)
			run(t, ctx, "open "+path, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
			axeCheck(t, ctx, axeJS, fmt.Sprintf("%s (%s)", path, v.name))
			noSideScroll(t, ctx, path)
		}
	}
	// The check itself works: a control without a label and faint text
	// planted in a page are found.
	run(t, ctx, "open home", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.ID("q")))
	run(t, ctx, "plant defects", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](`(() => { const m = document.querySelector("main");
			m.insertAdjacentHTML("beforeend", '<input type="text" name="unlabelled"><p id="faint">faint text</p>');
			document.getElementById("faint").style.color = "#dddddd"; })()`)(ctx, tg)
		return err
	}))
	planted := strings.Join(axeViolations(t, ctx, axeJS, "planted defects"), "\n")
	if !strings.Contains(planted, "label") || !strings.Contains(planted, "color-contrast") {
		t.Errorf("axe-core missed planted defects: %q", planted)
	}
	// The home, record and funding programme pages in every page language.
	for _, lang := range pageLanguageTags {
		public = append(public, "/?lang="+lang, "/records/osm?lang="+lang,
			"/funding/find?country=FR&kind=geodata&lang="+lang, "/funding/programmes/geo-fund?lang="+lang)
	}
	for _, p := range public {
		check(p)
	}
	// The language switcher, open, at every width.
	for _, v := range axeViews {
		setView(t, ctx, v.w, v.h, v.dark)
		run(t, ctx, "open the switcher", chromedp.Navigate(s.URL+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("main")),
			chromedp.Click(chromedp.CSS(".langs summary")), chromedp.WaitVisible(chromedp.CSS(`.langs a[hreflang="de"]`)))
		axeCheck(t, ctx, axeJS, "switcher open ("+v.name+")")
		noSideScroll(t, ctx, "switcher open ("+v.name+")")
	}
	run(t, ctx, "operator signs in", chromedp.Navigate(s.URL+"/login?lang=en"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "ada"), chromedp.SendKeys(chromedp.ID("password"), uiPassword),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	for _, p := range private {
		check(p)
	}
	// The editor's form showing its errors.
	for _, v := range axeViews {
		setView(t, ctx, v.w, v.h, v.dark)
		run(t, ctx, "form with errors", chromedp.Navigate(s.URL+"/edit/new"), chromedp.WaitVisible(chromedp.ID("f-slug")),
			chromedp.SendKeys(chromedp.ID("f-slug"), "Bad Slug"), chromedp.SendKeys(chromedp.ID("f-countries-0-code"), "XX"),
			chromedp.Submit(chromedp.ID("f-slug")), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
		axeCheck(t, ctx, axeJS, "form with errors ("+v.name+")")
		noSideScroll(t, ctx, "form with errors")
	}
	setView(t, ctx, 1280, 900, false)
}

// noSideScroll fails if the page is wider than the viewport: content
// that does not fit (a table) must scroll in its own box, not the page.
func noSideScroll(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	w := get(t, ctx, "page width", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, innerWidth]`))
	if w[0] > w[1] {
		wide := get(t, ctx, "wide elements", chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")]
			.filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest(".scroll"))
			.map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")).slice(0, 5)`))
		t.Errorf("%s: the page is %d px wide in a %d px viewport (%v)", name, w[0], w[1], wide)
	}
}

// focusState describes the focused element: what it is and whether its
// focus is visible (an outline drawn, the element on screen).
type focusState struct {
	Desc    string `json:"desc"`
	Visible bool   `json:"visible"`
}

const focusJS = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return {desc: "body", visible: false};
	const s = getComputedStyle(e), r = e.getBoundingClientRect();
	const where = e.closest(".facets") ? "facets" : e.closest(".results") ? "results" : e.closest("form.search") ? "search" :
		e.closest("header") ? "header" : e.closest("footer") ? "footer" : "main";
	const drawn = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
	const onScreen = r.width > 1 && r.height > 1 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
	return {desc: where + " " + e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + (e.textContent || e.value || "").trim().slice(0, 30), visible: drawn && onScreen};
})()`

// TestBrowserKeyboard tabs through the home page with a filter applied, at
// desktop and phone width: the skip link comes first and shows itself,
// then the search box, the facets (on a phone, after Enter on their
// folded block) and the results are all reached, each with a visible
// focus ring.
func TestBrowserKeyboard(t *testing.T) {
	ctx := newBrowser(t)
	s := newUIServer(t)
	for _, v := range axeViews[:2] {
		t.Run(v.name, func(t *testing.T) {
			setView(t, ctx, v.w, v.h, false)
			run(t, ctx, "open home", chromedp.Navigate(s.URL+"/?kind=geodata&lang=en"), chromedp.WaitVisible(chromedp.ID("q")))
			reached := map[string]bool{}
			var trail []string
			for i := 0; i < 80 && !reached["footer"]; i++ {
				run(t, ctx, "tab", chromedp.KeyEvent(kb.Tab))
				f := get(t, ctx, "focus", chromedp.Evaluate[focusState](focusJS))
				trail = append(trail, f.Desc)
				if i == 0 && !strings.HasPrefix(f.Desc, "main a") && !strings.Contains(f.Desc, "Skip") && !strings.Contains(f.Desc, "skip") {
					t.Errorf("the first Tab focuses %q, want the skip link", f.Desc)
				}
				if !f.Visible {
					t.Errorf("Tab %d: focus on %q is not visible", i+1, f.Desc)
				}
				reached[strings.Fields(f.Desc)[0]] = true
				if strings.HasPrefix(f.Desc, "main summary Refine") && !reached["refine"] {
					// On a phone the facets are folded: Enter opens them.
					reached["refine"] = true
					run(t, ctx, "open the facets", chromedp.KeyEvent(kb.Enter))
				}
				if strings.Contains(f.Desc, "#q") {
					reached["search box"] = true
				}
			}
			for _, want := range []string{"search box", "facets", "results", "footer"} {
				if !reached[want] {
					t.Errorf("Tab never reaches the %s: %q", want, trail)
				}
			}
		})
	}
}
