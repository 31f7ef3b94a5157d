package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// manualClock is a clock that only moves when told.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func newManualClock() *manualClock {
	return &manualClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *manualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openFed opens a fresh database on a manual clock.
func openFed(t testing.TB) (*DB, *manualClock) {
	t.Helper()
	c := newManualClock()
	return mustOpenPath(t, filepath.Join(t.TempDir(), "commons.db"), c.now), c
}

func TestActorKeys(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		actor := testBase + "/records/forgejo"

		_, err := db.ActorKey(ctx, actor)
		wantCode(t, err, commons.ENOTFOUND)

		first := ActorKey{Actor: actor, PrivatePEM: "PRIV-1", PublicPEM: "PUB-1", Created: clock.now()}
		got, err := db.PutActorKey(ctx, first)
		if err != nil || !reflect.DeepEqual(*got, first) {
			t.Fatalf("PutActorKey = %+v, %v; want %+v", got, err, first)
		}
		// A second creator loses: both end up with the first key.
		got, err = db.PutActorKey(ctx, ActorKey{Actor: actor, PrivatePEM: "PRIV-2", PublicPEM: "PUB-2", Created: clock.now()})
		if err != nil || got.PrivatePEM != "PRIV-1" {
			t.Fatalf("second PutActorKey = %+v, %v; want the first key", got, err)
		}
		if got, err := db.ActorKey(ctx, actor); err != nil || !reflect.DeepEqual(*got, first) {
			t.Fatalf("ActorKey = %+v, %v", got, err)
		}
		_, err = db.PutActorKey(ctx, ActorKey{Actor: actor})
		wantCode(t, err, commons.EINVALID)

		// Concurrent creators all get the same key.
		var wg sync.WaitGroup
		keys := make([]string, 8)
		for i := range keys {
			wg.Go(func() {
				k, err := db.PutActorKey(ctx, ActorKey{Actor: actor + "-x", PrivatePEM: fmt.Sprint("P", i), PublicPEM: "pub", Created: clock.now()})
				if err != nil {
					t.Error(err)
					return
				}
				keys[i] = k.PrivatePEM
			})
		}
		wg.Wait()
		for _, k := range keys {
			if k != keys[0] {
				t.Fatalf("concurrent creators got different keys: %v", keys)
			}
		}
	})
}

