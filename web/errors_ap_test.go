package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestActivityPubErrors: a server asking for ActivityPub (a peer paging
// the record collection with a bad cursor, a fetch of an unknown actor)
// gets its error as a problem document naming the parameter, never the
// HTML error page a browser gets.
func TestActivityPubErrors(t *testing.T) {
	s := newFederatedServer(t)
	for _, tc := range []struct {
		path, accept string
		status       int
		want         string
	}{
		{"/actor/records?page=true&since=abc", "application/activity+json", 400, "since"},
		{"/actor/records?page=true&limit=5000", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, 400, "limit"},
		{"/topics/spaceships", "application/activity+json", 404, "spaceships"},
	} {
		req, _ := http.NewRequest("GET", s.URL+tc.path, nil)
		req.Header.Set("Accept", tc.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != mediaProblem || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s as %s: %s %s %s; want %d, a problem naming %q", tc.path, tc.accept, resp.Status, resp.Header.Get("Content-Type"), b, tc.status, tc.want)
		}
	}
	// A browser still gets the page.
	req, _ := http.NewRequest("GET", s.URL+"/actor/records?page=true&since=abc", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("as a browser: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
}
