package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/commons-directory/commons/i18n"
)

// TestContentNegotiation maps Accept to the Content-Type each negotiated
// URL answers with, for success and error responses.
func TestContentNegotiation(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		route, path, accept string
		status              int
		want                string
	}{
		{"/", "/", "", 200, mediaHTML},
		{"/", "/", browser, 200, mediaHTML},
		{"/", "/", "application/json", 200, mediaJSON},
		{"/", "/", "application/json;q=0.9, text/html;q=0.8", 200, mediaJSON},
		{"/", "/", "text/*", 200, mediaHTML},
		{"/", "/", "image/png", 200, mediaHTML},
		{"/", "/?limit=0", browser, 400, mediaHTML},
		{"/", "/?limit=0", "application/json", 400, mediaProblem},
		{"/records/{slug}", "/records/osm", browser, 200, mediaHTML},
		{"/records/{slug}", "/records/osm", "application/json", 200, mediaJSON},
		{"/records/{slug}", "/records/osm", "text/html;q=0, */*", 200, mediaJSON},
		{"/records/{slug}", "/records/nope", browser, 404, mediaHTML},
		{"/records/{slug}", "/records/nope", "application/json", 404, mediaProblem},
		{"/records/{slug}", "/records/nope", "application/problem+json", 404, mediaProblem},
		{"", "/no/such/page", browser, 404, mediaHTML},
		{"/api/v1/records/{slug}", "/api/v1/records/nope", browser, 404, mediaProblem}, // the API always answers problems
		{"/api/v1/records", "/api/v1/records", browser, 200, mediaJSON},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: tt.route, Path: tt.path, Header: map[string]string{"Accept": tt.accept}})
			expect(t, resp, b, tt.status)
			if ct := resp.Header.Get("Content-Type"); ct != tt.want {
				t.Errorf("Content-Type = %q, want %q", ct, tt.want)
			}
			if (tt.route == "/" || tt.route == "/records/{slug}") && !strings.Contains(resp.Header.Get("Vary"), "Accept") {
				t.Errorf("Vary = %q, want Accept", resp.Header.Get("Vary"))
			}
		})
	}
}

// TestSecurityHeaders checks the headers every response carries.
func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	for _, q := range []req{
		{Method: "GET", Path: "/"},
		{Method: "GET", Path: "/records/osm"},
		{Method: "GET", Path: "/records/nope"},
		{Method: "GET", Path: "/api/v1/records/osm"},
		{Method: "GET", Path: "/api/v1/records/nope"},
		{Method: "POST", Path: "/api/v1/records", Body: "{}"},
		{Method: "GET", Path: "/static/style.css"},
	} {
		resp, b := s.do(t, q)
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "strict-origin-when-cross-origin" {
			t.Errorf("%s %s: missing nosniff or Referrer-Policy: %v", q.Method, q.Path, h)
		}
		csp := h.Get("Content-Security-Policy")
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			if strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
				t.Errorf("%s: HTML CSP %q", q.Path, csp)
			}
			// A JSON-LD data block is data, never executed; any other script is a defect.
			page := strings.ReplaceAll(string(b), `<script type="application/ld+json">`, "")
			if strings.Contains(page, "<script") || strings.Contains(page, "style=") {
				t.Errorf("%s: page has script or inline style", q.Path)
			}
		} else if csp != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s %s: CSP %q", q.Method, q.Path, csp)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on an http instance", q.Path)
		}
	}
	t.Run("HSTSOverHTTPS", func(t *testing.T) {
		s := newTestServer(t, nil, func(o *Options) { o.BaseURL = "https://commons.example.eu" })
		resp, _ := s.do(t, req{Method: "GET", Path: "/healthz"})
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Errorf("Strict-Transport-Security = %q", got)
		}
	})
}

