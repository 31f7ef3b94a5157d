package store

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/pgtest"
)

const testSender = testBase + "/records/forgejo"

// testInboxes returns n inbox URLs on n servers.
func testInboxes(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("https://%s%d.example/inbox", prefix, i)
	}
	return out
}

// claimInboxes claims everything due at now and returns the inboxes, sorted.
func claimInboxes(t *testing.T, db *DB, now time.Time) []string {
	t.Helper()
	ds, err := db.ClaimDeliveries(context.Background(), now, time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Inbox)
	}
	slices.Sort(out)
	return out
}

func TestEnqueue(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		body := []byte(`{"type":"Create"}`)

		wantCode(t, db.Enqueue(ctx, "", testSender, body, testInboxes(1, "x")), commons.EINVALID)
		if err := db.Enqueue(ctx, testSender+"#none", testSender, body, nil); err != nil {
			t.Fatalf("enqueue to nobody: %v", err)
		}
		// Duplicates in the list, and the same activity enqueued again with an
		// overlapping list, give one row per inbox.
		in := testInboxes(3, "s")
		if err := db.Enqueue(ctx, testSender+"#a1", testSender, body, append(in, in[0])); err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, testSender+"#a1", testSender, body, []string{in[1], "https://late.example/inbox"}); err != nil {
			t.Fatal(err)
		}
		// Unreachable inboxes and blocked domains are skipped.
		if _, err := db.w.ExecContext(ctx, `INSERT INTO inbox_health (inbox, failures, unreachable_since) VALUES (?, 9, 1)`, in[2]); err != nil {
			t.Fatal(err)
		}
		if err := db.BlockDomain(ctx, DomainBlock{Domain: "blocked.example"}); err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, testSender+"#a2", testSender, body, []string{in[0], in[2], "https://sub.blocked.example:8443/inbox"}); err != nil {
			t.Fatal(err)
		}

		ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, d := range ds {
			if d.Sender != testSender || string(d.Body) != string(body) || d.Attempts != 0 || !d.NextAt.Equal(clock.now()) {
				t.Errorf("delivery %+v: want the sender, body, 0 attempts, due now", d)
			}
			got[d.ActivityID] = append(got[d.ActivityID], d.Inbox)
		}
		for _, l := range got {
			slices.Sort(l)
		}
		want := map[string][]string{
			testSender + "#a1": {"https://late.example/inbox", in[0], in[1], in[2]},
			testSender + "#a2": {in[0]},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("queued:\n got %v\nwant %v", got, want)
		}
	})
}

func TestClaimLease(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		t0 := clock.now()
		// Five deliveries due one second apart.
		in := testInboxes(5, "s")
		for i, inbox := range in {
			if err := db.Enqueue(ctx, fmt.Sprint(testSender, "#a", i), testSender, []byte(`{}`), []string{inbox}); err != nil {
				t.Fatal(err)
			}
			clock.advance(time.Second)
		}
		now := clock.now()
		lease := time.Minute

		if ds, err := db.ClaimDeliveries(ctx, now, lease, 0); err != nil || len(ds) != 0 {
			t.Fatalf("claim 0 = %v, %v", ds, err)
		}
		if got := claimInboxes(t, db, t0.Add(-time.Millisecond)); len(got) != 0 {
			t.Fatalf("claimed before anything was due: %v", got)
		}
		first, err := db.ClaimDeliveries(ctx, now, lease, 3)
		if err != nil {
			t.Fatal(err)
		}
		var firstInboxes []string
		for _, d := range first {
			firstInboxes = append(firstInboxes, d.Inbox)
		}
		if !slices.Equal(firstInboxes, in[:3]) {
			t.Fatalf("first claim = %v, want the three longest due %v", firstInboxes, in[:3])
		}
		if got := claimInboxes(t, db, now); !slices.Equal(got, in[3:]) {
			t.Fatalf("second claim = %v, want the rest %v", got, in[3:])
		}
		if got := claimInboxes(t, db, now.Add(lease/2)); len(got) != 0 {
			t.Fatalf("claimed again during the lease: %v", got)
		}
		if got := claimInboxes(t, db, now.Add(lease)); len(got) != 0 {
			t.Fatalf("claimed again at the end of the lease: %v", got)
		}
		// After the lease, the rows come back: a worker that died is replaced.
		if got := claimInboxes(t, db, now.Add(lease+time.Millisecond)); !slices.Equal(got, in) {
			t.Fatalf("claim after the lease = %v, want all %v", got, in)
		}
	})
}

