package store

import (
	"context"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// remoteRecord returns a record of origin as its origin would send it.
func remoteDoc(origin, slug, name string, updated time.Time, version int) *commons.Record {
	r := newRecord(slug, name)
	r.ID = origin + "/records/" + slug
	r.Provenance = commons.Provenance{Origin: origin, Source: "manual", Created: updated.Add(-time.Hour), Updated: updated, Version: version}
	return r
}

func TestApplyRemote(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		const peer = "https://peer.example"
		t0 := clock.now()
		search := func(q string) int {
			t.Helper()
			page, err := db.SearchRecords(ctx, commons.RecordFilter{Query: q, Limit: 10, IncludeRemote: true})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Records)
		}
		apply := func(cs ...RemoteChange) *RemoteResult {
			t.Helper()
			res, err := db.ApplyRemote(ctx, peer, cs, clock.now(), "", "")
			if err != nil {
				t.Fatal(err)
			}
			return res
		}

		res := apply(RemoteChange{ID: peer + "/records/osm", Record: remoteDoc(peer, "osm", "OpenStreetMap", t0, 1)})
		if res.Created != 1 || search("openstreetmap") != 1 {
			t.Fatalf("create: %+v, found %d", res, search("openstreetmap"))
		}
		got, err := db.RecordByID(ctx, peer+"/records/osm")
		if err != nil || got.Provenance.Origin != peer || got.Provenance.ReceivedAt.IsZero() || got.Provenance.Hash == "" {
			t.Fatalf("stored copy: %+v, %v", got, err)
		}

		// A newer version replaces it; an older or equal one does not.
		res = apply(RemoteChange{ID: peer + "/records/osm", Record: remoteDoc(peer, "osm", "OpenStreetMap Foundation", t0.Add(time.Minute), 2)})
		if res.Updated != 1 || search("foundation") != 1 {
			t.Fatalf("newer: %+v", res)
		}
		res = apply(RemoteChange{ID: peer + "/records/osm", Record: remoteDoc(peer, "osm", "Stale name", t0, 1)})
		if res.Unchanged != 1 || search("stale") != 0 {
			t.Fatalf("older: %+v", res)
		}

		// Authority: not under the origin, a local record, a claimed origin.
		local := newRecord("mine", "Mine")
		if err := db.CreateRecord(ctx, local, "t"); err != nil {
			t.Fatal(err)
		}
		forged := remoteDoc(peer, "mine", "Forged", t0.Add(time.Hour), 9)
		forged.ID = testBase + "/records/mine"
		res = apply(
			RemoteChange{ID: testBase + "/records/mine", Record: forged},
			RemoteChange{ID: "https://other.example/records/x", Record: remoteDoc("https://other.example", "x", "X", t0, 1)},
		)
		if len(res.Rejected) != 2 || res.Applied() != 0 {
			t.Fatalf("forged: %+v", res)
		}
		for _, rj := range res.Rejected {
			wantCode(t, rj.Err, commons.EFORBIDDEN)
		}
		if _, err := db.ApplyRemote(ctx, testBase, nil, t0, "", ""); commons.ErrorCode(err) != commons.EFORBIDDEN {
			t.Errorf("records of this instance from elsewhere: %v", err)
		}
		if r, _ := db.Record(ctx, "mine"); r.Name["en"] != "Mine" {
			t.Errorf("local record changed: %v", r.Name)
		}
		// An invalid record fails alone.
		bad := remoteDoc(peer, "bad", "Bad", t0, 1)
		bad.Kinds = []string{"nonsense"}
		res = apply(RemoteChange{ID: peer + "/records/bad", Record: bad},
			RemoteChange{ID: peer + "/records/good", Record: remoteDoc(peer, "good", "Good", t0, 1)})
		if len(res.Rejected) != 1 || res.Created != 1 || commons.ErrorCode(res.Rejected[0].Err) != commons.EINVALID {
			t.Fatalf("invalid: %+v", res)
		}

		// A deletion is final.
		res = apply(RemoteChange{ID: peer + "/records/good"})
		if res.Deleted != 1 || search("good") != 0 {
			t.Fatalf("delete: %+v", res)
		}
		res = apply(RemoteChange{ID: peer + "/records/good", Record: remoteDoc(peer, "good", "Good", t0.Add(time.Hour), 2)})
		if res.Unchanged != 1 || search("good") != 0 {
			t.Fatalf("resurrection: %+v", res)
		}

		// A purge by a block is not final: a later sync brings it back.
		n, err := db.PurgeOrigins(ctx, func(h string) bool { return h == "peer.example" })
		if err != nil || n != 1 || search("openstreetmap") != 0 {
			t.Fatalf("purge: %d, %v, found %d", n, err, search("openstreetmap"))
		}
		res = apply(RemoteChange{ID: peer + "/records/osm", Record: remoteDoc(peer, "osm", "OpenStreetMap Foundation", t0.Add(time.Minute), 2)})
		if res.Updated != 1 || search("openstreetmap") != 1 {
			t.Fatalf("after purge: %+v", res)
		}
	})
}

