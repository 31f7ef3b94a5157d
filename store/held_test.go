package store

import (
	"context"
	"testing"
	"time"
)

// TestHeldAndIndex: the index form of the relayable changes lists
// versions and hashes without documents and leaves out excluded origins;
// Held and Wants tell which listed states would change what is held.
func TestHeldAndIndex(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		if err := db.CreateRecord(ctx, newRecord("local", "Local"), "t"); err != nil {
			t.Fatal(err)
		}
		t0 := clock.now()
		doc := []byte(`{"proof":{}}`)
		if _, err := db.ApplyRemote(ctx, "https://b.example", []RemoteChange{
			{ID: "https://b.example/records/one", Record: remoteDoc("https://b.example", "one", "One", t0, 2), Signed: doc},
			{ID: "https://b.example/records/gone", Record: remoteDoc("https://b.example", "gone", "Gone", t0, 1), Signed: doc},
			{ID: "https://c.example/records/far", Origin: "https://c.example", Record: remoteDoc("https://c.example", "far", "Far", t0, 1), Signed: doc},
		}, t0, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApplyRemote(ctx, "https://b.example", []RemoteChange{{ID: "https://b.example/records/gone", Deleted: t0.Add(time.Second), Signed: doc}}, t0, "", ""); err != nil {
			t.Fatal(err)
		}

		index, err := db.Changes(ctx, ChangeQuery{Limit: 100, Relayable: true, IncludeDeleted: true, IndexOnly: true, ExcludeHosts: []string{"c.example"}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]Change{}
		for _, c := range index {
			if c.Record != nil || c.Signed != nil {
				t.Errorf("index entry %s carries a document", c.ID)
			}
			got[c.Slug] = c
		}
		if len(got) != 3 || got["one"].Version != 2 || len(got["one"].Hash) != 64 || !got["gone"].Deleted || got["local"].Version != 1 {
			t.Fatalf("index without c.example: %+v", got)
		}
		full, err := db.Changes(ctx, ChangeQuery{Limit: 100, Relayable: true, IncludeDeleted: true})
		if err != nil || len(full) != 4 {
			t.Fatalf("all relayable changes: %d, %v; want 4", len(full), err)
		}

		held, err := db.Held(ctx, []string{"https://b.example/records/one", "https://b.example/records/gone", db.base + "/records/local", "https://b.example/records/new"})
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 3 || held["https://b.example/records/one"].Version != 2 || !held["https://b.example/records/gone"].Deleted || !held[db.base+"/records/local"].Local {
			t.Fatalf("held: %+v", held)
		}
		one, okOne := held["https://b.example/records/one"]
		gone, okGone := held["https://b.example/records/gone"]
		local, okLocal := held[db.base+"/records/local"]
		_, okNew := held["https://b.example/records/new"]
		for _, tt := range []struct {
			name    string
			h       HeldState
			ok      bool
			deleted bool
			version int
			updated time.Time
			want    bool
		}{
			{"same version", one, okOne, false, 2, t0, false},
			{"older version", one, okOne, false, 1, t0, false},
			{"newer version", one, okOne, false, 3, t0, true},
			{"later update", one, okOne, false, 2, t0.Add(time.Minute), true},
			{"deleted there", one, okOne, true, 0, t0, true},
			{"deleted here, back there", gone, okGone, false, 5, t0.Add(time.Hour), false},
			{"a local record", local, okLocal, false, 9, t0.Add(time.Hour), false},
			{"never held", HeldState{}, okNew, false, 1, t0, true},
			{"never held, deleted", HeldState{}, okNew, true, 0, t0, false},
			{"purged, listed again", HeldState{Deleted: true, Purged: true, Version: 2, Updated: t0}, true, false, 2, t0, true},
		} {
			if got := Wants(tt.h, tt.ok, tt.deleted, tt.version, tt.updated); got != tt.want {
				t.Errorf("%s: Wants = %v, want %v", tt.name, got, tt.want)
			}
		}
	})
}