func TestDeliveryOutcomes(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		in := testInboxes(4, "s")
		if err := db.Enqueue(ctx, testSender+"#a1", testSender, []byte(`{}`), in); err != nil {
			t.Fatal(err)
		}
		claim := func(now time.Time) map[string]Delivery {
			t.Helper()
			ds, err := db.ClaimDeliveries(ctx, now, time.Minute, 100)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]Delivery{}
			for _, d := range ds {
				m[d.Inbox] = d
			}
			return m
		}
		ds := claim(clock.now())
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}

		// in[0] succeeds; in[1] fails twice then succeeds; in[2] fails, then is
		// given up; in[3] refuses.
		must(db.DeliverySucceeded(ctx, ds[in[0]].ID, in[0]))
		next := clock.now().Add(5 * time.Minute)
		must(db.DeliveryFailed(ctx, ds[in[1]].ID, next, "HTTP 503"))
		must(db.DeliveryFailed(ctx, ds[in[2]].ID, next, "dial tcp: connection refused"))
		must(db.DeliveryRefused(ctx, ds[in[3]].ID, "HTTP 403"))

		if got := claim(next.Add(-time.Millisecond)); len(got) != 0 {
			t.Fatalf("a failed delivery was claimed before its next attempt: %v", got)
		}
		pending, failing, err := db.DeliveryQueue(ctx)
		must(err)
		if pending != 2 || len(failing) != 2 || failing[0].Failures != 1 || failing[0].LastError == "" || failing[0].Unreachable {
			t.Fatalf("queue after failures = %d, %+v", pending, failing)
		}
		clock.advance(5 * time.Minute)
		ds = claim(next)
		if len(ds) != 2 || ds[in[1]].Attempts != 1 || ds[in[2]].Attempts != 1 {
			t.Fatalf("retries = %+v, want in[1] and in[2] after 1 attempt", ds)
		}
		must(db.DeliveryFailed(ctx, ds[in[1]].ID, next.Add(10*time.Minute), "HTTP 502"))
		must(db.DeliveryGaveUp(ctx, ds[in[2]].ID, in[2], "dial tcp: no route to host"))

		pending, failing, err = db.DeliveryQueue(ctx)
		must(err)
		if pending != 1 || len(failing) != 2 {
			t.Fatalf("queue = %d pending, %+v failing; want 1 and two inboxes", pending, failing)
		}
		if h := failing[0]; h.Inbox != in[2] || !h.Unreachable || h.Failures != 2 || h.LastError != "dial tcp: no route to host" ||
			!h.FirstFailure.Before(h.LastFailure) {
			t.Errorf("unreachable inbox first: %+v", h)
		}
		if h := failing[1]; h.Inbox != in[1] || h.Unreachable || h.Failures != 2 || h.LastError != "HTTP 502" {
			t.Errorf("failing inbox: %+v", h)
		}

		// A new activity skips the unreachable inbox only.
		must(db.Enqueue(ctx, testSender+"#a2", testSender, []byte(`{}`), in))
		got := claimInboxes(t, db, clock.now())
		if want := []string{in[0], in[1], in[3]}; !slices.Equal(got, want) {
			t.Fatalf("after giving up on %s, a new activity goes to %v, want %v", in[2], got, want)
		}

		// A success clears the failures; outcomes for rows already gone are
		// no-ops.
		all, err := db.ClaimDeliveries(ctx, clock.now().Add(time.Hour), time.Minute, 100)
		must(err)
		if len(all) != 4 {
			t.Fatalf("claimed %d, want the 3 new and the rescheduled one", len(all))
		}
		for _, d := range all {
			must(db.DeliverySucceeded(ctx, d.ID, d.Inbox))
		}
		must(db.DeliveryFailed(ctx, 424242, next, "late"))
		must(db.DeliveryGaveUp(ctx, 424242, in[0], "late"))
		must(db.DeliveryRefused(ctx, 424242, "late"))
		pending, failing, err = db.DeliveryQueue(ctx)
		must(err)
		if pending != 0 || len(failing) != 1 || failing[0].Inbox != in[2] {
			t.Fatalf("queue after successes = %d, %+v; want only the unreachable inbox", pending, failing)
		}
	})
}