func TestAlsoListed(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		const peer = "https://peer.example"
		mine := newRecord("osm", "OpenStreetMap")
		mine.Identifiers = []commons.Identifier{{Scheme: "wikidata", Value: "Q936"}}
		if err := db.CreateRecord(ctx, mine, "t"); err != nil {
			t.Fatal(err)
		}
		theirs := remoteDoc(peer, "openstreetmap", "OSM", clock.now(), 1)
		theirs.Identifiers = []commons.Identifier{{Scheme: "wikidata", Value: "Q936"}}
		other := remoteDoc(peer, "josm", "JOSM", clock.now(), 1)
		other.Links.Repository = "https://github.com/JOSM/josm.git"
		if res, err := db.ApplyRemote(ctx, peer, []RemoteChange{{ID: theirs.ID, Record: theirs}, {ID: other.ID, Record: other}}, clock.now(), "", ""); err != nil || res.Created != 2 {
			t.Fatalf("%+v, %v", res, err)
		}
		also, err := db.AlsoListed(ctx, testBase+"/records/osm")
		if err != nil || len(also) != 1 || also[0].ID != theirs.ID || also[0].Key != "wikidata:Q936" || also[0].Name["en"] != "OSM" {
			t.Fatalf("also listed: %+v, %v", also, err)
		}
		// The link follows edits: with the identifier gone, so is the link.
		mine, _ = db.Record(ctx, "osm")
		mine.Identifiers = nil
		mine.Links.Repository = "http://www.github.com/josm/josm/"
		if err := db.UpdateRecord(ctx, mine, 0, "t"); err != nil {
			t.Fatal(err)
		}
		also, err = db.AlsoListed(ctx, testBase+"/records/osm")
		if err != nil || len(also) != 1 || also[0].ID != other.ID || also[0].Key != "repo:github.com/josm/josm" {
			t.Fatalf("after edit: %+v, %v", also, err)
		}
	})
}

func TestPeers(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		const actor = "https://peer.example/actor"
		if _, err := db.Peer(ctx, "peer.example"); commons.ErrorCode(err) != commons.ENOTFOUND {
			t.Fatalf("unknown peer: %v", err)
		}
		p := Peer{Peer: commons.Peer{Actor: actor, Host: "peer.example", Outgoing: commons.PeerPending}, Inbox: "https://peer.example/inbox", OutgoingFollowID: "f1"}
		if err := db.PutPeer(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApplyRemote(ctx, "https://peer.example", []RemoteChange{{ID: "https://peer.example/records/a", Record: remoteDoc("https://peer.example", "a", "A", clock.now(), 1)}}, clock.now(), actor, "42"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdatePeer(ctx, "peer.example", func(p *Peer) error { p.Incoming = commons.PeerAccepted; return nil }); err != nil {
			t.Fatal(err)
		}
		ps, err := db.Peers(ctx)
		if err != nil || len(ps) != 1 {
			t.Fatalf("peers: %v, %v", ps, err)
		}
		got := ps[0]
		if got.Records != 1 || got.SyncCursor != "42" || got.LastContact.IsZero() || got.Incoming != commons.PeerAccepted || got.Outgoing != commons.PeerPending || got.OutgoingFollowID != "f1" {
			t.Errorf("peer: %+v", got)
		}
		if in, err := db.PeerInboxes(ctx); err != nil || len(in) != 1 || in[0] != "https://peer.example/inbox" {
			t.Errorf("inboxes: %v, %v", in, err)
		}
		// FollowedPeers lists only the peers whose follow by us is
		// accepted.
		if fp, err := db.FollowedPeers(ctx); err != nil || len(fp) != 0 {
			t.Errorf("followed peers while our follow is pending: %+v, %v", fp, err)
		}
		other := Peer{Peer: commons.Peer{Actor: "https://other.example/actor", Host: "other.example", Outgoing: commons.PeerAccepted}}
		if err := db.PutPeer(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdatePeer(ctx, "peer.example", func(p *Peer) error { p.Outgoing = commons.PeerAccepted; return nil }); err != nil {
			t.Fatal(err)
		}
		if fp, err := db.FollowedPeers(ctx); err != nil || len(fp) != 2 || fp[0].Host != "other.example" || fp[1].Host != "peer.example" || fp[1].SyncCursor != "42" {
			t.Errorf("followed peers: %+v, %v", fp, err)
		}
		if err := db.DeletePeer(ctx, "other.example"); err != nil {
			t.Fatal(err)
		}
		// A block purges the peering and the records.
		if err := db.BlockDomain(ctx, DomainBlock{Domain: "peer.example", Severity: "suspend"}); err != nil {
			t.Fatal(err)
		}
		if ps, _ := db.Peers(ctx); len(ps) != 0 {
			t.Errorf("peers after block: %+v", ps)
		}
		if local, remote, _ := db.CountRecords(ctx); local != 0 || remote != 0 {
			t.Errorf("records after block: %d local, %d remote", local, remote)
		}
	})
}
