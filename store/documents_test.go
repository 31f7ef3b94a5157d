package store

import (
	"context"
	"testing"
	"time"
)

// TestRelayableDocuments: the record collection passes on local records
// (with this instance's signed document once published, only at the
// version signed) and remote copies received with their origin's signed
// document — the document as received, also for a deletion — and leaves
// out copies that came without one or were purged by a block.
func TestRelayableDocuments(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		if err := db.CreateRecord(ctx, newRecord("local", "Local"), "t"); err != nil {
			t.Fatal(err)
		}
		local, _ := db.Record(ctx, "local")
		t0 := clock.now()
		signed := []byte(`{"id":"https://b.example/records/signed","proof":{}}`)
		tomb := []byte(`{"id":"https://b.example/records/signed","type":"Tombstone","proof":{}}`)
		if _, err := db.ApplyRemote(ctx, "https://b.example", []RemoteChange{
			{ID: "https://b.example/records/signed", Record: remoteDoc("https://b.example", "signed", "Signed", t0, 1), Signed: signed},
			{ID: "https://b.example/records/bare", Record: remoteDoc("https://b.example", "bare", "Bare", t0, 1)},
		}, t0, "", ""); err != nil {
			t.Fatal(err)
		}
		// A record relayed by a peer, under its own origin.
		res, err := db.ApplyRemote(ctx, "https://b.example", []RemoteChange{
			{ID: "https://c.example/records/far", Origin: "https://c.example", Record: remoteDoc("https://c.example", "far", "Far", t0, 1), Signed: signed},
			{ID: db.base + "/records/local", Origin: db.base, Record: remoteDoc(db.base, "local", "Mine", t0, 9)},
		}, t0, "", "")
		if err != nil || res.Created != 1 || len(res.Rejected) != 1 {
			t.Fatalf("relayed: %+v, %v; want one created and our own record refused", res, err)
		}
		if far, err := db.RecordByID(ctx, "https://c.example/records/far"); err != nil || far.Provenance.Origin != "https://c.example" {
			t.Fatalf("relayed copy: %+v, %v", far, err)
		}

		relayable := func() map[string]string {
			t.Helper()
			cs, err := db.Changes(ctx, ChangeQuery{Limit: 100, Relayable: true, IncludeDeleted: true})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, c := range cs {
				switch {
				case c.Signed != nil:
					out[c.Slug] = string(c.Signed)
				case c.Deleted:
					out[c.Slug] = "deleted"
				default:
					out[c.Slug] = "record " + c.Record.Name["en"]
				}
			}
			return out
		}
		check := func(what string, want map[string]string) {
			t.Helper()
			got := relayable()
			// The collection's size counts the live records it lists.
			cs, err := db.Changes(ctx, ChangeQuery{Limit: 100, Relayable: true})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := db.CountRelayable(ctx); err != nil || n != len(cs) {
				t.Fatalf("%s: CountRelayable = %d, %v; the collection lists %d live records", what, n, err, len(cs))
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %v, want %v", what, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s: %s is %q, want %q", what, k, got[k], v)
				}
			}
		}
		check("before publication", map[string]string{"local": "record Local", "signed": string(signed), "far": string(signed)})

		// The publisher keeps the document of the version it signed; a stale
		// one is not kept.
		mine := []byte(`{"mine":1}`)
		if err := db.Publish(ctx, 1, nil, nil, RecordDocument{ID: local.ID, Version: local.Provenance.Version, Doc: mine},
			RecordDocument{ID: local.ID, Version: local.Provenance.Version + 1, Doc: []byte(`{"future":1}`)}); err != nil {
			t.Fatal(err)
		}
		check("published", map[string]string{"local": `{"mine":1}`, "signed": string(signed), "far": string(signed)})
		local.Name["en"] = "Local, renamed"
		if err := db.UpdateRecord(ctx, local, local.Provenance.Version, "t"); err != nil {
			t.Fatal(err)
		}
		check("changed since", map[string]string{"local": "record Local, renamed", "signed": string(signed), "far": string(signed)})

		// The origin's deletion travels as its signed tombstone; a copy
		// updated without a proof is no longer passed on.
		clock.advance(time.Minute)
		if _, err := db.ApplyRemote(ctx, "https://b.example", []RemoteChange{{ID: "https://b.example/records/signed", Deleted: clock.now(), Signed: tomb}}, clock.now(), "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApplyRemote(ctx, "https://c.example", []RemoteChange{{ID: "https://c.example/records/far", Record: remoteDoc("https://c.example", "far", "Far 2", clock.now(), 2)}}, clock.now(), "", ""); err != nil {
			t.Fatal(err)
		}
		check("deleted at origin", map[string]string{"local": "record Local, renamed", "signed": string(tomb)})

		// A purge is not the origin's word: nothing of it is passed on.
		if _, err := db.ApplyRemote(ctx, "https://c.example", []RemoteChange{{ID: "https://c.example/records/far", Record: remoteDoc("https://c.example", "far", "Far 3", clock.now().Add(time.Second), 3), Signed: signed}}, clock.now(), "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PurgeOrigins(ctx, func(h string) bool { return h == "c.example" }); err != nil {
			t.Fatal(err)
		}
		check("purged", map[string]string{"local": "record Local, renamed", "signed": string(tomb)})
	})
}
