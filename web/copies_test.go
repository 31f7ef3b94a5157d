package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// TestCopyAPI reads a peer's record through the API, by host and slug and
// by IRI: the record, the two versions received, its other listings and
// its social facts, each answer checked against openapi.json. A
// fediverse server asking for / is sent to the instance actor.
func TestCopyAPI(t *testing.T) {
	s := newFederatedServer(t)
	s.create(t, "osm")
	addRemote(t, s.db, "https://peer.example", "osm")
	rec, err := s.db.RecordByID(context.Background(), "https://peer.example/records/osm")
	if err != nil {
		t.Fatal(err)
	}
	rec.Name["en"] = "OpenStreetMap, renamed"
	rec.Provenance.Version, rec.Provenance.Updated = 2, rec.Provenance.Updated.Add(time.Minute)
	if _, err := s.db.ApplyRemote(context.Background(), "https://peer.example", []store.RemoteChange{{ID: rec.ID, Record: rec}}, time.Now(), "", ""); err != nil {
		t.Fatal(err)
	}

	const base = "/api/v1/instances/{host}/records/{slug}"
	path := "/api/v1/instances/peer.example/records/osm"
	resp, b := s.do(t, req{Method: "GET", Route: base, Path: path})
	expect(t, resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"id":"https://peer.example/records/osm"`) || !strings.Contains(string(b), "renamed") {
		t.Errorf("copy: %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: base, Path: path, Header: map[string]string{"If-None-Match": resp.Header.Get("ETag")}})
	expect(t, resp, b, http.StatusNotModified)
	resp, b = s.do(t, req{Method: "GET", Route: base, Path: "/api/v1/instances/peer.example/records/nope"})
	expect(t, resp, b, http.StatusNotFound)

	resp, b = s.do(t, req{Method: "GET", Route: base + "/history", Path: path + "/history"})
	expect(t, resp, b, http.StatusOK)
	var hist struct{ Items []commons.Revision }
	if err := json.Unmarshal(b, &hist); err != nil || len(hist.Items) != 2 || hist.Items[0].Action != "update" || hist.Items[0].Previous.Name["en"] != "OpenStreetMap osm" {
		t.Errorf("copy history: %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: base + "/listings", Path: path + "/listings"})
	expect(t, resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"id":"`+s.URL+`/records/osm"`) {
		t.Errorf("copy listings: %s; want our own osm, which shares its Wikidata item", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: base + "/social", Path: path + "/social"})
	expect(t, resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"followers":-1`) {
		t.Errorf("copy social before its origin was asked: %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/social", Path: "/api/v1/records/osm/social"})
	expect(t, resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"followers":0`) {
		t.Errorf("local social: %s", b)
	}

	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/lookup", Path: "/api/v1/lookup?id=" + url.QueryEscape(rec.ID)})
	expect(t, resp, b, http.StatusOK)
	if resp.Header.Get("Content-Location") != path || !strings.Contains(string(b), "renamed") {
		t.Errorf("lookup of the copy: %s %s", resp.Header.Get("Content-Location"), b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/lookup", Path: "/api/v1/lookup?id=" + url.QueryEscape(s.URL+"/records/osm")})
	expect(t, resp, b, http.StatusOK)
	if resp.Header.Get("Content-Location") != "/api/v1/records/osm" {
		t.Errorf("lookup of a local record: Content-Location %q", resp.Header.Get("Content-Location"))
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/lookup", Path: "/api/v1/lookup"})
	expect(t, resp, b, http.StatusBadRequest)
	if !strings.Contains(string(b), "id") {
		t.Errorf("lookup without id: %s", b)
	}
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/lookup", Path: "/api/v1/lookup?id=https://peer.example/records/nope"})
	expect(t, resp, b, http.StatusNotFound)

	// The copy's pages.
	for _, p := range []string{"/instances/peer.example/records/osm/history", "/instances/peer.example/records/osm/icon.png"} {
		resp, b := s.do(t, req{Method: "GET", Path: p})
		expect(t, resp, b, http.StatusOK)
	}

	// ActivityPub requests for / and for a copy's page.
	noFollow := *s.client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &noFollow
	resp, b = s.do(t, req{Method: "GET", Route: "/", Path: "/", Header: map[string]string{"Accept": mediaActivity}})
	expect(t, resp, b, http.StatusFound)
	if resp.Header.Get("Location") != s.URL+"/actor" {
		t.Errorf("/ as ActivityPub: Location %q", resp.Header.Get("Location"))
	}
	resp, b = s.do(t, req{Method: "GET", Path: "/instances/peer.example/records/osm", Header: map[string]string{"Accept": mediaLDAS}})
	expect(t, resp, b, http.StatusFound)
	if resp.Header.Get("Location") != rec.ID {
		t.Errorf("copy as ActivityPub: Location %q", resp.Header.Get("Location"))
	}
}

// TestCopyAPIErrors: the copies' API answers 404 for a copy it does not
// hold, 410 for one its origin deleted, 304 to a matching If-None-Match,
// and 500 "Internal error." when the store fails.
func TestCopyAPIErrors(t *testing.T) {
	s := newFederatedServer(t)
	s.create(t, "osm")
	addRemote(t, s.db, "https://peer.example", "osm")
	addRemote(t, s.db, "https://peer.example", "gone")
	addRemote(t, s.db, "https://peer.example", "cold") // never read before the store fails
	gone := "https://peer.example/records/gone"
	if _, err := s.db.ApplyRemote(context.Background(), "https://peer.example", []store.RemoteChange{{ID: gone, Deleted: time.Now()}}, time.Now(), "", ""); err != nil {
		t.Fatal(err)
	}
	const base = "/api/v1/instances/{host}/records/{slug}"
	for _, sub := range []string{"", "/history", "/listings", "/social"} {
		resp, b := s.do(t, req{Method: "GET", Route: base + sub, Path: "/api/v1/instances/peer.example/records/nope" + sub})
		expect(t, resp, b, http.StatusNotFound)
		if sub != "/history" && sub != "/social" {
			resp, b = s.do(t, req{Method: "GET", Route: base + sub, Path: "/api/v1/instances/peer.example/records/gone" + sub})
			expect(t, resp, b, http.StatusGone)
		}
	}
	resp, b := s.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/social", Path: "/api/v1/records/nope/social"})
	expect(t, resp, b, http.StatusNotFound)
	lookup := "/api/v1/lookup?id=" + url.QueryEscape("https://peer.example/records/osm")
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/lookup", Path: lookup})
	expect(t, resp, b, http.StatusOK)
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/lookup", Path: lookup, Header: map[string]string{"If-None-Match": resp.Header.Get("ETag")}})
	expect(t, resp, b, http.StatusNotModified)
	resp, b = s.do(t, req{Method: "GET", Route: "/api/v1/lookup", Path: "/api/v1/lookup?id=" + url.QueryEscape(gone)})
	expect(t, resp, b, http.StatusGone)

	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []req{
		{Method: "GET", Route: base, Path: "/api/v1/instances/peer.example/records/cold"},
		{Method: "GET", Route: base + "/history", Path: "/api/v1/instances/peer.example/records/cold/history"},
		{Method: "GET", Route: base + "/listings", Path: "/api/v1/instances/peer.example/records/cold/listings"},
		{Method: "GET", Route: base + "/social", Path: "/api/v1/instances/peer.example/records/cold/social"},
		{Method: "GET", Route: "/api/v1/records/{slug}/social", Path: "/api/v1/records/cold/social"},
		{Method: "GET", Route: "/api/v1/lookup", Path: "/api/v1/lookup?id=" + url.QueryEscape("https://peer.example/records/cold")},
	} {
		resp, b := s.do(t, q)
		expect(t, resp, b, http.StatusInternalServerError)
	}
}
