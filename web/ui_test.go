package web

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func wantIn(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func wantNotIn(t *testing.T, what, page string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(page, w) {
			t.Errorf("%s has %q", what, w)
		}
	}
}

func TestHighlight(t *testing.T) {
	tests := []struct{ text, query, want string }{
		{"The free wiki world map.", "map", "The free wiki world <mark>map</mark>."},
		{"Cartes & <données>", "cart donnees", "<mark>Cartes</mark> &amp; &lt;<mark>données</mark>&gt;"},
		{"Maps of Mapland", "MAP", "<mark>Maps</mark> of <mark>Mapland</mark>"},
		{"no match here", "xyz", "no match here"},
		{"<script>", "", "&lt;script&gt;"},
	}
	for _, tt := range tests {
		if got := string(highlight(tt.text, "en", queryMatch(tt.query))); got != tt.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", tt.text, tt.query, got, tt.want)
		}
	}
}

// TestUIPublic checks what the public pages show: highlighted results,
// facet labels, every part of the record page, topics, instances, the
// language cookie and the follow form's errors.
func TestUIPublic(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	tests := []struct {
		name, path string
		want       []string
	}{
		{"Highlight", "/?q=map", []string{"<mark>map</mark>", "1 commons found"}},
		{"ActiveFilters", "/?kind=geodata&country=FR", []string{`<p class="active">Filters: <a class="tag" href="/?country=FR">Geodata`, `<a class="tag" href="/?kind=geodata">France`}},
		{"FacetLabels", "/", []string{"Geodata", `name="kind" value="geodata"`, `name="country" value="FR"`, `name="status" value="stable"`, `<span class="count">2</span>`}},
		{"Record", "/records/osm", []string{"<h2 id=\"gov-h\">Governance</h2>", "Foundation", "OpenStreetMap Foundation",
			"Mapping grants", "Rolling microgrants", "Donate", "ODbL-1.0", "https://www.wikidata.org/wiki/Q936", "alternative to",
			"@osm@" + hostOf(s.URL), `action="/follow"`, `/feeds/records/osm.atom`, "0 followers", `href="?tl=fr&amp;lang=en"`,
			`<script type="application/ld+json">`}},
		{"RecordOtherLanguage", "/records/osm?tl=de", []string{`<h1 lang="de">OpenStreetMap (de)</h1>`, `<html lang="en">`}},
		{"TopicKind", "/topics/geodata", []string{"<h1>Geodata</h1>", "@geodata@", "/feeds/topics/geodata.atom", "2 commons found"}},
		{"TopicCountry", "/topics/fr", []string{"<h1>France</h1>", "tied to France", "Base Adresse Nationale", "1 commons found"}},
		{"About", "/about", []string{"3 commons are listed here.", "/catalog.jsonld", instanceHandle(hostOf(s.URL))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantIn(t, tt.path, b.get(tt.path, http.StatusOK), tt.want...) })
	}
	t.Run("NotFound", func(t *testing.T) {
		b.get("/topics/nope", http.StatusNotFound)
		b.get("/instances/nowhere.example", http.StatusNotFound)
		b.get("/instances/nowhere.example/records/x", http.StatusNotFound)
		if resp, _ := b.do("GET", "/instances/"+hostOf(s.URL), nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/about" {
			t.Errorf("own instance page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("LanguageCookie", func(t *testing.T) {
		c := s.browser(t)
		c.lang = "fr"
		wantIn(t, "fr", c.get("/", http.StatusOK), `<html lang="fr">`)
		wantIn(t, "?lang=de", c.get("/?lang=de", http.StatusOK), `<html lang="de">`, "Verzeichnis durchsuchen")
		wantIn(t, "after the switch", c.get("/stats", http.StatusOK), `<html lang="de">`, "Das Verzeichnis in Zahlen")
	})
	t.Run("FollowErrors", func(t *testing.T) {
		target := s.URL + "/records/osm"
		_, page := b.post("/follow", url.Values{"target": {target}, "account": {""}}, http.StatusUnprocessableEntity)
		wantIn(t, "empty account", page, `aria-describedby="follow-err"`, `id="follow-err"`)
		_, page = b.post("/follow", url.Values{"target": {target}, "account": {"not a handle"}}, http.StatusUnprocessableEntity)
		wantIn(t, "bad account", page, `id="follow-err"`, `value="not a handle"`)
		b.post("/follow", url.Values{"account": {"@a@b.example"}}, http.StatusBadRequest)
	})
	t.Run("SecurityHeaders", func(t *testing.T) {
		resp, _ := b.do("GET", "/records/osm", nil)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self' https:"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q allows script", csp)
		}
		// A page with a form sets the CSRF cookie and is private; one
		// without stays cacheable and sets no cookie.
		resp, _ = s.browser(t).do("GET", "/records/osm", nil)
		if len(resp.Cookies()) != 1 || resp.Cookies()[0].Name != "csrf" || resp.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("record page: cookies %v, Cache-Control %q", resp.Cookies(), resp.Header.Get("Cache-Control"))
		}
		resp, _ = s.browser(t).do("GET", "/stats", nil)
		if len(resp.Cookies()) != 0 || resp.Header.Get("Cache-Control") != "" {
			t.Errorf("stats page: cookies %v, Cache-Control %q", resp.Cookies(), resp.Header.Get("Cache-Control"))
		}
	})
}

