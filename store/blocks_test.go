package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestNormalizeDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Spam.Example":         "spam.example",
		"spam.example.":        "spam.example",
		"spam.example:8443":    "spam.example",
		" spam.example ":       "spam.example",
		"[::1]:80":             "::1",
		"127.0.0.1:3000":       "127.0.0.1",
		"":                     "",
		"https://spam.example": "",
		"spam.example/path":    "",
	} {
		if got := normalizeDomain(in); got != want {
			t.Errorf("normalizeDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBlockDomain(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		ours := testBase + "/records/forgejo"
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		// Actors on the blocked domain, a subdomain, look-alike domains, and
		// one elsewhere whose shared inbox is on the blocked domain.
		actors := map[string]string{ // actor → delivery inbox
			"https://spam.example/u/1":         "https://spam.example/inbox",
			"https://eu.spam.example:8443/u/2": "https://eu.spam.example:8443/inbox",
			"https://notspam.example/u/3":      "https://notspam.example/inbox",
			"https://spam.example.org/u/4":     "https://spam.example.org/inbox",
			"https://relay.example/u/5":        "https://spam.example/shared",
			"https://fine.example/u/6":         "https://fine.example/inbox",
		}
		var all []string
		i := 0
		for id, inbox := range actors {
			must(db.PutRemoteActor(ctx, RemoteActor{ID: id, Inbox: inbox, KeyID: id + "#key", FetchedAt: clock.now()}))
			must(db.AddFollower(ctx, Follower{Actor: ours, Follower: id, Inbox: inbox, FollowID: id + "/follow"}))
			item := testActivity(i)
			item.Actor = id
			_, err := db.AddInboxItem(ctx, item)
			must(err)
			all = append(all, inbox)
			i++
		}
		// One activity from the blocked domain was processed already: it stays,
		// so that its id still counts as seen.
		processed := testActivity(99)
		processed.Actor = "https://spam.example/u/1"
		_, err := db.AddInboxItem(ctx, processed)
		must(err)
		must(db.r.QueryRowContext(ctx, `SELECT id FROM inbox WHERE activity_id = ?`, processed.ActivityID).Scan(&processed.ID))
		must(db.FinishInboxItem(ctx, processed.ID, nil))
		must(db.Enqueue(ctx, ours+"#a1", ours, []byte(`{}`), all))

		wantCode(t, db.BlockDomain(ctx, DomainBlock{Domain: "https://x/"}), commons.EINVALID)
		if blocked, err := db.DomainBlocked(ctx, "spam.example"); err != nil || blocked {
			t.Fatalf("blocked before the block: %v, %v", blocked, err)
		}
		must(db.BlockDomain(ctx, DomainBlock{Domain: "Spam.Example", Severity: "suspend", Reason: "spam"}))

		left := func(query string) []string {
			t.Helper()
			rows, err := db.r.QueryContext(ctx, query)
			must(err)
			defer rows.Close()
			var out []string
			for rows.Next() {
				var v string
				must(rows.Scan(&v))
				out = append(out, v)
			}
			must(rows.Err())
			slices.Sort(out)
			return out
		}
		wantLeft := []string{"https://fine.example/u/6", "https://notspam.example/u/3", "https://spam.example.org/u/4"}
		for _, c := range []struct {
			what, query string
			want        []string
		}{
			{"remote actors", `SELECT id FROM remote_actors`,
				[]string{"https://fine.example/u/6", "https://notspam.example/u/3", "https://relay.example/u/5", "https://spam.example.org/u/4"}},
			{"followers", `SELECT follower FROM followers`, wantLeft},
			{"deliveries", `SELECT inbox FROM deliveries`,
				[]string{"https://fine.example/inbox", "https://notspam.example/inbox", "https://spam.example.org/inbox"}},
			{"pending inbox items", `SELECT actor FROM inbox WHERE processed_at IS NULL`,
				[]string{"https://fine.example/u/6", "https://notspam.example/u/3", "https://relay.example/u/5", "https://spam.example.org/u/4"}},
			{"processed inbox items", `SELECT activity_id FROM inbox WHERE processed_at IS NOT NULL`, []string{processed.ActivityID}},
		} {
			if got := left(c.query); !slices.Equal(got, c.want) {
				t.Errorf("%s after the block:\n got %v\nwant %v", c.what, got, c.want)
			}
		}

		for host, want := range map[string]bool{
			"spam.example": true, "SPAM.example": true, "eu.spam.example:8443": true, "a.b.spam.example": true,
			"notspam.example": false, "spam.example.org": false, "example": false, "": false,
		} {
			if got, err := db.DomainBlocked(ctx, host); err != nil || got != want {
				t.Errorf("DomainBlocked(%q) = %v, %v; want %v", host, got, err, want)
			}
		}
		// A repeated block updates it; the list shows it once.
		must(db.BlockDomain(ctx, DomainBlock{Domain: "spam.example", Severity: "suspend", Reason: "still spam", Created: clock.now()}))
		must(db.BlockDomain(ctx, DomainBlock{Domain: "other.example", Severity: "silence", Reason: "noise", Created: clock.now()}))
		bs, err := db.DomainBlocks(ctx)
		must(err)
		want := []DomainBlock{
			{Domain: "other.example", Severity: "silence", Reason: "noise", Created: clock.now()},
			{Domain: "spam.example", Severity: "suspend", Reason: "still spam", Created: clock.now()},
		}
		if fmt.Sprint(bs) != fmt.Sprint(want) {
			t.Fatalf("DomainBlocks = %+v\nwant %+v", bs, want)
		}

		must(db.UnblockDomain(ctx, "SPAM.example"))
		wantCode(t, db.UnblockDomain(ctx, "spam.example"), commons.ENOTFOUND)
		if blocked, err := db.DomainBlocked(ctx, "eu.spam.example"); err != nil || blocked {
			t.Fatalf("blocked after the unblock: %v, %v", blocked, err)
		}
	})
}