func TestRemoteActors(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		a := RemoteActor{ID: "https://masto.example/users/ana", Type: "Person", Username: "ana", Name: "Ana",
			Inbox: "https://masto.example/users/ana/inbox", SharedInbox: "https://masto.example/inbox",
			KeyID: "https://masto.example/users/ana#main-key", PublicPEM: "PEM", FetchedAt: clock.now()}

		_, err := db.RemoteActor(ctx, a.ID)
		wantCode(t, err, commons.ENOTFOUND)
		_, err = db.RemoteActorByKey(ctx, a.KeyID)
		wantCode(t, err, commons.ENOTFOUND)
		wantCode(t, db.PutRemoteActor(ctx, RemoteActor{}), commons.EINVALID)

		if err := db.PutRemoteActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		for name, get := range map[string]func() (*RemoteActor, error){
			"ByID":  func() (*RemoteActor, error) { return db.RemoteActor(ctx, a.ID) },
			"ByKey": func() (*RemoteActor, error) { return db.RemoteActorByKey(ctx, a.KeyID) },
		} {
			if got, err := get(); err != nil || !reflect.DeepEqual(*got, a) {
				t.Errorf("%s = %+v, %v; want %+v", name, got, err, a)
			}
		}

		// An upsert replaces everything, the key included.
		clock.advance(time.Hour)
		b := a
		b.Name, b.KeyID, b.PublicPEM, b.FetchedAt = "Ana B.", a.ID+"#key-2", "PEM2", clock.now()
		if err := db.PutRemoteActor(ctx, b); err != nil {
			t.Fatal(err)
		}
		if got, err := db.RemoteActor(ctx, a.ID); err != nil || !reflect.DeepEqual(*got, b) {
			t.Fatalf("after upsert = %+v, %v; want %+v", got, err, b)
		}
		_, err = db.RemoteActorByKey(ctx, a.KeyID)
		wantCode(t, err, commons.ENOTFOUND)

		// Deleting removes the actor and its follows, nobody else's.
		ours := testBase + "/records/forgejo"
		for _, f := range []Follower{
			{Actor: ours, Follower: a.ID, Inbox: a.SharedInbox, FollowID: "f1"},
			{Actor: ours, Follower: "https://other.example/u/bo", Inbox: "https://other.example/inbox", FollowID: "f2"},
		} {
			if err := db.AddFollower(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteRemoteActor(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.RemoteActor(ctx, a.ID)
		wantCode(t, err, commons.ENOTFOUND)
		if n, err := db.CountFollowers(ctx, ours); err != nil || n != 1 {
			t.Fatalf("followers after deleting one = %d, %v; want 1", n, err)
		}
		if err := db.DeleteRemoteActor(ctx, a.ID); err != nil {
			t.Fatalf("deleting an unknown actor: %v", err)
		}
	})
}

func TestFollowers(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		ours, other := testBase+"/records/forgejo", testBase+"/records/peertube"

		wantCode(t, db.AddFollower(ctx, Follower{Actor: ours}), commons.EINVALID)
		// Five followers on two servers with shared inboxes, one without.
		var want []Follower
		for i, f := range []struct{ follower, inbox string }{
			{"https://a.example/u/1", "https://a.example/inbox"},
			{"https://a.example/u/2", "https://a.example/inbox"},
			{"https://b.example/u/3", "https://b.example/inbox"},
			{"https://c.example/u/4", "https://c.example/u/4/inbox"},
			{"https://c.example/u/5", "https://c.example/u/5/inbox"},
		} {
			fo := Follower{Actor: ours, Follower: f.follower, Inbox: f.inbox, FollowID: fmt.Sprint(f.follower, "#follow-", i), Created: clock.now()}
			if err := db.AddFollower(ctx, fo); err != nil {
				t.Fatal(err)
			}
			want = append(want, fo)
			clock.advance(time.Second)
		}
		if err := db.AddFollower(ctx, Follower{Actor: other, Follower: "https://d.example/u/6", Inbox: "https://d.example/inbox", FollowID: "x"}); err != nil {
			t.Fatal(err)
		}

		t.Run("Pages", func(t *testing.T) {
			var got []Follower
			after := ""
			for range 10 {
				page, err := db.Followers(ctx, ours, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				after = page[len(page)-1].Follower
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("paged followers:\n got %+v\nwant %+v", got, want)
			}
		})
		t.Run("Count", func(t *testing.T) {
			if n, err := db.CountFollowers(ctx, ours); err != nil || n != 5 {
				t.Fatalf("CountFollowers = %d, %v; want 5", n, err)
			}
		})
		t.Run("Inboxes", func(t *testing.T) {
			got, err := db.FollowerInboxes(ctx, ours)
			wantInboxes := []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/u/4/inbox", "https://c.example/u/5/inbox"}
			if err != nil || !reflect.DeepEqual(got, wantInboxes) {
				t.Fatalf("FollowerInboxes = %v, %v; want %v", got, err, wantInboxes)
			}
		})
		t.Run("Refollow", func(t *testing.T) {
			clock.advance(time.Hour)
			re := want[0]
			re.FollowID, re.Inbox, re.Created = "https://a.example/follows/again", "https://a.example/u/1/inbox", clock.now()
			if err := db.AddFollower(ctx, re); err != nil {
				t.Fatal(err)
			}
			page, err := db.Followers(ctx, ours, "", 1)
			if err != nil || len(page) != 1 {
				t.Fatal(page, err)
			}
			if page[0].FollowID != re.FollowID || page[0].Inbox != re.Inbox || !page[0].Created.Equal(want[0].Created) {
				t.Fatalf("after a re-follow: %+v; want the new follow id and inbox, the first date", page[0])
			}
		})
		t.Run("Remove", func(t *testing.T) {
			if err := db.RemoveFollower(ctx, ours, want[1].Follower); err != nil {
				t.Fatal(err)
			}
			// Undo by the Follow's id: only the follower's own follow matches.
			if err := db.RemoveFollowByID(ctx, want[2].FollowID, want[3].Follower); err != nil {
				t.Fatal(err)
			}
			if n, _ := db.CountFollowers(ctx, ours); n != 4 {
				t.Fatalf("a follow was removed by someone else's Undo: %d followers, want 4", n)
			}
			if err := db.RemoveFollowByID(ctx, want[2].FollowID, want[2].Follower); err != nil {
				t.Fatal(err)
			}
			if err := db.RemoveFollower(ctx, ours, "https://nobody.example/u"); err != nil {
				t.Fatalf("removing an absent follower: %v", err)
			}
			if n, _ := db.CountFollowers(ctx, ours); n != 3 {
				t.Fatalf("followers after two removals = %d, want 3", n)
			}
			if n, _ := db.CountFollowers(ctx, other); n != 1 {
				t.Fatalf("another actor's followers = %d, want 1", n)
			}
		})
	})
}

// TestFederationWritesLeaveRecordsAlone checks that the federation tables'
// writes do not take change sequence numbers: those make every process
// refresh its record caches.
func TestFederationWritesLeaveRecordsAlone(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		seq := func() int64 {
			var s int64
			if err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		before := seq()
		ours := testBase + "/records/forgejo"
		steps := []error{
			db.AddFollower(ctx, Follower{Actor: ours, Follower: "https://a.example/u/1", Inbox: "https://a.example/inbox", FollowID: "f"}),
			db.PutRemoteActor(ctx, RemoteActor{ID: "https://a.example/u/1", FetchedAt: clock.now()}),
			db.Enqueue(ctx, ours+"#a1", ours, []byte(`{}`), []string{"https://a.example/inbox"}),
			db.BlockDomain(ctx, DomainBlock{Domain: "spam.example"}),
			db.PutPost(ctx, Post{ID: ours + "/posts/1", Actor: ours, Kind: "change", Published: clock.now()}),
		}
		for i, err := range steps {
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		if _, err := db.AddInboxItem(ctx, InboxItem{ActivityID: "https://a.example/a/1", Actor: "https://a.example/u/1", Type: "Follow"}); err != nil {
			t.Fatal(err)
		}
		if after := seq(); after != before {
			t.Fatalf("meta.seq moved from %d to %d", before, after)
		}
	})
}
