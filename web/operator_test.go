package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// TestOperatorAPI drives the admin API of one instance against a second,
// real instance on loopback: peers, blocks, deliveries, listings.
func TestOperatorAPI(t *testing.T) {
	a := newFederatedServer(t)
	b := newFederatedServer(t)
	ctx := context.Background()
	bHost := strings.TrimPrefix(b.URL, "http://")
	admin := auth(a.admin)
	jsonAdmin := map[string]string{"Authorization": "Bearer " + a.admin, "Content-Type": "application/json"}

	// Who may: nobody without a token, no editor.
	resp, body := a.do(t, req{Method: "GET", Route: "/api/v1/peers", Path: "/api/v1/peers"})
	expect(t, resp, body, http.StatusUnauthorized)
	resp, body = a.do(t, req{Method: "GET", Route: "/api/v1/peers", Path: "/api/v1/peers", Header: auth(a.editor)})
	expect(t, resp, body, http.StatusForbidden)

	// Follow b: its actor is fetched and checked; the Follow is queued.
	resp, body = a.do(t, req{Method: "POST", Route: "/api/v1/peers", Path: "/api/v1/peers", Header: jsonAdmin, Body: `{"url": "` + b.URL + `"}`})
	expect(t, resp, body, http.StatusAccepted)
	if !strings.Contains(string(body), `"outgoing":"pending"`) || !strings.Contains(string(body), `"actor":"`+b.URL+`/actor"`) {
		t.Errorf("follow: %s", body)
	}
	for _, tt := range []struct {
		body, ctype string
		status      int
	}{
		{`{"url": "not a url at all"}`, "application/json", http.StatusBadRequest},
		{`{"url": "` + a.URL + `"}`, "application/json", http.StatusBadRequest},         // itself
		{`{"url": "http://127.0.0.1:1"}`, "application/json", http.StatusNotFound},      // nobody there
		{`{"url": "` + b.URL + `", "x": 1}`, "application/json", http.StatusBadRequest}, // unknown field
		{`url=x`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
	} {
		resp, body = a.do(t, req{Method: "POST", Route: "/api/v1/peers", Path: "/api/v1/peers", Body: tt.body,
			Header: map[string]string{"Authorization": "Bearer " + a.admin, "Content-Type": tt.ctype}})
		expect(t, resp, body, tt.status)
	}
	resp, body = a.do(t, req{Method: "GET", Route: "/api/v1/peers", Path: "/api/v1/peers", Header: admin})
	expect(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"total":1`) {
		t.Errorf("peers: %s", body)
	}

	// Sync needs an accepted follow; once b accepted, it reads b's records.
	route := "/api/v1/peers/{host}/sync"
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: "/api/v1/peers/" + bHost + "/sync", Header: admin})
	expect(t, resp, body, http.StatusPreconditionFailed)
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: "/api/v1/peers/nobody.example/sync", Header: admin})
	expect(t, resp, body, http.StatusNotFound)
	b.create(t, "osm")
	if _, err := a.db.UpdatePeer(ctx, bHost, func(p *store.Peer) error { p.Outgoing = commons.PeerAccepted; return nil }); err != nil {
		t.Fatal(err)
	}
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: "/api/v1/peers/" + bHost + "/sync", Header: admin})
	expect(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"records":1`) || !strings.Contains(string(body), `"last_sync"`) {
		t.Errorf("after sync: %s", body)
	}
	for _, route := range []string{"/api/v1/peers/{host}/sync", "/api/v1/peers/{host}/approve", "/api/v1/peers/{host}/reject"} {
		resp, body = a.do(t, req{Method: "POST", Route: route, Path: strings.Replace(route, "{host}", bHost, 1)})
		expect(t, resp, body, http.StatusUnauthorized)
		resp, body = a.do(t, req{Method: "POST", Route: route, Path: strings.Replace(route, "{host}", bHost, 1), Header: auth(a.editor)})
		expect(t, resp, body, http.StatusForbidden)
	}

	// Approve and reject answer a request b made; without one, 412.
	for _, action := range []string{"approve", "reject"} {
		route := "/api/v1/peers/{host}/" + action
		resp, body = a.do(t, req{Method: "POST", Route: route, Path: "/api/v1/peers/" + bHost + "/" + action, Header: admin})
		expect(t, resp, body, http.StatusPreconditionFailed)
		resp, body = a.do(t, req{Method: "POST", Route: route, Path: "/api/v1/peers/nobody.example/" + action, Header: admin})
		expect(t, resp, body, http.StatusNotFound)
	}
	if _, err := a.db.UpdatePeer(ctx, bHost, func(p *store.Peer) error {
		p.Incoming, p.IncomingFollowID = commons.PeerPending, b.URL+"/actor#follows/1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	resp, body = a.do(t, req{Method: "POST", Route: "/api/v1/peers/{host}/approve", Path: "/api/v1/peers/" + bHost + "/approve", Header: admin})
	expect(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"incoming":"accepted"`) {
		t.Errorf("approved: %s", body)
	}
	resp, body = a.do(t, req{Method: "POST", Route: "/api/v1/peers/{host}/reject", Path: "/api/v1/peers/" + bHost + "/reject", Header: admin})
	expect(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"incoming":"rejected"`) {
		t.Errorf("rejected: %s", body)
	}

	// Unfollow.
	route = "/api/v1/peers/{host}"
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/peers/" + bHost, Header: admin})
	expect(t, resp, body, http.StatusNoContent)
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/peers/" + bHost, Header: admin})
	expect(t, resp, body, http.StatusPreconditionFailed)
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/peers/nobody.example", Header: admin})
	expect(t, resp, body, http.StatusNotFound)
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/peers/" + bHost})
	expect(t, resp, body, http.StatusUnauthorized)
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/peers/" + bHost, Header: auth(a.editor)})
	expect(t, resp, body, http.StatusForbidden)

	// Listings of the same commons: b's copy of osm shares its Wikidata item.
	resp, body = a.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/listings", Path: "/api/v1/records/nope/listings"})
	expect(t, resp, body, http.StatusNotFound)
	a.create(t, "wikipedia")
	resp, body = a.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/listings", Path: "/api/v1/records/wikipedia/listings"})
	expect(t, resp, body, http.StatusOK)
	if err := a.db.DeleteRecord(ctx, "wikipedia", 0, "t"); err != nil {
		t.Fatal(err)
	}
	resp, body = a.do(t, req{Method: "GET", Route: "/api/v1/records/{slug}/listings", Path: "/api/v1/records/wikipedia/listings"})
	expect(t, resp, body, http.StatusGone)

	// Blocks: one, a Mastodon CSV, the list, removal. The block purges b.
	route = "/api/v1/blocks"
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: route, Header: jsonAdmin, Body: `{"domain": "127.0.0.1", "reason": "test"}`})
	expect(t, resp, body, http.StatusCreated)
	if ps, _ := a.db.Peers(ctx); len(ps) != 0 {
		t.Errorf("peers after blocking their domain: %+v", ps)
	}
	if _, remote, _ := a.db.CountRecords(ctx); remote != 0 {
		t.Errorf("%d remote records after the block", remote)
	}
	resp, body = a.do(t, req{Method: "POST", Route: "/api/v1/peers", Path: "/api/v1/peers", Header: jsonAdmin, Body: `{"url": "` + b.URL + `"}`})
	expect(t, resp, body, http.StatusForbidden)
	csvAdmin := map[string]string{"Authorization": "Bearer " + a.admin, "Content-Type": "text/csv"}
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: route, Header: csvAdmin,
		Body: "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nspam.example,suspend,true,true,Spam,false\n"})
	expect(t, resp, body, http.StatusCreated)
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: route, Header: csvAdmin, Body: "#domain,#severity\nbad domain,suspend\n"})
	expect(t, resp, body, http.StatusBadRequest)
	if !strings.Contains(string(body), "line 2") {
		t.Errorf("CSV error does not name the line: %s", body)
	}
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: route, Header: jsonAdmin, Body: `{"reason": "no domain"}`})
	expect(t, resp, body, http.StatusBadRequest)
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: route, Body: "x", Header: map[string]string{"Authorization": "Bearer " + a.admin, "Content-Type": "text/plain"}})
	expect(t, resp, body, http.StatusUnsupportedMediaType)
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: route, Body: `{"domain":"x.example"}`, Header: map[string]string{"Content-Type": "application/json"}})
	expect(t, resp, body, http.StatusUnauthorized)
	resp, body = a.do(t, req{Method: "POST", Route: route, Path: route, Body: `{"domain":"x.example"}`, Header: map[string]string{"Authorization": "Bearer " + a.editor, "Content-Type": "application/json"}})
	expect(t, resp, body, http.StatusForbidden)
	resp, body = a.do(t, req{Method: "GET", Route: route, Path: route, Header: admin})
	expect(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"total":2`) {
		t.Errorf("blocks: %s", body)
	}
	resp, body = a.do(t, req{Method: "GET", Route: route, Path: route})
	expect(t, resp, body, http.StatusUnauthorized)
	resp, body = a.do(t, req{Method: "GET", Route: route, Path: route, Header: auth(a.editor)})
	expect(t, resp, body, http.StatusForbidden)
	route = "/api/v1/blocks/{domain}"
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/blocks/spam.example", Header: admin})
	expect(t, resp, body, http.StatusNoContent)
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/blocks/spam.example", Header: admin})
	expect(t, resp, body, http.StatusNotFound)
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/blocks/spam.example"})
	expect(t, resp, body, http.StatusUnauthorized)
	resp, body = a.do(t, req{Method: "DELETE", Route: route, Path: "/api/v1/blocks/spam.example", Header: auth(a.editor)})
	expect(t, resp, body, http.StatusForbidden)

	// The delivery queue.
	route = "/api/v1/deliveries"
	resp, body = a.do(t, req{Method: "GET", Route: route, Path: route, Header: admin})
	expect(t, resp, body, http.StatusOK)
	resp, body = a.do(t, req{Method: "GET", Route: route, Path: route})
	expect(t, resp, body, http.StatusUnauthorized)
	resp, body = a.do(t, req{Method: "GET", Route: route, Path: route, Header: auth(a.editor)})
	expect(t, resp, body, http.StatusForbidden)
	resp, body = a.do(t, req{Method: "POST", Route: "/api/v1/peers", Path: "/api/v1/peers", Body: `{"url":"x"}`, Header: map[string]string{"Content-Type": "application/json"}})
	expect(t, resp, body, http.StatusUnauthorized)
	resp, body = a.do(t, req{Method: "POST", Route: "/api/v1/peers", Path: "/api/v1/peers", Body: `{"url":"x"}`, Header: map[string]string{"Authorization": "Bearer " + a.editor, "Content-Type": "application/json"}})
	expect(t, resp, body, http.StatusForbidden)
}
