package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/commons-directory/commons/federation/fedtest"
)

// getBody GETs url with the Accept header and returns the status and body.
func getBody(t *testing.T, url, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// editorPost publishes an editor's post for a record of in.
func (in *instance) editorPost(t *testing.T, slug, text string) {
	t.Helper()
	resp := in.api(t, "POST", "/api/v1/records/"+slug+"/posts", "application/json", `{"text": "`+text+`", "lang": "en"}`)
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("post for %s: %s %s", slug, resp.Status, b)
	}
	resp.Body.Close()
}

// TestCopyIsAFullRecord: A holds a copy of B's record. Its page on A shows
// the follower count B reports, the post B published before A followed it
// (fetched from B's outbox) and the one after (sent to A), B's name, the
// handle to copy, an icon drawn on A, and the versions A received with
// their differences. The API answers for the copy by host and slug and by
// IRI; a fediverse server asking for the copy's URL is sent to the
// record's own IRI, and one asking for / to the instance actor.
func TestCopyIsAFullRecord(t *testing.T) {
	dir := t.TempDir()
	a := newInstanceWith(t, dir, openPeer("127.0.0.1:0"))
	b := newInstanceWith(t, dir, instanceOptions{addr: "127.0.0.2:0", config: func(c *Config) {
		openPeer("").config(c)
		c.Server.InstanceName = LangText{One: "Directory of B"}
	}})
	bHost := strings.TrimPrefix(b.url, "http://")
	b.create(t, "shared-map", "Shared map")
	alice := fedtest.NewPeer(t, "alice")
	followActor(t, b, alice, "shared-map@"+bHost, "shared-map")
	b.editorPost(t, "shared-map", "Before the peering")

	a.follow(t, b)
	eventually(t, converge, func() bool { return a.copyName(b, "shared-map") == "Shared map" })
	b.editorPost(t, "shared-map", "After the peering")
	b.rename(t, "shared-map", "Shared street map")
	eventually(t, converge, func() bool { return a.copyName(b, "shared-map") == "Shared street map" })

	page := a.url + "/instances/" + bHost + "/records/shared-map"
	var body string
	eventually(t, converge, func() bool {
		_, body = getBody(t, page, "text/html")
		return strings.Contains(body, "1 follower on the fediverse") && strings.Contains(body, "Before the peering") && strings.Contains(body, "After the peering")
	})
	for _, want := range []string{
		"Kept by Directory of B",
		`readonly value="@shared-map@` + bHost + `"`,
		`src="/instances/` + bHost + `/records/shared-map/icon.png"`,
		`href="/instances/` + bHost + `/records/shared-map/history"`,
		`type="application/activity&#43;json" href="` + b.url + `/records/shared-map"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("copy page lacks %s\n%s", want, body)
		}
	}
	if code, png := getBody(t, page+"/icon.png", ""); code != http.StatusOK || !strings.HasPrefix(png, "\x89PNG") {
		t.Errorf("copy icon: %d", code)
	}
	code, hist := getBody(t, page+"/history", "text/html")
	if code != http.StatusOK || strings.Count(hist, "<li><h2>") != 2 || !strings.Contains(hist, "Shared street map") {
		t.Errorf("copy history page: %d, %d entries\n%s", code, strings.Count(hist, "<li><h2>"), hist)
	}

	// The API.
	api := a.url + "/api/v1/instances/" + bHost + "/records/shared-map"
	for _, c := range []struct{ url, want string }{
		{api, `"id":"` + b.url + `/records/shared-map"`},
		{api + "/history", `"action":"update"`},
		{api + "/listings", `"items":[]`},
		{api + "/social", `"followers":1`},
		{a.url + "/api/v1/lookup?id=" + b.url + "/records/shared-map", `"slug":"shared-map"`},
	} {
		code, got := getBody(t, c.url, "application/json")
		if code != http.StatusOK || !strings.Contains(got, c.want) {
			t.Errorf("GET %s: %d %s; want %s", c.url, code, got, c.want)
		}
	}
	var hs struct{ Items []json.RawMessage }
	if _, got := getBody(t, api+"/history", ""); json.Unmarshal([]byte(got), &hs) != nil || len(hs.Items) != 2 {
		t.Errorf("copy history: %s; want 2 versions", got)
	}

	// ActivityPub: the copy's URL leads to the record's actor at B; /
	// leads to the instance actor.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct{ url, want string }{{page, b.url + "/records/shared-map"}, {a.url + "/", a.url + "/actor"}} {
		for _, accept := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
			req, _ := http.NewRequest(http.MethodGet, c.url, nil)
			req.Header.Set("Accept", accept)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != c.want {
				t.Errorf("GET %s as %s: %s to %q; want 302 to %s", c.url, accept, resp.Status, resp.Header.Get("Location"), c.want)
			}
		}
	}
	actor, err := alice.Resolve(context.Background(), page)
	if err != nil || actor["id"] != b.url+"/records/shared-map" || actor["preferredUsername"] != "shared-map" {
		t.Fatalf("the copy's URL fetched as ActivityPub: %v %v, %v", actor["id"], actor["preferredUsername"], err)
	}
	inst, err := alice.Resolve(context.Background(), a.url+"/")
	if err != nil || inst["id"] != a.url+"/actor" {
		t.Fatalf("/ fetched as ActivityPub: %v, %v", inst["id"], err)
	}
}
