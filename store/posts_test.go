package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestPosts(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		if err := db.CreateRecord(ctx, newRecord("forgejo", "Forgejo"), "test"); err != nil {
			t.Fatal(err)
		}
		var pk int64
		if err := db.r.QueryRowContext(ctx, `SELECT pk FROM records WHERE slug = 'forgejo'`).Scan(&pk); err != nil {
			t.Fatal(err)
		}
		actor := testBase + "/records/forgejo"
		post := func(i int) Post {
			return Post{ID: fmt.Sprintf("%s/posts/%d", actor, i), Actor: actor, RecordPK: pk, Kind: "change", Lang: "en",
				Content: fmt.Sprintf("<p>Change %d</p>", i), Tags: []PostTag{{Name: "software", Href: testBase + "/topics/software"}},
				Published: clock.now().Add(time.Duration(i) * time.Minute)}
		}

		for _, c := range []struct {
			name string
			p    Post
		}{
			{"NoID", Post{Actor: actor, Kind: "change", Published: clock.now()}},
			{"BadKind", Post{ID: actor + "/posts/x", Actor: actor, Kind: "boost", Published: clock.now()}},
			{"NoTime", Post{ID: actor + "/posts/x", Actor: actor, Kind: "editor"}},
			{"NoSuchRecord", Post{ID: actor + "/posts/x", Actor: actor, Kind: "editor", RecordPK: 999, Published: clock.now()}},
		} {
			t.Run(c.name, func(t *testing.T) { wantCode(t, db.PutPost(ctx, c.p), commons.EINVALID) })
		}
		_, err := db.Post(ctx, actor+"/posts/1")
		wantCode(t, err, commons.ENOTFOUND)

		for i := 1; i <= 5; i++ {
			if err := db.PutPost(ctx, post(i)); err != nil {
				t.Fatal(err)
			}
		}
		editor := Post{ID: actor + "/posts/editor-1", Actor: actor, Kind: "editor", Lang: "fr", Content: "<p>Bonjour</p>",
			Published: clock.now().Add(90 * time.Second)}
		if err := db.PutPost(ctx, editor); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Post(ctx, editor.ID); err != nil || got.Tags == nil || len(got.Tags) != 0 || got.RecordPK != 0 {
			t.Fatalf("editor post = %+v, %v; want no record and empty tags", got, err)
		}
		want := post(3)
		if got, err := db.Post(ctx, want.ID); err != nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("Post = %+v, %v\nwant %+v", got, err, want)
		}

		// An edit replaces; a deletion leaves a tombstone.
		want.Content, want.Updated = "<p>Change 3, corrected</p>", clock.now().Add(time.Hour)
		if err := db.PutPost(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Post(ctx, want.ID); err != nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("after edit = %+v, %v\nwant %+v", got, err, want)
		}
		gone := post(4)
		gone.Deleted = clock.now().Add(2 * time.Hour)
		if err := db.PutPost(ctx, gone); err != nil {
			t.Fatal(err)
		}
		_, err = db.Post(ctx, gone.ID)
		wantCode(t, err, commons.EGONE)

		if n, err := db.CountPosts(ctx, actor); err != nil || n != 5 {
			t.Fatalf("CountPosts = %d, %v; want 5 (one deleted)", n, err)
		}
		// Pages, newest first, through a keyset on the publication time.
		var ids []string
		before := time.Time{}
		for range 10 {
			page, err := db.Posts(ctx, actor, before, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, p := range page {
				ids = append(ids, p.ID[len(actor)+len("/posts/"):])
			}
			before = page[len(page)-1].Published
		}
		if want := []string{"5", "3", "2", "editor-1", "1"}; !reflect.DeepEqual(ids, want) {
			t.Fatalf("posts = %v, want %v", ids, want)
		}
		if page, err := db.Posts(ctx, "https://other.example/actor", time.Time{}, 10); err != nil || len(page) != 0 {
			t.Fatalf("another actor's posts = %v, %v", page, err)
		}
	})
}

