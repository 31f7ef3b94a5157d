package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSafeNext checks the redirect target after sign-in against the forms
// browsers resolve to another site.
func TestSafeNext(t *testing.T) {
	for _, tt := range []struct{ next, want string }{
		{"/records/osm", "/records/osm"},
		{"/search?q=map&kind=software", "/search?q=map&kind=software"},
		{"/edit/osm#top", "/edit/osm#top"},
		{"", ""},
		{"records/osm", ""},                   // relative
		{"//evil.example/x", ""},              // scheme-relative
		{"///evil.example/x", ""},             // scheme-relative, one more slash
		{"/\\evil.example/x", ""},             // backslash read as a slash
		{"\\\\evil.example/x", ""},            // two backslashes
		{"/\t/evil.example/x", ""},            // tab dropped by the browser
		{"/\n/evil.example/x", ""},            // newline dropped
		{"/\r\n/evil.example/x", ""},          // CR LF dropped
		{" //evil.example/x", ""},             // leading space stripped
		{"\x00//evil.example/x", ""},          // leading control stripped
		{"/%2F/evil.example/x", ""},           // encoded slash
		{"/%2f%2fevil.example/x", ""},         // encoded slashes, lower case
		{"/%5Cevil.example/x", ""},            // encoded backslash
		{"/%09/evil.example/x", ""},           // encoded tab
		{"/%252F%252Fevil.example/x", ""},     // encoded twice
		{"https://evil.example/x", ""},        // absolute
		{"javascript:alert(1)", ""},           // scheme
		{"/\x7f/evil.example", ""},            // DEL
		{"/ok/%zz", ""},                       // malformed escape
		{"/" + strings.Repeat("a", 3000), ""}, // absurdly long
	} {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

// TestLoginNext signs in with each form of next, from the query (as the
// login page is linked) through the form, and checks where it leads.
func TestLoginNext(t *testing.T) {
	s := newTestServer(t, nil, nil)
	for _, tt := range []struct{ next, want string }{
		{"/records/osm", "/records/osm"},
		{"/\t/evil.example/x", "/?done=loggedin"},
		{"/\\evil.example/x", "/?done=loggedin"},
		{"//evil.example/x", "/?done=loggedin"},
		{"/%2F%2Fevil.example/x", "/?done=loggedin"},
		{"/%5Cevil.example/x", "/?done=loggedin"},
		{"https://evil.example/x", "/?done=loggedin"},
	} {
		b := s.browser(t)
		// The login page keeps only a safe target in its form.
		page := b.get("/login?next="+url.QueryEscape(tt.next), http.StatusOK)
		kept := `name="next" value=""`
		if tt.want != "/?done=loggedin" {
			kept = `name="next" value="` + tt.want + `"`
		}
		if !strings.Contains(page, kept) {
			t.Errorf("next=%q: the login form lacks %s", tt.next, kept)
		}
		// A form posted with it anyway (crafted) is not followed.
		resp, _ := b.post("/login", url.Values{"name": {"ed"}, "password": {uiPassword}, "next": {tt.next}}, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != tt.want {
			t.Errorf("next=%q: redirected to %q, want %q", tt.next, loc, tt.want)
		}
	}
}

// TestCSRFBoundToSession checks that a form token only passes with the
// session (or, signed out, the pre-session cookie) it was made for.
func TestCSRFBoundToSession(t *testing.T) {
	s := newTestServer(t, nil, nil)
	post := func(b *uiClient, path string, form url.Values, header map[string]string) int {
		t.Helper()
		r, err := http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			r.Header.Set(k, v)
		}
		resp, err := b.c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	login := url.Values{"name": {"ed"}, "password": {uiPassword}}
	with := func(v url.Values, tok string) url.Values {
		out := url.Values{"csrf": {tok}}
		for k, vs := range v {
			out[k] = vs
		}
		return out
	}

	a, b := s.browser(t), s.browser(t)
	aPre := a.csrf()
	// Signed out: another browser's token is refused on the login form.
	if got := post(b, "/login", with(login, aPre), nil); got != http.StatusForbidden {
		t.Errorf("login with another browser's token: %d, want 403", got)
	}
	// A one-character cookie and field that match, as double submit
	// accepted, are refused; so is a made-up cookie with its own value.
	for _, forged := range []string{"x", strings.Repeat("x", 43)} {
		fresh := s.browser(t)
		if got := post(fresh, "/login", with(login, forged), map[string]string{"Cookie": "csrf=" + forged}); got != http.StatusForbidden {
			t.Errorf("login with cookie = field = %q: %d, want 403", forged, got)
		}
	}
	// Its own token passes.
	a.login("ed")
	b.login("ed")
	// Signed in, the pre-session token no longer passes; another session's
	// token (same user, other browser) is refused; its own passes.
	logout := url.Values{}
	if got := post(a, "/logout", with(logout, aPre), nil); got != http.StatusForbidden {
		t.Errorf("logout with the token from before sign-in: %d, want 403", got)
	}
	if got := post(a, "/logout", with(logout, b.csrf()), nil); got != http.StatusForbidden {
		t.Errorf("logout with another session's token: %d, want 403", got)
	}
	// A browser that marks the form as sent by another site is refused
	// even with the right token.
	if got := post(a, "/logout", with(logout, a.csrf()), map[string]string{"Sec-Fetch-Site": "cross-site"}); got != http.StatusForbidden {
		t.Errorf("logout marked cross-site: %d, want 403", got)
	}
	if got := post(a, "/logout", with(logout, a.csrf()), map[string]string{"Origin": "https://evil.example"}); got != http.StatusForbidden {
		t.Errorf("logout from another origin: %d, want 403", got)
	}
	if got := post(a, "/logout", with(logout, a.csrf()), nil); got != http.StatusSeeOther {
		t.Errorf("logout with its own token: %d, want 303", got)
	}
	// b's session is untouched by all this.
	b.get("/edit/new", http.StatusOK)
}
