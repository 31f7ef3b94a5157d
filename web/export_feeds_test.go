package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestRecordFeed serves a record's posts as Atom: each post an entry with
// its HTML content, newest first.
func TestRecordFeed(t *testing.T) {
	s := newFederatedServer(t)
	s.create(t, "osm")
	const route = "/feeds/records/{slug}.atom"
	resp, b := s.do(t, req{Method: "GET", Route: route, Path: "/feeds/records/osm.atom"})
	expect(t, resp, b, http.StatusOK)
	if f := checkAtom(t, b); len(f.Entries) != 0 {
		t.Errorf("a new record has %d posts", len(f.Entries))
	}
	for _, text := range []string{"First **note**", "Second note"} {
		resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records/{slug}/posts", Path: "/api/v1/records/osm/posts", Header: auth(s.editor),
			Body: `{"text": "` + text + `", "lang": "en"}`})
		expect(t, resp, b, http.StatusCreated)
	}
	resp, b = s.do(t, req{Method: "GET", Route: route, Path: "/feeds/records/osm.atom?lang=fr"})
	expect(t, resp, b, http.StatusOK)
	f := checkAtom(t, b)
	if len(f.Entries) != 2 || !strings.HasPrefix(f.Entries[0].ID[0], s.URL+"/records/osm/posts/") {
		t.Fatalf("entries %+v\n%s", f.Entries, b)
	}
	if !strings.Contains(string(b), "Second note") || !strings.Contains(string(b), `<content type="html" xml:lang="en">`) || !strings.Contains(string(b), `First &lt;strong&gt;note&lt;/strong&gt;`) {
		t.Errorf("posts are not the entries' HTML content:\n%s", b)
	}
	if !strings.Contains(f.Title[0], "publications") || rel(f.Links, "self") != s.URL+"/feeds/records/osm.atom" {
		t.Errorf("title %q, self %q", f.Title, rel(f.Links, "self"))
	}
	resp, b = s.do(t, req{Method: "GET", Route: route, Path: "/feeds/records/osm.atom?lang=fr", Header: map[string]string{"If-None-Match": resp.Header.Get("ETag")}})
	expect(t, resp, b, http.StatusNotModified)
	resp, b = s.do(t, req{Method: "GET", Route: route, Path: "/feeds/records/nope.atom"})
	expect(t, resp, b, http.StatusNotFound)
	resp, b = s.do(t, req{Method: "DELETE", Route: "/api/v1/records/{slug}", Path: "/api/v1/records/osm", Header: auth(s.editor, "If-Match", "*")})
	expect(t, resp, b, http.StatusNoContent)
	resp, b = s.do(t, req{Method: "GET", Route: route, Path: "/feeds/records/osm.atom"})
	expect(t, resp, b, http.StatusGone)
}

// TestTopicFeed: a kind or a country, local and remote records of it.
func TestTopicFeed(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")        // geodata, community; EU
	s.post(t, richRecordJSON) // data, geodata; FR
	s.post(t, strings.Replace(recordJSON("editor"), `"kinds": ["geodata", "community"]`, `"kinds": ["software"]`, 1))
	addRemote(t, s.db, "https://peer.example", "far") // geodata; EU
	const route = "/feeds/topics/{topic}.atom"
	tests := []struct {
		topic string
		ids   []string
	}{
		{"geodata", []string{"https://peer.example/records/far", s.URL + "/records/ban", s.URL + "/records/osm"}},
		{"software", []string{s.URL + "/records/editor"}},
		{"fr", []string{s.URL + "/records/ban"}},
		{"eu", []string{"https://peer.example/records/far", s.URL + "/records/editor", s.URL + "/records/osm"}},
		{"hardware", nil},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: route, Path: "/feeds/topics/" + tt.topic + ".atom"})
			expect(t, resp, b, http.StatusOK)
			f := checkAtom(t, b)
			var ids []string
			for _, e := range f.Entries {
				ids = append(ids, e.ID[0])
			}
			if strings.Join(ids, " ") != strings.Join(tt.ids, " ") {
				t.Errorf("entries %v, want newest first %v", ids, tt.ids)
			}
			if !strings.Contains(f.Title[0], tt.topic) {
				t.Errorf("title %q", f.Title)
			}
			for _, e := range f.Entries {
				if e.ID[0] == "https://peer.example/records/far" && rel(e.Links, "alternate") != e.ID[0] {
					t.Errorf("a remote entry links %q, not its home", rel(e.Links, "alternate"))
				}
			}
		})
	}
	resp, _ := s.do(t, req{Method: "GET", Route: route, Path: "/feeds/topics/geodata.atom"})
	resp, b := s.do(t, req{Method: "GET", Route: route, Path: "/feeds/topics/geodata.atom", Header: map[string]string{"If-None-Match": resp.Header.Get("ETag")}})
	expect(t, resp, b, http.StatusNotModified)
	for _, bad := range []string{"spaceship", "FR", "zz"} {
		resp, b := s.do(t, req{Method: "GET", Route: route, Path: "/feeds/topics/" + bad + ".atom"})
		expect(t, resp, b, http.StatusNotFound)
	}
}

func TestFeedsBroken(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/feeds/records/osm.atom", "/feeds/topics/geodata.atom"} {
		route := strings.Replace(strings.Replace(path, "osm", "{slug}", 1), "geodata", "{topic}", 1)
		resp, b := s.do(t, req{Method: "GET", Route: route, Path: path})
		expect(t, resp, b, http.StatusInternalServerError)
	}
}
