package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func testActivity(i int) InboxItem {
	return InboxItem{
		ActivityID: fmt.Sprintf("https://masto.example/activities/%d", i),
		Actor:      "https://masto.example/users/ana",
		Type:       "Follow",
		Recipient:  testBase + "/records/forgejo",
		Body:       []byte(fmt.Sprintf(`{"id":"https://masto.example/activities/%d"}`, i)),
		ReceivedAt: time.Date(2025, 3, 1, 12, 0, i, 0, time.UTC),
	}
}

func TestInboxQueue(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)

		_, err := db.AddInboxItem(ctx, InboxItem{ActivityID: "x"})
		wantCode(t, err, commons.EINVALID)
		for i := range 3 {
			if fresh, err := db.AddInboxItem(ctx, testActivity(i)); err != nil || !fresh {
				t.Fatalf("add %d = %v, %v; want new", i, fresh, err)
			}
		}
		// A replay is not new, and changes nothing.
		replay := testActivity(1)
		replay.Body = []byte(`{"replayed":true}`)
		if fresh, err := db.AddInboxItem(ctx, replay); err != nil || fresh {
			t.Fatalf("replay = %v, %v; want a duplicate", fresh, err)
		}
		// Activities without an id are never duplicates of each other.
		for range 2 {
			noID := testActivity(9)
			noID.ActivityID = ""
			if fresh, err := db.AddInboxItem(ctx, noID); err != nil || !fresh {
				t.Fatalf("activity without id = %v, %v; want new", fresh, err)
			}
		}

		items, err := db.PendingInboxItems(ctx, 2)
		if err != nil || len(items) != 2 {
			t.Fatalf("pending(2) = %v, %v", items, err)
		}
		want := testActivity(0)
		want.ID = items[0].ID
		if got := items[0]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("first pending = %+v\nwant %+v", got, want)
		}
		if string(items[1].Body) != string(testActivity(1).Body) {
			t.Fatalf("the replay replaced the stored body: %s", items[1].Body)
		}

		// Item 0 succeeds; item 1 fails until it is out of attempts.
		if err := db.FinishInboxItem(ctx, items[0].ID, nil); err != nil {
			t.Fatal(err)
		}
		for attempt := 1; attempt <= 5; attempt++ {
			if err := db.FinishInboxItem(ctx, items[1].ID, fmt.Errorf("attempt %d failed", attempt)); err != nil {
				t.Fatal(err)
			}
			pending, err := db.PendingInboxItems(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			var found *InboxItem
			for i := range pending {
				if pending[i].ID == items[1].ID {
					found = &pending[i]
				}
			}
			switch {
			case attempt < 5 && (found == nil || found.Attempts != attempt):
				t.Fatalf("after %d failures: %+v; want pending with %d attempts", attempt, found, attempt)
			case attempt == 5 && (found != nil || len(pending) != 3):
				t.Fatalf("after 5 failures: %d pending (%+v); want 3, without it", len(pending), found)
			}
		}
		var errText string
		if err := db.r.QueryRowContext(ctx, `SELECT error FROM inbox WHERE id = ?`, items[1].ID).Scan(&errText); err != nil || errText != "attempt 5 failed" {
			t.Fatalf("stored error = %q, %v", errText, err)
		}
		if err := db.FinishInboxItem(ctx, 987654, nil); err != nil {
			t.Fatalf("finishing a purged item: %v", err)
		}
	})
}

// holdWriter takes the writer connection until the returned function is
// called, so that commits queue up behind it.
func holdWriter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	// The hot statements are prepared on first use; prepare them now, or
	// the first caller would wait for the connection outside the batcher.
	if err := db.prepareHot(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return func() { conn.Close() }
}

// waitPending waits until n requests are queued.
func waitPending(t *testing.T, db *DB, n int) {
	t.Helper()
	b := &db.fed().inbox
	eventually(t, time.Minute, fmt.Sprintf("%d requests queued", n), func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.pending) == n
	})
}

