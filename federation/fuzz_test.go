package federation

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/commons-directory/commons"
)

// FuzzParseActivity feeds the inbox's activity parser arbitrary bodies
// (seeds: testdata/fuzz/FuzzParseActivity and the activities of
// testdata). It must never panic, must refuse with an EINVALID error, and
// what it accepts must hold the envelope every handler relies on.
func FuzzParseActivity(f *testing.F) {
	for _, s := range []string{
		`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/8f2f2b1e","type":"Follow","actor":"https://mastodon.example/users/alice","object":"https://commons.example.eu/records/openstreetmap"}`,
		`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Like","actor":["https://a.example/u"],"object":"https://b.example/x"}`,
		`{"id":"https://a.example/1","type":"Frobnicate","actor":{"id":"https://a.example/u"}}`,
		`{}`, `[]`, `null`, `{"type":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseActivity(body)
		if err != nil {
			if commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("refused with %v, not EINVALID", err)
			}
			return
		}
		switch {
		case a.Type == "":
			t.Fatal("accepted without a type")
		case !absoluteIRI(a.ID) || !absoluteIRI(a.Actor):
			t.Fatalf("accepted id %q, actor %q: not absolute http(s) IRIs", a.ID, a.Actor)
		case host(a.ID) != host(a.Actor) || host(a.ID) == "":
			t.Fatalf("accepted id %q off the actor's host %q", a.ID, a.Actor)
		case a.Object != nil && a.ObjectID != "" && a.ObjectID != idOf(a.Object):
			t.Fatalf("object id %q, embedded %v", a.ObjectID, a.Object)
		case strings.ContainsAny(a.Type, "\x00"):
			t.Fatalf("type %q", a.Type)
		}
	})
}

// FuzzPostHTML renders arbitrary Markdown as an editor's post is: the
// sanitised HTML must never carry script, handlers, styles or other
// schemes than http(s).
func FuzzPostHTML(f *testing.F) {
	for _, s := range []string{
		"A new **release**, see [the notes](https://example.org/notes).",
		"<script>alert(1)</script>",
		"[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html,<b>)",
		"<img src=x onerror=alert(1)>",
		"```\n<b>code</b>\n```\n> quote\n\n- a\n- b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out, err := postHTML(text)
		if err != nil {
			t.Fatal(err)
		}
		checkSafeHTML(t, out)
	})
}

// checkSafeHTML fails unless every element of out is one postPolicy
// allows, with no attribute but a link's href (http or https), rel and
// target: nothing that runs, loads or styles.
func checkSafeHTML(t *testing.T, out string) {
	t.Helper()
	allowed := map[string]bool{"p": true, "br": true, "del": true, "pre": true, "code": true, "em": true, "strong": true,
		"b": true, "i": true, "u": true, "ul": true, "ol": true, "li": true, "blockquote": true, "a": true}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowed[tok.Data] {
				t.Fatalf("sanitised HTML holds <%s>:\n%s", tok.Data, out)
			}
			for _, a := range tok.Attr {
				switch {
				case tok.Data == "a" && a.Key == "href":
					u, err := url.Parse(a.Val)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
						t.Fatalf("sanitised HTML links to %q:\n%s", a.Val, out)
					}
				case tok.Data == "a" && (a.Key == "rel" || a.Key == "target"):
				default:
					t.Fatalf("sanitised HTML holds %s=%q on <%s>:\n%s", a.Key, a.Val, tok.Data, out)
				}
			}
		}
	}
}
