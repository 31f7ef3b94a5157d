package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"golang.org/x/net/html"
)

// maxPageBytes is the budget of a page's HTML and the stylesheet together.
const maxPageBytes = 30 << 10

// checkHTML parses a page with a real HTML parser and checks what every
// page must have: a language, landmarks, a label for every control,
// unique ids, aria-describedby that point somewhere, no script but data
// blocks, no inline style, alt on images.
func checkHTML(t *testing.T, name, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("%s: parse: %v", name, err)
	}
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	ids := map[string]int{}
	labelFor := map[string]bool{}
	landmarks := map[string]int{}
	var controls []*html.Node
	var described []string
	var walk func(n *html.Node, inLabel bool)
	walk = func(n *html.Node, inLabel bool) {
		if n.Type == html.ElementNode {
			if id, ok := attr(n, "id"); ok {
				ids[id]++
			}
			if v, ok := attr(n, "aria-describedby"); ok {
				described = append(described, strings.Fields(v)...)
			}
			if _, ok := attr(n, "style"); ok {
				t.Errorf("%s: inline style on <%s>", name, n.Data)
			}
			switch n.Data {
			case "html":
				if l, _ := attr(n, "lang"); l == "" {
					t.Errorf("%s: <html> has no lang", name)
				}
			case "header", "main", "footer", "nav":
				landmarks[n.Data]++
			case "label":
				if f, ok := attr(n, "for"); ok {
					labelFor[f] = true
				}
				inLabel = true
			case "input", "select", "textarea":
				typ, _ := attr(n, "type")
				if typ != "hidden" && typ != "submit" && typ != "button" {
					if _, ok := attr(n, "aria-label"); !ok && !inLabel {
						controls = append(controls, n)
					}
				}
			case "script":
				if typ, _ := attr(n, "type"); typ != "application/ld+json" {
					t.Errorf("%s: a script that is not a data block", name)
				}
			case "img":
				if _, ok := attr(n, "alt"); !ok {
					t.Errorf("%s: <img> without alt", name)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel)
		}
	}
	walk(doc, false)
	for _, l := range []string{"header", "main", "footer", "nav"} {
		if landmarks[l] == 0 {
			t.Errorf("%s: no <%s> landmark", name, l)
		}
	}
	if landmarks["main"] > 1 {
		t.Errorf("%s: %d <main> elements", name, landmarks["main"])
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q used %d times", name, id, n)
		}
	}
	for _, c := range controls {
		id, _ := attr(c, "id")
		if id == "" || !labelFor[id] {
			nm, _ := attr(c, "name")
			t.Errorf("%s: <%s name=%q id=%q> has no label", name, c.Data, nm, id)
		}
	}
	for _, id := range described {
		if ids[id] == 0 {
			t.Errorf("%s: aria-describedby names %q, which is not on the page", name, id)
		}
	}
}

// TestUIPagesHTML checks every key page, public and editorial, in each
// language, with the HTML parser, and the size budget of public pages.
func TestUIPagesHTML(t *testing.T) {
	s := newUIServer(t)
	css := len(s.browser(t).get("/static/style.css", http.StatusOK))
	public := []string{"/", "/?q=map&kind=geodata", "/records/osm", "/records/bano", "/topics/geodata", "/topics/fr",
		"/about", "/stats", "/funding", "/funding?funder=NLnet", "/login", "/legal", "/privacy", "/accessibility",
		"/follow?target=" + url.QueryEscape(s.URL+"/records/osm"), "/records/osm/history",
		"/funding/programmes", "/funding/find?country=FR&kind=geodata&purpose=maintenance", "/funding/programmes/geo-fund"}
	editorial := []string{"/edit/new", "/records/osm/edit", "/records/osm/delete", "/records/osm/post", "/account", "/ops", "/ops/users"}
	for _, lang := range []string{"en", "fr", "de"} {
		b := s.browser(t)
		b.lang = lang
		for _, p := range public {
			page := b.get(p, http.StatusOK)
			checkHTML(t, lang+" "+p, page)
			if !strings.Contains(page, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: wrong <html lang>", lang, p)
			}
			if p == "/records/osm" && lang == "en" {
				t.Logf("%s: %d bytes of HTML + %d of CSS", p, len(page), css)
			}
			if n := len(page) + css; n > maxPageBytes {
				t.Errorf("%s %s: %d bytes of HTML and CSS, budget %d", lang, p, n, maxPageBytes)
			}
		}
		if lang == "de" {
			continue // German covers the public pages
		}
		b.login("ada")
		for _, p := range editorial {
			checkHTML(t, lang+" "+p, b.get(p, http.StatusOK))
		}
	}
}

// TestUIRoutesOutsideAPI keeps the HTML router out of the API's space:
// everything under /api is described in openapi.json, and the UI router
// is not walked by that test.
func TestUIRoutesOutsideAPI(t *testing.T) {
	s := &server{}
	n := 0
	err := s.uiRouter().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		p, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		n++
		if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/.well-known/") {
			t.Errorf("UI route %s is in the API's space", p)
		}
		return nil
	})
	if err != nil || n < 20 {
		t.Fatalf("walk: %d routes, %v", n, err)
	}
}
