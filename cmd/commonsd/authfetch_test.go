package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/federation/fedtest"
	"github.com/commons-directory/commons/store"
)

// TestAuthorizedFetch turns federation.authorized_fetch on: an unsigned
// GET of a record's actor is refused with 401, the same GET signed by a
// real peer (draft-cavage, or RFC 9421) is answered, the instance actor
// stays public, and a peer whose domain is blocked is refused although it
// signs. Two instances in that mode still peer and replicate.
func TestAuthorizedFetch(t *testing.T) {
	dir := t.TempDir()
	secure := func(addr string) instanceOptions {
		o := openPeer(addr)
		open := o.config
		o.config = func(c *Config) { open(c); c.Federation.AuthorizedFetch = true }
		return o
	}
	in := newInstanceWith(t, dir, secure("127.0.0.1:0"), "eu")
	ctx := context.Background()
	record := in.url + "/records/openstreetmap"
	getStatus := func(t *testing.T, req *http.Request) int {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	unsigned := func(iri string) *http.Request {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, iri, nil)
		req.Header.Set("Accept", "application/activity+json")
		return req
	}
	for _, iri := range []string{record, record + "/outbox", record + "/followers", in.url + "/topics/software", in.url + "/actor/records"} {
		if s := getStatus(t, unsigned(iri)); s != http.StatusUnauthorized {
			t.Errorf("unsigned GET %s: %d", iri, s)
		}
	}
	if s := getStatus(t, unsigned(in.url+"/actor")); s != http.StatusOK {
		t.Errorf("unsigned GET of the instance actor: %d", s)
	}

	peer := fedtest.NewPeer(t, "alice")
	if _, err := peer.Get(ctx, record); err != nil {
		t.Errorf("signed GET (draft-cavage): %v", err)
	}
	modern := fedtest.NewPeer(t, "carol")
	modern.SignRFC9421 = true
	if _, err := modern.Get(ctx, record); err != nil {
		t.Errorf("signed GET (RFC 9421): %v", err)
	}

	// A GET alice signed for another server, replayed here: 421.
	replay, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://other.example/records/openstreetmap", nil)
	replay.Header.Set("Accept", "application/activity+json")
	if err := federation.SignRequest(replay, nil, federation.SigningKey{ID: peer.KeyID(), Private: peer.Key}, time.Now()); err != nil {
		t.Fatal(err)
	}
	replay.URL.Host = strings.TrimPrefix(in.url, "http://")
	if s := getStatus(t, replay); s != http.StatusMisdirectedRequest {
		t.Errorf("GET signed for another host: %d", s)
	}

	blocked := fedtest.NewPeer(t, "mallory")
	// A block names a domain without its port, so this one covers every
	// server on 127.0.0.1, mallory's included: it comes last.
	if err := in.db.BlockDomain(ctx, store.DomainBlock{Domain: strings.TrimPrefix(blocked.URL, "http://"), Severity: "suspend", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := blocked.Get(ctx, record); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("GET signed by a blocked domain: %v", err)
	}
}

// TestAuthorizedFetchPeering: two instances that both require signed
// fetches follow each other and replicate a record.
func TestAuthorizedFetchPeering(t *testing.T) {
	dir := t.TempDir()
	secure := func(addr string) instanceOptions {
		o := openPeer(addr)
		open := o.config
		o.config = func(c *Config) { open(c); c.Federation.AuthorizedFetch = true }
		return o
	}
	a := newInstanceWith(t, dir, secure("127.0.0.1:0"))
	b := newInstanceWith(t, dir, secure("127.0.0.2:0"))
	a.follow(t, b)
	b.create(t, "secure-news", "Secure news")
	eventually(t, converge, func() bool { return a.copyName(b, "secure-news") == "Secure news" })
}