// TestHistoryAfter follows a record through changes, with the publisher
// behind: each entry carries the record as that change left it.
func TestHistoryAfter(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)
		a := newRecord("alpha", "Alpha v1")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(db.CreateRecord(ctx, a, "test")) // 1: create alpha v1
		a.Name = commons.Text{"en": "Alpha v2"}
		must(db.UpdateRecord(ctx, a, 0, "test")) // 2: update to v2
		putRemote(t, db, newRecord("remote", "Remote"), "https://peer.example", time.Now())
		a.Name = commons.Text{"en": "Alpha v3"}
		must(db.UpdateRecord(ctx, a, 0, "test"))                         // 3: update to v3
		must(db.CreateRecord(ctx, newRecord("beta", "Beta v1"), "test")) // 4: create beta
		must(db.DeleteRecord(ctx, "alpha", 0, "test"))                   // 5: delete alpha (at v3)

		type entry struct {
			action, record, previous string
			version                  int
		}
		name := func(r *commons.Record) string {
			if r == nil {
				return ""
			}
			return r.Name["en"]
		}
		var got []entry
		var pks []int64
		hid := int64(0)
		for range 10 {
			es, last, err := db.HistoryAfter(ctx, hid, 2)
			must(err)
			if last == hid {
				break
			}
			if last < hid || (len(es) > 0 && es[len(es)-1].HID > last) {
				t.Fatalf("after %d: last %d, entries %+v", hid, last, es)
			}
			for _, e := range es {
				if e.HID <= hid || e.At.IsZero() {
					t.Fatalf("entry %+v after %d", e, hid)
				}
				hid = e.HID
				got = append(got, entry{e.Action, name(e.Record), name(e.Previous), e.Record.Provenance.Version})
				pks = append(pks, e.RecordPK)
			}
			hid = last // past the remote copy's change too
		}
		want := []entry{
			{"create", "Alpha v1", "", 1},
			{"update", "Alpha v2", "Alpha v1", 2},
			{"update", "Alpha v3", "Alpha v2", 3},
			{"create", "Beta v1", "", 1},
			{"delete", "Alpha v3", "", 3},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("history:\n got %+v\nwant %+v", got, want)
		}
		if pks[0] != pks[4] || pks[0] == pks[3] || pks[0] == 0 {
			t.Fatalf("record pks = %v", pks)
		}
	})
}

func TestPublish(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		actor := testBase + "/records/forgejo"
		in := testInboxes(3, "f")
		posts := func(ids ...string) []Post {
			var ps []Post
			for _, id := range ids {
				ps = append(ps, Post{ID: actor + "/posts/" + id, Actor: actor, Kind: "change", Published: clock.now()})
			}
			return ps
		}
		out := []OutActivity{
			{ID: actor + "/posts/1/activity", Sender: actor, Body: []byte(`{"type":"Create"}`), Inboxes: in},
			{ID: actor + "#updates/1", Sender: actor, Body: []byte(`{"type":"Update"}`), Inboxes: in[:1]},
		}
		state := func() (cursor int64, nPosts, nDeliveries int) {
			t.Helper()
			cursor, err := db.PublishCursor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM deliveries)`).
				Scan(&nPosts, &nDeliveries); err != nil {
				t.Fatal(err)
			}
			return cursor, nPosts, nDeliveries
		}
		if c, p, d := state(); c != 0 || p != 0 || d != 0 {
			t.Fatalf("fresh: cursor %d, %d posts, %d deliveries", c, p, d)
		}

		if err := db.Publish(ctx, 3, posts("1"), out); err != nil {
			t.Fatal(err)
		}
		if c, p, d := state(); c != 3 || p != 1 || d != 4 {
			t.Fatalf("after publishing: cursor %d, %d posts, %d deliveries; want 3, 1, 4", c, p, d)
		}

		// Nothing moves when any part fails: the cursor, posts and deliveries
		// go together.
		for _, c := range []struct {
			name  string
			hid   int64
			posts []Post
			out   []OutActivity
			code  string
		}{
			{"AlreadyPublished", 3, posts("2"), out, commons.ECONFLICT},
			{"Behind", 2, posts("2"), nil, commons.ECONFLICT},
			{"BadPost", 5, append(posts("2"), Post{ID: "x", Actor: actor, Kind: "bad", Published: clock.now()}),
				[]OutActivity{{ID: actor + "/posts/2/activity", Sender: actor, Body: []byte(`{}`), Inboxes: in}}, commons.EINVALID},
			{"BadActivity", 5, posts("2"),
				[]OutActivity{{ID: actor + "/posts/2/activity", Sender: actor, Body: []byte(`{}`), Inboxes: in}, {ID: "no-testSender", Inboxes: in}},
				commons.EINVALID},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, db.Publish(ctx, c.hid, c.posts, c.out), c.code)
				if cur, p, d := state(); cur != 3 || p != 1 || d != 4 {
					t.Fatalf("after a failed publish: cursor %d, %d posts, %d deliveries; want 3, 1, 4", cur, p, d)
				}
			})
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := db.Publish(cctx, 5, posts("2"), out); err == nil {
			t.Fatal("publish with a cancelled context succeeded")
		}
		if cur, p, d := state(); cur != 3 || p != 1 || d != 4 {
			t.Fatalf("after a cancelled publish: cursor %d, %d posts, %d deliveries", cur, p, d)
		}

		// A change that concerns nobody still moves the cursor.
		if err := db.Publish(ctx, 4, nil, nil); err != nil {
			t.Fatal(err)
		}
		if c, _, _ := state(); c != 4 {
			t.Fatalf("cursor = %d, want 4", c)
		}
	})
}
