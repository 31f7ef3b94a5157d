package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestSiteIdentity shows the operator's identity on every page: the short
// name and logo in the header, the accent colour in the stylesheet, the
// operator, contact and the three notices in the footer.
func TestSiteIdentity(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	for _, p := range []string{"/", "/records/osm", "/stats", "/funding", "/accessibility", "/records/nope"} {
		status := http.StatusOK
		if p == "/records/nope" {
			status = http.StatusNotFound
		}
		_, page := b.do("GET", p, nil)
		if !strings.Contains(page, "<title>") {
			t.Fatalf("%s: no page (want %d)", p, status)
		}
		wantIn(t, p, page, `<img src="/static/logo" alt="" height="40">Test Commons</a>`,
			`Run by Digital Commons Agency`, `href="mailto:contact@agency.example"`,
			`<a href="/legal">Legal notice</a>`, `<a href="/privacy">Privacy notice</a>`, `<a href="/accessibility">Accessibility statement</a>`)
	}
	b.lang = "fr"
	wantIn(t, "French header", b.get("/", http.StatusOK), `>Communs de test</a>`, `Géré par Agence des communs numériques`, `Déclaration d&#39;accessibilité`)
	css := b.get("/static/style.css", http.StatusOK)
	wantIn(t, "stylesheet", css, "--accent: #1d5c3a", "--accent: #9ad7b0")
	wantNotIn(t, "stylesheet", css, "--accent: #0b57d0", "--accent: #a8c7fa")
	resp, logo := b.do("GET", "/static/logo", nil)
	if resp.Header.Get("Content-Type") != "image/svg+xml" || logo != string(uiSite.LogoFile) {
		t.Errorf("logo: %s %q", resp.Header.Get("Content-Type"), logo)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
		t.Errorf("logo CSP %q", csp)
	}
}

// TestSiteNotices fills the legal notice, the privacy notice and the
// accessibility statement from the configuration.
func TestSiteNotices(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	wantIn(t, "legal", b.get("/legal", http.StatusOK), `<h1>Legal notice</h1>`, `<dd>Digital Commons Agency</dd>`,
		`<p>Digital Commons Agency, 1 Example Street, Brussels.</p><p>Publication director: A. Example.</p>`,
		`<a href="mailto:contact@agency.example">contact@agency.example</a>`)
	wantIn(t, "privacy", b.get("/privacy", http.StatusOK), `<h1>Privacy notice</h1>`, "does not track its visitors",
		"<p>Questions about your data go to the data protection officer.</p>")
	a11y := b.get("/accessibility", http.StatusOK)
	wantIn(t, "accessibility", a11y, `<h1>Accessibility statement</h1>`,
		"Digital Commons Agency is committed to making its website accessible, in accordance with Directive (EU) 2016/2102",
		"applies to Test Commons.",
		"<h2>Compliance status</h2>", "partially compliant with the harmonised standard EN 301 549",
		"<h2>Non-accessible content</h2>", "<p>The charts of the figures page are images with a table beside them.</p>",
		"<h2>Preparation of this accessibility statement</h2>", "This statement was prepared on 30 November 2026.",
		"self-assessment", "html-validate", "axe at 1280 and 375 pixels wide and in the dark colour scheme", "keyboard alone",
		"<h2>Feedback and contact information</h2>", `<a href="https://agency.example/accessibility-feedback">agency.example/accessibility-feedback</a>`,
		"<h2>Enforcement procedure</h2>", `<a href="https://enforcement.example/complaints">`)
	b.lang = "de"
	wantIn(t, "German statement", b.get("/accessibility", http.StatusOK), "<h1>Erklärung zur Barrierefreiheit</h1>",
		"Diese Erklärung wurde am 30. November 2026 erstellt.", "Durchsetzungsverfahren")

	// Without a site configured: the instance name stands for the
	// operator, and the statement says what it can.
	bare := newTestServer(t, spec, nil).browser(t)
	page := bare.get("/accessibility", http.StatusOK)
	wantIn(t, "default statement", page, "Test Commons is committed", "partially compliant", `<a href="/accessibility">`, "Run by Test Commons")
	wantNotIn(t, "default statement", page, "prepared on", "mailto:", "/static/logo")
	if resp, _ := bare.do("GET", "/static/logo", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no logo configured: %d", resp.StatusCode)
	}
}

// TestCheckAccent refuses an accent colour that is unreadable on the
// backgrounds of its scheme, and names why.
func TestCheckAccent(t *testing.T) {
	for _, c := range []struct {
		colour string
		dark   bool
		want   string // "" for accepted
	}{
		{"#0b57d0", false, ""},
		{"#a8c7fa", true, ""},
		{"#1D5C3A", false, ""},
		{"#7fb3ff", false, "below WCAG AA's 4.5:1"},
		{"#0b57d0", true, "dark scheme's background"},
		{"#ffff00", false, "light scheme's background #ffffff"},
		{"blue", false, "not a colour written #rrggbb"},
		{"#12345", false, "not a colour written #rrggbb"},
	} {
		err := CheckAccent(c.colour, c.dark)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s (dark %v): %v", c.colour, c.dark, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s (dark %v): %v, want %q", c.colour, c.dark, err, c.want)
		}
	}
}
