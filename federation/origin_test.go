package federation

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestGetBindsOrigin fetches documents through redirects and with ids on
// other origins, from real servers on loopback: a document is returned
// only when the origin that served it is the origin of its id.
func TestGetBindsOrigin(t *testing.T) {
	g := newDeliveryRig(t, []time.Duration{time.Hour})
	docs := map[string]map[string]string{} // server name → path → id it serves
	servers := map[string]*httptest.Server{}
	for _, name := range []string{"a", "b", "c"} {
		servers[name] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if to, ok := strings.CutPrefix(r.URL.Path, "/redirect/"); ok {
				srv, path, _ := strings.Cut(to, "/")
				http.Redirect(w, r, servers[srv].URL+"/"+path, http.StatusFound)
				return
			}
			if r.URL.Path == "/ambiguous" {
				// b's document, with an "ID" that names a's: two readers
				// could take either.
				w.Header().Set("Content-Type", "application/activity+json")
				w.Write([]byte(`{"id":"` + servers["b"].URL + `/ambiguous","type":"Note","content":"b/ambiguous","ID":"` + servers["a"].URL + `/ambiguous"}`))
				return
			}
			id, ok := docs[name][r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/activity+json")
			doc := map[string]any{"type": "Note", "content": name + r.URL.Path}
			if id != "" {
				doc["id"] = strings.NewReplacer("{a}", servers["a"].URL, "{b}", servers["b"].URL, "{c}", servers["c"].URL).Replace(id)
			}
			json.NewEncoder(w).Encode(doc)
		}))
		t.Cleanup(servers[name].Close)
		docs[name] = map[string]string{}
	}
	docs["b"]["/own"] = "{b}/own"            // served by b as itself
	docs["b"]["/claims-a"] = "{a}/claims-a"  // b claims a document of a
	docs["a"]["/points-to-c"] = "{c}/real"   // a serves a copy whose id is on c
	docs["c"]["/real"] = "{c}/real"          // c serves it as itself
	docs["a"]["/points-to-c2"] = "{c}/other" // a copy whose id is on c…
	docs["c"]["/other"] = "{c}/elsewhere"    // …where c names it otherwise
	docs["a"]["/no-id"] = ""                 // no id at all
	docs["a"]["/foreign-port"] = "{b}/own"   // another port is another origin
	a := servers["a"].URL
	for _, c := range []struct {
		name, iri string
		want      string // content of the document returned, "" = refused
	}{
		{"redirect to a document of the host served", a + "/redirect/b/own", "b/own"},
		{"redirect to a document claiming the host asked", a + "/redirect/b/claims-a", ""},
		{"id on another origin, which serves it", a + "/points-to-c", "c/real"},
		{"id on another origin, which names it otherwise", a + "/points-to-c2", ""},
		{"no id", a + "/no-id", ""},
		{"id on another port, which serves it", a + "/foreign-port", "b/own"},
		{"an id spelled twice, in two cases", a + "/redirect/b/ambiguous", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, err := g.f.get(context.Background(), c.iri)
			var doc struct{ Content string }
			if err == nil {
				json.Unmarshal(body, &doc)
			}
			if c.want == "" {
				if err == nil {
					t.Fatalf("accepted %s", body)
				}
				return
			}
			if err != nil || doc.Content != c.want {
				t.Fatalf("got %q, %v; want %q", doc.Content, err, c.want)
			}
		})
	}
}