// TestSQLiteInboxGroupCommit checks that activities arriving while a commit is
// under way are committed together, and that one failing activity in a
// batch fails alone.
func TestSQLiteInboxGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, _ := openFed(t)
	// A poisoned type makes its insert fail.
	if _, err := db.w.ExecContext(ctx, `CREATE TEMP TRIGGER poison BEFORE INSERT ON inbox WHEN NEW.type = 'Poison'
		BEGIN SELECT RAISE(ABORT, 'poisoned'); END`); err != nil {
		t.Fatal(err)
	}
	b := &db.fed().inbox
	type result struct {
		fresh bool
		err   error
	}
	// run adds n activities while the writer is held: the first caller
	// leads, blocked in BEGIN, while the others queue with it.
	run := func(first, n int, change func(i int, it *InboxItem)) []result {
		release := holdWriter(t, db)
		results := make([]result, n)
		add := func(i int) {
			it := testActivity(first + i)
			change(i, &it)
			results[i].fresh, results[i].err = db.AddInboxItem(ctx, it)
		}
		var wg sync.WaitGroup
		wg.Go(func() { add(0) })
		eventually(t, time.Minute, "the leader is committing", func() bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.busy
		})
		for i := 1; i < n; i++ {
			wg.Go(func() { add(i) })
		}
		waitPending(t, db, n) // the leader's own included: it takes the batch once it has the writer
		release()
		wg.Wait()
		return results
	}

	t.Run("Batched", func(t *testing.T) {
		txs := b.txs.Load()
		for i, r := range run(0, 40, func(int, *InboxItem) {}) {
			if r.err != nil || !r.fresh {
				t.Errorf("activity %d = %v, %v; want new", i, r.fresh, r.err)
			}
		}
		// The leader takes the batch once it has the writer: all 40 go in
		// one transaction.
		if got := b.txs.Load() - txs; got != 1 {
			t.Errorf("40 activities in %d transactions, want 1", got)
		}
	})
	t.Run("PoisonFailsAlone", func(t *testing.T) {
		results := run(100, 40, func(i int, it *InboxItem) {
			switch i {
			case 7:
				it.Type = "Poison"
			case 8:
				it.ActivityID = testActivity(106).ActivityID // a duplicate within the batch
			}
		})
		// Activities 6 and 8 share an id. The callers queue in whatever
		// order the scheduler starts them, so either may be the first:
		// exactly one of the two is new, and neither fails.
		if a, b := results[6], results[8]; a.err != nil || b.err != nil || a.fresh == b.fresh {
			t.Errorf("duplicate within a batch: (%v, %v) and (%v, %v); want one new, one not, no error",
				a.fresh, a.err, b.fresh, b.err)
		}
		for i, r := range results {
			switch {
			case i == 7:
				if r.err == nil || !strings.Contains(r.err.Error(), "poisoned") {
					t.Errorf("poisoned activity: %v, want its own error", r.err)
				}
			case i == 6 || i == 8:
				// checked above
			case r.err != nil || !r.fresh:
				t.Errorf("activity %d = %v, %v; want new", i, r.fresh, r.err)
			}
		}
	})
	items, err := db.PendingInboxItems(ctx, 100)
	if err != nil || len(items) != 40+38 {
		t.Fatalf("stored %d, %v; want %d", len(items), err, 40+38)
	}
	b.mu.Lock()
	idle := !b.busy && len(b.pending) == 0
	b.mu.Unlock()
	if !idle {
		t.Fatal("the batcher is still busy after every caller returned")
	}
}

// TestInboxCancelledCaller checks that a caller giving up does not lose
// the others' activities nor its own once committed.
func TestInboxCancelledCaller(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)
		release := holdWriter(t, db)
		cctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var leaderErr, otherErr error
		wg.Go(func() { _, leaderErr = db.AddInboxItem(cctx, testActivity(0)) })
		eventually(t, time.Minute, "the leader is committing", func() bool {
			b := &db.fed().inbox
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.busy
		})
		wg.Go(func() { _, otherErr = db.AddInboxItem(ctx, testActivity(1)) })
		waitPending(t, db, 2)
		cancel()
		release()
		wg.Wait()
		if otherErr != nil {
			t.Fatalf("the other caller: %v", otherErr)
		}
		if leaderErr != nil && !errors.Is(leaderErr, context.Canceled) {
			t.Fatalf("the cancelled caller: %v", leaderErr)
		}
		items, err := db.PendingInboxItems(ctx, 10)
		if err != nil || len(items) != 2 {
			t.Fatalf("stored %d, %v; want both", len(items), err)
		}
	})
}

// TestInboxConcurrent adds activities from many goroutines, each id twice
// (run it with -race): each is new exactly once.
func TestInboxConcurrent(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)
		const workers, each = 16, 60
		var mu sync.Mutex
		fresh := map[string]int{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					it := testActivity((w/2)*each + i) // workers 2k and 2k+1 send the same ids
					ok, err := db.AddInboxItem(ctx, it)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						fresh[it.ActivityID]++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if len(fresh) != workers/2*each {
			t.Fatalf("%d ids reported new, want %d", len(fresh), workers/2*each)
		}
		for id, n := range fresh {
			if n != 1 {
				t.Fatalf("%s reported new %d times", id, n)
			}
		}
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM inbox`).Scan(&n); err != nil || n != workers/2*each {
			t.Fatalf("%d rows, %v; want %d", n, err, workers/2*each)
		}
	})
}

func TestPurgeInbox(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		old := clock.now()
		for i, id := range []string{"https://a.example/1", "https://a.example/2"} {
			if _, err := db.AddInboxItem(ctx, InboxItem{ActivityID: id, Actor: "https://a.example/u", Type: "Follow", Body: []byte(`{}`), ReceivedAt: old.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		items, err := db.PendingInboxItems(ctx, 10)
		if err != nil || len(items) != 2 {
			t.Fatalf("pending: %v %v", items, err)
		}
		if err := db.FinishInboxItem(ctx, items[0].ID, nil); err != nil {
			t.Fatal(err)
		}
		n, err := db.PurgeInbox(ctx, old.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want the one processed item", n, err)
		}
		// The purged id is accepted again; the unprocessed one is still a duplicate.
		if fresh, _ := db.AddInboxItem(ctx, InboxItem{ActivityID: "https://a.example/1", Actor: "https://a.example/u", Type: "Follow", Body: []byte(`{}`), ReceivedAt: old}); !fresh {
			t.Error("purged activity id still counted as seen")
		}
		if fresh, _ := db.AddInboxItem(ctx, InboxItem{ActivityID: "https://a.example/2", Actor: "https://a.example/u", Type: "Follow", Body: []byte(`{}`), ReceivedAt: old}); fresh {
			t.Error("pending activity purged")
		}
	})
}
