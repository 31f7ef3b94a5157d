package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/pgtest"
)

// TestCopyBothWays copies an instance from SQLite to PostgreSQL and back to
// a new SQLite file: records, history, users, tokens, keys and queues
// arrive, searches give the same answers, new rows get new keys, and a
// target that is not empty is refused.
func TestCopyBothWays(t *testing.T) {
	pgtest.Require(t)
	ctx := context.Background()
	lite := mustOpenPath(t, filepath.Join(t.TempDir(), "a.db"), nil)
	rs := newGen(5).records(300)
	if _, err := lite.ImportRecords(ctx, rs, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	r := rs[3]
	r.Keywords = append(r.Keywords, "copied")
	if err := lite.UpdateRecord(ctx, r, 0, "ed"); err != nil {
		t.Fatal(err)
	}
	if err := lite.DeleteRecord(ctx, rs[4].Slug, 0, "ed"); err != nil {
		t.Fatal(err)
	}
	if _, err := lite.CreateUser(ctx, "ed", commons.RoleEditor, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	token, err := lite.CreateToken(ctx, "ed", "cli")
	if err != nil {
		t.Fatal(err)
	}
	key := ActorKey{Actor: testBase + "/actor", PrivatePEM: "PRIV", PublicPEM: "PUB", Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	if _, err := lite.PutActorKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := lite.Enqueue(ctx, testBase+"/a/1", testBase+"/actor", []byte(`{"type":"Create"}`),
		[]string{"https://x.example/inbox", "https://y.example/inbox"}); err != nil {
		t.Fatal(err)
	}

	pg, err := Open(ctx, Options{Driver: DriverPostgres, URL: pgtest.URL(t), BaseURL: testBase})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	back := mustOpenPath(t, filepath.Join(t.TempDir(), "b.db"), nil)
	for i, step := range []struct{ from, to *DB }{{lite, pg}, {pg, back}} {
		counts, err := step.from.CopyInto(ctx, step.to)
		if err != nil {
			t.Fatal(err)
		}
		if counts[1].Table != "records" || counts[1].Rows != 300 {
			t.Errorf("copied %+v, want 300 records", counts[1])
		}
		for _, q := range []string{"", "copied", rs[0].Name["en"], "zz"} {
			sameSearch(t, lite, step.to, commons.RecordFilter{Query: q, WithFacets: true, Limit: 50})
		}
		h1, err := lite.RecordHistory(ctx, r.Slug)
		if err != nil {
			t.Fatal(err)
		}
		h2, err := step.to.RecordHistory(ctx, r.Slug)
		if err != nil || !reflect.DeepEqual(h1, h2) {
			t.Errorf("history differs: %v\n%+v\n%+v", err, h1, h2)
		}
		if _, err := step.to.Record(ctx, rs[4].Slug); commons.ErrorCode(err) != commons.EGONE {
			t.Errorf("deleted record: %v, want gone", err)
		}
		if u, err := step.to.UserByToken(ctx, token); err != nil || u.Name != "ed" {
			t.Errorf("token: %v, %v", u, err)
		}
		if k, err := step.to.ActorKey(ctx, key.Actor); err != nil || k.PrivatePEM != "PRIV" || !k.Created.Equal(key.Created) {
			t.Errorf("actor key: %+v, %v", k, err)
		}
		// Past the lease of the claim of the step before.
		if got := claimInboxes(t, step.to, time.Now().Add(time.Duration(i+1)*3*time.Hour)); len(got) != 2 {
			t.Errorf("deliveries: %v, want 2", got)
		}
		if _, err := step.from.CopyInto(ctx, step.to); commons.ErrorCode(err) != commons.ECONFLICT {
			t.Errorf("copy into a non-empty target: %v, want conflict", err)
		}
	}
	// New rows after the copy get keys of their own.
	for _, db := range []*DB{pg, back} {
		if err := db.CreateRecord(ctx, newRecord("after-copy", "After copy"), "ed"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateUser(ctx, "ann", commons.RoleEditor, "correct horse battery staple"); err != nil {
			t.Fatal(err)
		}
	}
}