func TestGarbageCollectActivities(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		if err := db.Enqueue(ctx, testSender+"#done", testSender, []byte(`{}`), testInboxes(1, "a")); err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, testSender+"#pending", testSender, []byte(`{}`), testInboxes(1, "b")); err != nil {
			t.Fatal(err)
		}
		ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 10)
		if err != nil || len(ds) != 2 {
			t.Fatal(ds, err)
		}
		for _, d := range ds {
			if d.ActivityID == testSender+"#done" {
				if err := db.DeliverySucceeded(ctx, d.ID, d.Inbox); err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func() int {
			var n int
			if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM activities`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, step := range []struct {
			advance time.Duration
			want    int
		}{{0, 2}, {23 * time.Hour, 2}, {2 * time.Hour, 1}} {
			clock.advance(step.advance)
			if err := db.GarbageCollectActivities(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != step.want {
				t.Fatalf("after %v more: %d activities, want %d", step.advance, n, step.want)
			}
		}
	})
}

// TestDeliveriesSurviveReopen closes the database with deliveries queued
// and leased, and finds them after reopening.
func TestDeliveriesSurviveReopen(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "commons.db")
		clock := newManualClock()
		db, err := Open(ctx, testOptions(t, path, clock.now))
		if err != nil {
			t.Fatal(err)
		}
		in := testInboxes(3, "s")
		if err := db.Enqueue(ctx, testSender+"#a1", testSender, []byte(`{"a":1}`), in); err != nil {
			t.Fatal(err)
		}
		if ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 1); err != nil || len(ds) != 1 {
			t.Fatal(ds, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = mustOpenPath(t, path, clock.now)
		if got := claimInboxes(t, db, clock.now()); !slices.Equal(got, in[1:]) {
			t.Fatalf("after reopening: %v, want the two unleased %v", got, in[1:])
		}
		if got := claimInboxes(t, db, clock.now().Add(time.Hour)); !slices.Equal(got, in) {
			t.Fatalf("after reopening and the lease: %v, want all %v", got, in)
		}
	})
}

// TestSQLiteDeliveryKillResume kills (SIGKILL) a process that has claimed
// deliveries and is in the middle of sending them, and checks that the rows
// come back once the lease ends.
func TestSQLiteDeliveryKillResume(t *testing.T) {
	if path := os.Getenv("STORE_KILL_CHILD"); path != "" {
		killChild(path)
		return
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "commons.db")
	clock := newManualClock()
	db := mustOpenPath(t, path, clock.now)
	in := testInboxes(50, "s")
	if err := db.Enqueue(ctx, testSender+"#a1", testSender, []byte(`{}`), in); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteDeliveryKillResume$")
	cmd.Env = append(os.Environ(), "STORE_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("child: %v", err)
	}
	claimed, err := strconv.Atoi(line[:len(line)-1])
	if err != nil || claimed != 30 {
		cmd.Process.Kill()
		t.Fatalf("child says %q, want 30 claimed", line)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// The child claimed 30 at clock.now() for a minute and recorded 10
	// successes before it died.
	if got := claimInboxes(t, db, clock.now()); len(got) != 20 {
		t.Fatalf("during the dead worker's lease: claimed %d, want the 20 it had not claimed", len(got))
	}
	got := claimInboxes(t, db, clock.now().Add(time.Minute+time.Millisecond))
	if len(got) != 40 {
		t.Fatalf("after the lease: claimed %d, want 40 (50 less the 10 delivered)", len(got))
	}
}

// killChild is the process TestSQLiteDeliveryKillResume kills: it claims 30
// deliveries, records 10 successes, says how many it claimed and waits
// for SIGKILL.
func killChild(path string) {
	ctx := context.Background()
	clock := newManualClock()
	db, err := Open(ctx, Options{Path: path, BaseURL: testBase, Now: clock.now})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 30)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, d := range ds[:10] {
		if err := db.DeliverySucceeded(ctx, d.ID, d.Inbox); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Println(len(ds))
	select {}
}

// TestConcurrentDelivery runs workers that claim and settle deliveries
// while more are enqueued (run it with -race): every delivery is claimed
// exactly once while its lease holds.
func TestConcurrentDelivery(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		const activities, perActivity = 8, 25
		var (
			mu   sync.Mutex
			seen = map[int64]int{}
			wg   sync.WaitGroup
		)
		wg.Go(func() {
			for i := range activities {
				if err := db.Enqueue(ctx, fmt.Sprint(testSender, "#a", i), testSender, []byte(`{}`), testInboxes(perActivity, fmt.Sprint("s", i%3, "-"))); err != nil {
					t.Error(err)
					return
				}
			}
		})
		done := make(chan struct{})
		for w := range 4 {
			wg.Go(func() {
				for {
					ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Hour, 16)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						select {
						case <-done:
							return
						case <-time.After(time.Millisecond):
							continue
						}
					}
					for i, d := range ds {
						mu.Lock()
						seen[d.ID]++
						mu.Unlock()
						var err error
						if (i+w)%5 == 0 {
							err = db.DeliveryFailed(ctx, d.ID, clock.now().Add(time.Hour), "HTTP 500")
						} else {
							err = db.DeliverySucceeded(ctx, d.ID, d.Inbox)
						}
						if err != nil {
							t.Error(err)
						}
					}
				}
			})
		}
		settled := false
		for deadline := time.Now().Add(60 * time.Second); !settled && time.Now().Before(deadline); {
			mu.Lock()
			settled = len(seen) == activities*perActivity
			mu.Unlock()
			if !settled {
				time.Sleep(10 * time.Millisecond)
			}
		}
		close(done) // stop the workers before failing, so none reports after the test
		wg.Wait()
		if !settled {
			t.Fatalf("not every delivery was claimed within 60 s: %d of %d", len(seen), activities*perActivity)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("delivery %d claimed %d times within its lease", id, n)
			}
		}
		pending, _, err := db.DeliveryQueue(ctx)
		if err != nil || pending == 0 || pending == activities*perActivity {
			t.Fatalf("pending after the run = %d, %v; want the failed ones only", pending, err)
		}
	})
}

func TestReviveInboxes(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		inbox, other := "https://down.example/inbox", "https://down.example.org/inbox"
		for i, in := range []string{inbox, other} {
			id := fmt.Sprint(testSender, "#gone", i)
			if err := db.Enqueue(ctx, id, testSender, []byte(`{}`), []string{in}); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 10)
		if err != nil || len(ds) != 2 {
			t.Fatalf("claimed %v, %v", ds, err)
		}
		for _, d := range ds {
			if err := db.DeliveryGaveUp(ctx, d.ID, d.Inbox, "HTTP 503"); err != nil {
				t.Fatal(err)
			}
		}
		hosts, err := db.UnreachableHosts(ctx)
		if err != nil || !hosts["down.example"] || !hosts["down.example.org"] {
			t.Fatalf("unreachable hosts %v, %v", hosts, err)
		}
		if err := db.ReviveInboxes(ctx, "down.example"); err != nil {
			t.Fatal(err)
		}
		if hosts, _ = db.UnreachableHosts(ctx); hosts["down.example"] || !hosts["down.example.org"] {
			t.Fatalf("after revival: %v", hosts)
		}
		// Deliveries to the revived inbox are queued again; the other stays cut off.
		if err := db.Enqueue(ctx, testSender+"#again", testSender, []byte(`{}`), []string{inbox, other}); err != nil {
			t.Fatal(err)
		}
		if pending, _, _ := db.DeliveryQueue(ctx); pending != 1 {
			t.Fatalf("%d deliveries queued, want 1", pending)
		}
	})
}

// On PostgreSQL the delivery queue's claims and outcomes lock only their
// own rows: they go through while another process's write holds the lock
// that serialises the store's writes.
func TestDeliveriesBesideAWrite(t *testing.T) {
	pgtest.Require(t)
	t.Run(DriverPostgres, testDeliveriesBesideAWrite)
}

func testDeliveriesBesideAWrite(t *testing.T) {
	ctx := context.Background()
	clock := newManualClock()
	db := mustOpenPath(t, filepath.Join(t.TempDir(), "d.db"), clock.now)
	if !db.d.postgres() {
		t.Fatal("not on PostgreSQL")
	}
	in := testInboxes(3, "w")
	if err := db.Enqueue(ctx, testSender+"#w", testSender, []byte(`{"type":"Create"}`), in); err != nil {
		t.Fatal(err)
	}
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.write(ctx, func(tx *sql.Tx, seq int64) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Errorf("write: %v", err)
		}
	}()
	// Bounded: before, each of these waited for the write to end.
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ds, err := db.ClaimDeliveries(tctx, clock.now(), time.Minute, 10)
	if err != nil || len(ds) != len(in) {
		t.Fatalf("claim beside a write: %d deliveries, %v", len(ds), err)
	}
	if err := db.DeliverySucceeded(tctx, ds[0].ID, ds[0].Inbox); err != nil {
		t.Fatalf("sent beside a write: %v", err)
	}
	if err := db.DeliveryFailed(tctx, ds[1].ID, clock.now().Add(time.Hour), "503"); err != nil {
		t.Fatalf("failed beside a write: %v", err)
	}
	if err := db.DeliveryGaveUp(tctx, ds[2].ID, ds[2].Inbox, "gone"); err != nil {
		t.Fatalf("gave up beside a write: %v", err)
	}
	pending, failing, err := db.DeliveryQueue(tctx)
	if err != nil || pending != 1 || len(failing) != 2 {
		t.Errorf("queue: %d pending, %+v failing, %v", pending, failing, err)
	}
}
