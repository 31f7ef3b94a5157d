package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// createJSON creates a record at in from its JSON document.
func (in *instance) createJSON(t *testing.T, doc string) {
	t.Helper()
	resp := in.api(t, "POST", "/api/v1/records", "application/json", doc)
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create at %s: %s %s", in.url, resp.Status, b)
	}
	resp.Body.Close()
}

// TestRelationsResolveAcrossInstances: B's records name A's by Wikidata
// item, by repository URL and by IRI. On A, each of B's copies links its
// relations to A's own record pages, and A's records show the reverse
// relations, linked to the copies.
func TestRelationsResolveAcrossInstances(t *testing.T) {
	dir := t.TempDir()
	a := newInstanceWith(t, dir, openPeer("127.0.0.1:0"))
	b := newInstanceWith(t, dir, openPeer("127.0.0.2:0"))
	const base = `"kinds": ["software"], "countries": [{"code": "FR", "role": "origin"}], "licences": [{"expression": "MIT"}], "status": "stable"`
	a.createJSON(t, `{"slug": "kernel", "name": {"en": "Kernel"}, `+base+`, "identifiers": [{"scheme": "wikidata", "value": "Q14579"}]}`)
	a.createJSON(t, `{"slug": "wiki-engine", "name": {"en": "Wiki engine"}, `+base+`, "links": {"repository": "https://example.org/wiki/engine.git"}}`)
	a.create(t, "editor-a", "Editor A")
	b.createJSON(t, `{"slug": "distro", "name": {"en": "Distro"}, `+base+`, "relations": [
		{"type": "depends-on", "target": "Q14579"},
		{"type": "depends-on", "target": "https://example.org/wiki/engine"},
		{"type": "alternative-to", "target": "`+a.url+`/records/editor-a"}]}`)
	a.follow(t, b)
	bHost := strings.TrimPrefix(b.url, "http://")
	copyPage := "/instances/" + bHost + "/records/distro"
	var body string
	eventually(t, converge, func() bool {
		_, body = getBody(t, a.url+copyPage, "text/html")
		return strings.Contains(body, "Distro")
	})
	for _, want := range []string{`href="/records/kernel">Kernel</a>`, `href="/records/wiki-engine">Wiki engine</a>`, `href="/records/editor-a">Editor A</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("A's copy of distro lacks %s", want)
		}
	}
	for slug, words := range map[string]string{"kernel": "depended on by", "wiki-engine": "depended on by", "editor-a": "alternative to"} {
		_, page := getBody(t, a.url+"/records/"+slug, "text/html")
		// The copy is named with the name its instance gives itself (B's is the default).
		if want := words + `: <a href="` + copyPage + `">Distro — ` + DefaultConfig().Server.InstanceName.One + `</a>`; !strings.Contains(page, want) {
			t.Errorf("A's %s lacks %s", slug, want)
		}
	}
}

// TestDemoRelations: the demo directory's relations resolve to its own
// records, and the records they name show them in reverse.
func TestDemoRelations(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu", "de", "fr")
	for path, want := range map[string][]string{
		"/records/linux":             {`depended on by: <a href="/records/debian">Debian</a>`},
		"/records/wikibase":          {`depended on by: <a href="/records/wikidata">Wikidata</a>`, `depended on by: <a href="/records/wikimedia-commons">Wikimedia Commons</a>`},
		"/records/openstreetmap":     {`depended on by: <a href="/records/panoramax">Panoramax</a>`},
		"/records/forgejo":           {`depended on by: <a href="/records/codeberg">Codeberg</a>`},
		"/records/wikipedia":         {`depends on: <a href="/records/wikimedia-commons">Wikimedia Commons</a>`, `depends on: <a href="/records/wikidata">Wikidata</a>`},
		"/records/wikimedia-commons": {`depended on by: <a href="/records/wikipedia">Wikipedia</a>`},
	} {
		code, body := getBody(t, in.url+path+"?lang=en", "text/html")
		for _, w := range want {
			if code != http.StatusOK || !strings.Contains(body, w) {
				t.Errorf("%s (%d) lacks %s", path, code, w)
			}
		}
	}
}
