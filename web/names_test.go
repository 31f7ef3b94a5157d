package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// bodyTexts lists what a reader of the page's body reads: its text, and
// the title, aria-label, placeholder and alt attributes (not URLs, not
// form values).
func bodyTexts(page string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(page))
	inBody, skip := false, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.TextToken:
			if s := strings.TrimSpace(string(z.Text())); s != "" && inBody && skip == 0 {
				out = append(out, s)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "body":
				inBody = true
			case "script", "style":
				if tok.Type == html.StartTagToken {
					skip++
				}
			}
			for _, a := range tok.Attr {
				switch a.Key {
				case "title", "aria-label", "placeholder", "alt":
					if inBody {
						out = append(out, a.Val)
					}
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip--
			}
		}
	}
}

// TestNamesNotCodes reads every public page as a visitor does: where the
// instance has a name, no host:port shows, and countries show by name,
// their codes only in URLs.
func TestNamesNotCodes(t *testing.T) {
	s := newUIServer(t)
	addRemote(t, s.db, "https://peer.example", "osm")
	host := hostOf(s.URL)
	codes := regexp.MustCompile(`\b(FR|GB|DE|BE|EU)\b`)
	b := s.browser(t)
	for _, p := range []string{"/", "/?q=map&kind=geodata", "/?country=FR&country=GB", "/?q=zzzzqqq", "/records/osm", "/records/bano",
		"/instances/peer.example/records/osm", "/instances/peer.example", "/topics/geodata", "/topics/fr", "/about", "/stats",
		"/funding", "/records/osm/history", "/instances/peer.example/records/osm/history", "/legal", "/privacy", "/accessibility",
		"/follow?target=" + url.QueryEscape(s.URL+"/records/osm")} {
		page := b.get(p, http.StatusOK)
		for _, text := range bodyTexts(page) {
			if strings.Contains(text, host) {
				t.Errorf("%s shows the host %s in %q", p, host, text)
			}
			if m := codes.FindString(strings.ReplaceAll(text, "(EU)", "")); m != "" {
				t.Errorf("%s shows the country code %s in %q", p, m, text)
			}
		}
	}
	// The check finds what it looks for.
	if got := bodyTexts(`<html><body><p>Kept by ` + host + `</p><a href="/topics/fr">FR</a></body></html>`); len(got) != 2 ||
		!strings.Contains(got[0], host) || !codes.MatchString(got[1]) {
		t.Errorf("bodyTexts = %q", got)
	}
}

// TestTopicFacets: a topic page does not offer its own facet, whose counts
// would be the whole directory's, and counts the others within the topic.
func TestTopicFacets(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	page := b.get("/topics/geodata", http.StatusOK)
	wantNotIn(t, "kind topic", page, `name="kind"`, "Knowledge")
	wantIn(t, "kind topic", page, `name="country" value="FR"`, `name="status" value="stable">`, "<legend>Status</legend>")
	if !regexp.MustCompile(`name="status" value="stable"> <label for="[^"]+">Stable <span class="count">2</span>`).MatchString(page) {
		t.Error("kind topic: the status counts are not the topic's (2 geodata records)")
	}
	page = b.get("/topics/fr", http.StatusOK)
	wantNotIn(t, "country topic", page, `name="country"`)
	wantIn(t, "country topic", page, `name="kind" value="geodata"`)
	wantNotIn(t, "country topic", page, `name="kind" value="knowledge"`) // Wikipedia is not French
}
