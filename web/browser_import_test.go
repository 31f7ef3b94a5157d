package web

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserImport imports a publiccode.yml in headless Chromium as an
// editor does: from the new-record form to the import page, a file with
// a mistake (its problems shown, focusable from the form), then the fixed
// file (the record created, with a link to it).
func TestBrowserImport(t *testing.T) {
	sample, err := os.ReadFile("testdata/publiccode.yml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	s := newUIServer(t)
	dir := screenshotDir(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	id := func(s string) chromedp.ID { return chromedp.ID(s) }

	run(t, ctx, "sign in", chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(id("name")),
		chromedp.SendKeys(id("name"), "ed"), chromedp.SendKeys(id("password"), uiPassword),
		chromedp.Submit(id("password")), chromedp.WaitVisible(css(".notice")))
	run(t, ctx, "from the new-record form to the import", chromedp.Navigate(s.URL+"/edit/new"),
		chromedp.Click(css(`a[href="/edit/import"]`)), chromedp.WaitVisible(id("f-yaml")))

	bad := strings.Replace(string(sample), "AGPL-3.0-or-later", "GPL-9", 1)
	run(t, ctx, "paste a file with a mistake", chromedp.SetValue(id("f-yaml"), bad),
		chromedp.Click(css(`form[action="/edit/import"] button[type="submit"]`)), chromedp.WaitVisible(id("import-errors")))
	if got := textOf(t, ctx, "#import-errors li"); !strings.Contains(got, "line 44") || !strings.Contains(got, "legal.license") {
		t.Errorf("problem shown: %q", got)
	}
	if got := attrOf(t, ctx, "#f-yaml", "aria-describedby"); got != "h-yaml import-errors" {
		t.Errorf("textarea aria-describedby %q", got)
	}
	shoot(t, ctx, dir, "import-errors")

	run(t, ctx, "paste the fixed file", chromedp.SetValue(id("f-yaml"), string(sample)),
		chromedp.Click(css(`form[action="/edit/import"] button[type="submit"]`)), chromedp.WaitVisible(id("import-result")))
	if got := textOf(t, ctx, "#import-result p"); !strings.Contains(got, "The record Medusa was created.") {
		t.Errorf("outcome: %q", got)
	}
	shoot(t, ctx, dir, "import-done")
	run(t, ctx, "open the record", chromedp.Click(css(`#import-result a[href="/records/medusa"]`)), chromedp.WaitVisible(css("h1")))
	if got := textOf(t, ctx, "h1"); got != "Medusa" {
		t.Errorf("record heading %q", got)
	}
}
