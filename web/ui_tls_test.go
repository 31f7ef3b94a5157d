package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-directory/commons/store"
)

// TestUIOverTLS serves the pages over real TLS (an https base URL):
// every answer, made or from the page cache, carries HSTS and the page
// CSP, and the form cookies take the __Host- prefix and the Secure flag.
func TestUIOverTLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	base := "https://" + ts.Listener.Addr().String()
	db, err := store.Open(t.Context(), store.Options{Path: filepath.Join(t.TempDir(), "tls.db"), BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ts.Config.Handler = New(Options{Directory: db, BaseURL: base, Logger: slog.New(slog.DiscardHandler)})
	ts.StartTLS()
	t.Cleanup(ts.Close)
	// Each page twice: made, then from the page cache, which must keep
	// every header.
	for _, path := range []string{"/", "/", "/login", "/stats", "/stats", "/legal", "/privacy", "/accessibility", "/accessibility",
		"/static/style.css", "/nope"} {
		r, _ := http.NewRequest("GET", base+path, nil)
		r.Header.Set("Accept", "text/html")
		resp, err := ts.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if hsts := h.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
			t.Errorf("%s: Strict-Transport-Security %q", path, hsts)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
		for _, c := range resp.Cookies() {
			if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || !c.HttpOnly {
				t.Errorf("%s: cookie %+v", path, c)
			}
		}
		if path == "/login" && len(resp.Cookies()) == 0 {
			t.Error("/login set no CSRF cookie")
		}
	}
}