// TestUIFunding checks the funding page and feed: open calls only,
// soonest first, undated last, filters.
func TestUIFunding(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	page := b.get("/funding", http.StatusOK)
	wantNotIn(t, "funding", page, "Past call")
	i, j, k := strings.Index(page, "Appel communs numériques"), strings.Index(page, "Mapping grants"), strings.Index(page, "Rolling microgrants")
	if i < 0 || j < 0 || k < 0 || !(i < j && j < k) {
		t.Errorf("calls out of order: %d %d %d", i, j, k)
	}
	wantIn(t, "funding", page, "Donate", `href="/funding.atom"`)
	wantIn(t, "by funder", b.get("/funding?funder=NLnet", http.StatusOK), "Mapping grants")
	wantNotIn(t, "by funder", b.get("/funding?funder=NLnet", http.StatusOK), "Rolling microgrants", "Appel communs")
	wantNotIn(t, "by country", b.get("/funding?country=fr", http.StatusOK), "Mapping grants")
	wantIn(t, "by kind", b.get("/funding?kind=data", http.StatusOK), "Appel communs numériques")

	resp, feed := b.do("GET", "/funding.atom", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != mediaAtom {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var f struct {
		Entries []struct {
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	// The records' calls, then the funding programmes and their open calls.
	if err := xml.Unmarshal([]byte(feed), &f); err != nil || len(f.Entries) != 5 || f.Entries[0].Title != "Appel communs numériques" ||
		f.Entries[3].Title != "Open Geodata Fund" || f.Entries[4].Title != "Spring round" {
		t.Errorf("feed entries %+v, %v", f.Entries, err)
	}
}

// TestUIStats checks the charts: SVG with title and desc, and the table.
func TestUIStats(t *testing.T) {
	s := newUIServer(t)
	page := s.browser(t).get("/stats", http.StatusOK)
	wantIn(t, "stats", page, `<svg class="chart"`, `role="img"`, `<title id="c-country-t">Records by country</title>`,
		`<desc id="c-kind-d">`, `<th scope="row">Geodata</th><td>2</td>`, "Growth", `aria-labelledby="c-licence-t c-licence-d"`)
}

// TestUILogin checks sessions: bad passwords, lockout, CSRF, cookie
// flags, logout and logout everywhere.
func TestUILogin(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.get("/edit/new", http.StatusSeeOther) // to the login page

	// No CSRF token: refused.
	resp, _ := b.do("POST", "/login", url.Values{"name": {"ed"}, "password": {uiPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without CSRF: %d", resp.StatusCode)
	}
	// Wrong passwords, then locked out even with the right one.
	for i := range loginUserLimit {
		_, page := b.post("/login", url.Values{"name": {"ed"}, "password": {"wrong " + strconv.Itoa(i)}}, http.StatusUnauthorized)
		wantIn(t, "bad login", page, "Wrong user name or password.", `role="alert"`)
	}
	_, page := b.post("/login", url.Values{"name": {"ed"}, "password": {uiPassword}}, http.StatusTooManyRequests)
	wantIn(t, "locked", page, "Too many failed attempts")

	// Another user from the same address still may.
	a := s.browser(t)
	resp, _ = a.post("/login", url.Values{"name": {"ada"}, "password": {uiPassword}}, http.StatusSeeOther)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie on http: %+v", session)
	}
	wantIn(t, "signed in", a.get("/?done=loggedin", http.StatusOK), "You are signed in.", "Sign out (ada)", `href="/ops"`)

	// A second session, then log out everywhere ends both.
	a2 := s.browser(t)
	a2.login("ada")
	a.post("/logout/everywhere", url.Values{}, http.StatusSeeOther)
	a2.get("/edit/new", http.StatusSeeOther)
	a.get("/edit/new", http.StatusSeeOther)

	// Logout ends one session.
	a3 := s.browser(t)
	a3.login("ada")
	a3.get("/edit/new", http.StatusOK)
	a3.post("/logout", url.Values{}, http.StatusSeeOther)
	a3.get("/edit/new", http.StatusSeeOther)

	// Editors may not operate.
	if _, err := s.db.CreateUser(t.Context(), "eve", "editor", uiPassword); err != nil {
		t.Fatal(err)
	}
	e := s.browser(t)
	e.login("eve")
	e.get("/edit/new", http.StatusOK)
	e.get("/ops", http.StatusForbidden)
	e.do("POST", "/ops/blocks", url.Values{"csrf": {e.csrf()}, "domain": {"x.example"}})
}

// TestUICookiesOverHTTPS checks the __Host- prefix and Secure flag.
func TestUICookiesOverHTTPS(t *testing.T) {
	s := newTestServer(t, nil, func(o *Options) { o.BaseURL = "https://commons.example.eu" })
	form := url.Values{"name": {"ed"}, "password": {uiPassword}, "csrf": {csrfFor("csrf:" + strings.Repeat("x", 43))}}
	r, _ := http.NewRequest("POST", s.URL+"/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", "__Host-csrf="+strings.Repeat("x", 43))
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var names []string
	for _, c := range resp.Cookies() {
		names = append(names, c.Name)
		if !c.Secure || !c.HttpOnly || c.Path != "/" {
			t.Errorf("cookie %s: %+v", c.Name, c)
		}
	}
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(strings.Join(names, " "), "__Host-session") {
		t.Errorf("login over https: %d, cookies %v", resp.StatusCode, names)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over https")
	}
}

// TestUIRemote shows a peer's record: its page under /instances, the
// peer's page, links from the results and "also listed by".
func TestUIRemote(t *testing.T) {
	s := newUIServer(t)
	addRemote(t, s.db, "https://peer.example", "osm")
	b := s.browser(t)
	wantIn(t, "remote record", b.get("/instances/peer.example/records/osm", http.StatusOK),
		"OpenStreetMap osm", "listed by another instance", `href="/instances/peer.example"`, "@osm@peer.example", "Kept by peer.example",
		`href="/instances/peer.example/records/osm/history"`, `src="/instances/peer.example/records/osm/icon.png"`,
		`href="/records/osm"`) // also listed by: our own record shares Q936
	wantIn(t, "peer page", b.get("/instances/peer.example", http.StatusOK),
		"<h1>peer.example</h1>", `href="/instances/peer.example/records/osm"`, "1 commons found")
	wantIn(t, "home", b.get("/?origin=peer.example", http.StatusOK), `href="/instances/peer.example/records/osm"`, "Kept by peer.example")
	wantIn(t, "local record", b.get("/records/osm", http.StatusOK), "Also listed by", `href="/instances/peer.example/records/osm"`)
}

// TestUILoginAddressLockout locks a client address out after failures
// spread over many names.
func TestUILoginAddressLockout(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	for i := range loginAddrLimit {
		b.post("/login", url.Values{"name": {"guess" + strconv.Itoa(i)}, "password": {"wrong"}}, http.StatusUnauthorized)
	}
	_, page := b.post("/login", url.Values{"name": {"ada"}, "password": {uiPassword}}, http.StatusTooManyRequests)
	wantIn(t, "address locked", page, "Too many failed attempts")
}