// TestPages checks the HTML: language choice, search form, facets, record.
func TestPages(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	s.create(t, "bano")
	get := func(path, lang string) string {
		t.Helper()
		route := "/"
		if strings.HasPrefix(path, "/records/") {
			route = "/records/{slug}"
		}
		resp, b := s.do(t, req{Method: "GET", Route: route, Path: path, Header: map[string]string{"Accept-Language": lang}})
		expect(t, resp, b, http.StatusOK)
		return string(b)
	}
	tests := []struct {
		name, path, lang string
		want             []string
	}{
		{"HomeEnglish", "/", "", []string{`<html lang="en">`, `<label for="q">Search the directory</label>`, `id="q" name="q"`, "2 commons found", `name="kind" value="geodata"`, `<span class="count">2</span>`, `href="/records/osm"`}},
		{"HomeFrench", "/", "fr-BE,fr;q=0.9,en;q=0.5", []string{`<html lang="fr">`, "Rechercher dans l’annuaire", "2 communs trouvés", `lang="fr">OpenStreetMap osm (fr)`}},
		{"QueryOverridesHeader", "/?lang=en", "fr", []string{`<html lang="en">`, "Search the directory", `href="/records/osm?lang=en"`}},
		{"UnsupportedLanguage", "/", "ja", []string{`<html lang="en">`}},
		{"HomeGerman", "/", "de-AT,de;q=0.9", []string{`<html lang="de">`, "Verzeichnis durchsuchen", "2 Gemeingüter gefunden"}},
		{"FacetSelected", "/?kind=geodata", "", []string{`name="kind" value="geodata" checked>`, `href="/"`}},
		{"Query", "/?q=bano", "", []string{"1 commons found", `value="bano"`}},
		{"Record", "/records/osm", "", []string{`<html lang="en">`, `<h1 lang="en">OpenStreetMap osm</h1>`, "<strong>map</strong>", `<a href="https://wiki.openstreetmap.org/" rel="nofollow noreferrer">volunteers</a>`, "ODbL-1.0", "OpenStreetMap Foundation", `href="/api/v1/records/osm"`}},
		{"RecordFrench", "/records/osm", "fr", []string{`<html lang="fr">`, `<h1 lang="fr">OpenStreetMap osm (fr)</h1>`, "Licences", "Site web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := get(tt.path, tt.lang)
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q:\n%s", w, page)
				}
			}
		})
	}
	t.Run("ErrorPage", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "GET", Route: "/records/{slug}", Path: "/records/nope", Header: map[string]string{"Accept": "text/html", "Accept-Language": "fr"}})
		expect(t, resp, b, 404)
		if !strings.Contains(string(b), "Page introuvable") || !strings.Contains(string(b), `<html lang="fr">`) {
			t.Errorf("error page:\n%s", b)
		}
	})
	t.Run("MarkdownIsSanitised", func(t *testing.T) {
		got := string(markdown("<script>alert(1)</script>\n\n![x](https://tracker.example/x.png) [a](javascript:alert(1)) *ok*"))
		for _, bad := range []string{"<script", "<img", "javascript:"} {
			if strings.Contains(got, bad) {
				t.Errorf("markdown kept %s: %s", bad, got)
			}
		}
		if !strings.Contains(got, "<em>ok</em>") {
			t.Errorf("markdown lost the emphasis: %s", got)
		}
	})
}

// TestNegotiateLanguage picks the page language from Accept-Language
// among the 24 languages of the EU, whatever catalogues are present.
func TestNegotiateLanguage(t *testing.T) {
	eu := map[string]bool{}
	for _, l := range strings.Fields("bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv") {
		eu[l] = true
	}
	has := func(l string) bool { return eu[l] }
	for _, tt := range []struct{ header, want string }{
		{"", "en"},
		{"pl", "pl"},
		{"fr-BE,fr;q=0.9,en;q=0.5", "fr"},
		{"pt-BR", "pt"},
		{"de-CH", "de"},
		{"ga-IE", "ga"},
		{"mt-MT,en;q=0.3", "mt"},
		{"ca,es;q=0.5", "es"}, // a language we lack: the next one asked for
		{"ca", "en"},          // a language we lack, and no other: English
		{"nb", "en"},          // no neighbour stands in for a language
		{"ja,sv;q=0.2", "sv"}, // order by preference
		{"sv;q=0.2,ja,lt", "lt"},
		{"*", "en"},
		{"not a header;;", "en"},
	} {
		if got := negotiateLanguage(tt.header, has); got != tt.want {
			t.Errorf("Accept-Language %q: %s, want %s", tt.header, got, tt.want)
		}
	}
	if got := negotiateLanguage("tlh, fr-FR", i18n.Has); got != "fr" {
		t.Errorf("with the catalogues present, %q gives %s", "tlh, fr-FR", got)
	}
}