// TestDomainBlockedAcrossProcesses blocks from one handle (the CLI) and
// sees it from another (the server) with its cache warm.
func TestDomainBlockedAcrossProcesses(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "commons.db")
		server, cli := mustOpenPath(t, path, nil), mustOpenPath(t, path, nil)
		if blocked, err := server.DomainBlocked(ctx, "spam.example"); err != nil || blocked {
			t.Fatalf("before: %v, %v", blocked, err)
		}
		if err := cli.BlockDomain(ctx, DomainBlock{Domain: "spam.example"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "the server sees the CLI's block", func() bool {
			blocked, err := server.DomainBlocked(ctx, "spam.example")
			return err == nil && blocked
		})
		if err := cli.UnblockDomain(ctx, "spam.example"); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "the server sees the CLI's unblock", func() bool {
			blocked, err := server.DomainBlocked(ctx, "spam.example")
			return err == nil && !blocked
		})
	})
}

// TestDomainBlockedConcurrent reads the cache while blocks change (run it
// with -race): once a block returns, every later read sees it.
func TestDomainBlockedConcurrent(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := db.DomainBlocked(ctx, "a.spam3.example"); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		for i := range 10 {
			d := fmt.Sprintf("spam%d.example", i)
			if err := db.BlockDomain(ctx, DomainBlock{Domain: d}); err != nil {
				t.Fatal(err)
			}
			if blocked, err := db.DomainBlocked(ctx, "x."+d); err != nil || !blocked {
				t.Fatalf("right after blocking %s: %v, %v", d, blocked, err)
			}
			if i%2 == 0 {
				if err := db.UnblockDomain(ctx, d); err != nil {
					t.Fatal(err)
				}
				if blocked, err := db.DomainBlocked(ctx, "x."+d); err != nil || blocked {
					t.Fatalf("right after unblocking %s: %v, %v", d, blocked, err)
				}
			}
		}
		close(stop)
		wg.Wait()
	})
}
