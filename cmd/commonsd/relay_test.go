package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// syncWith makes in reconcile with its peer target now, through the admin
// API.
func (in *instance) syncWith(t *testing.T, target *instance) {
	t.Helper()
	resp := in.api(t, "POST", "/api/v1/peers/"+strings.TrimPrefix(target.url, "http://")+"/sync", "", "")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s syncs with %s: %s %s", in.url, target.url, resp.Status, b)
	}
}

// TestRelayThroughPeer: D follows only A, and gets everything A holds —
// A's own records and the copies A holds of B's — each under its own
// origin, trusted through B's integrity proof (FEP-8b32), never through
// A's word. B's later changes reach D through A.
func TestRelayThroughPeer(t *testing.T) {
	dir := t.TempDir()
	a := newInstanceWith(t, dir, openPeer("127.0.0.1:0"), "fr")
	b := newInstanceWith(t, dir, openPeer("127.0.0.2:0"), "de")
	d := newInstanceWith(t, dir, openPeer("127.0.0.4:0"))
	ctx := context.Background()
	b.create(t, "relayed-one", "Relayed one")
	b.create(t, "relayed-two", "Relayed two")
	a.follow(t, b)
	aLocal, _, _ := a.db.CountRecords(ctx)
	bLocal, _, _ := b.db.CountRecords(ctx)
	eventually(t, converge, func() bool {
		_, remote, err := a.db.CountRecords(ctx)
		return err == nil && remote == bLocal
	})

	d.follow(t, a)
	eventually(t, converge, func() bool {
		_, remote, err := d.db.CountRecords(ctx)
		return err == nil && remote == aLocal+bLocal
	})
	r, err := d.db.RecordByID(ctx, b.url+"/records/relayed-one")
	if err != nil || r.Provenance.Origin != b.url || r.Name["en"] != "Relayed one" {
		t.Fatalf("D's copy of B's record: %+v, %v", r, err)
	}
	if got := d.searchOriginsOf(t, "relayed", 2); len(got) != 2 || got[0] != b.url || got[1] != b.url {
		t.Fatalf("D's search for B's records gives origins %v, want B twice", got)
	}
	// Only B may change B's records, and D follows B's word through A.
	b.rename(t, "relayed-one", "Relayed one, renamed")
	b.remove(t, "relayed-two")
	eventually(t, converge, func() bool {
		return a.copyName(b, "relayed-one") == "Relayed one, renamed" && a.copyName(b, "relayed-two") == "(deleted)"
	})
	d.syncWith(t, a)
	if n1, n2 := d.copyName(b, "relayed-one"), d.copyName(b, "relayed-two"); n1 != "Relayed one, renamed" || n2 != "(deleted)" {
		t.Fatalf("after B's changes D holds %q and %q", n1, n2)
	}
	// D's peers are A alone: B is reached through A.
	ps, err := d.db.Peers(ctx)
	if err != nil || len(ps) != 1 || ps[0].Actor != a.url+"/actor" {
		t.Fatalf("D's peers: %+v, %v", ps, err)
	}
	// A copy purged by a block is not A's to pass on, nor the origin's word.
	resp := a.api(t, "POST", "/api/v1/blocks", "application/json", `{"domain": "127.0.0.2", "reason": "test"}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("A blocks B: %s", resp.Status)
	}
	d.syncWith(t, a)
	if got := d.copyName(b, "relayed-one"); got != "Relayed one, renamed" {
		t.Fatalf("after A blocked B, D's copy of B's record is %q", got)
	}
}
