package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of the federation's hot paths. Reproduce with
//
//	go test -run '^$' -bench 'Enqueue|Claim|InboxItem|FanOut' -benchtime 3s ./store/

// reportRate adds an items-per-second metric.
func reportRate(b *testing.B, items int, unit string) {
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), unit)
}

// BenchmarkEnqueue1000 queues one activity for 1,000 inboxes per op.
func BenchmarkEnqueue1000(b *testing.B) {
	ctx := context.Background()
	db, _ := openFed(b)
	in := testInboxes(1000, "s")
	body := []byte(`{"type":"Create","object":{"type":"Note","content":"` + string(make([]byte, 1500)) + `"}}`)
	i := 0
	for b.Loop() {
		if err := db.Enqueue(ctx, fmt.Sprint(testSender, "#a", i), testSender, body, in); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, 1000*i, "deliveries/s")
}

// fillQueue queues n deliveries, 1,000 inboxes per activity.
func fillQueue(b *testing.B, db *DB, n int) {
	b.Helper()
	in := testInboxes(1000, "s")
	for a := 0; n > 0; a++ {
		k := min(n, len(in))
		if err := db.Enqueue(context.Background(), fmt.Sprint(testSender, "#a", a), testSender, []byte(`{"type":"Create"}`), in[:k]); err != nil {
			b.Fatal(err)
		}
		n -= k
	}
}

// benchSettle claims deliveries 64 at a time and settles each with
// outcome; one op is one delivery.
func benchSettle(b *testing.B, outcome func(db *DB, d Delivery) error) {
	ctx := context.Background()
	db, clock := openFed(b)
	fillQueue(b, db, b.N)
	b.ResetTimer()
	done := 0
	for done < b.N {
		ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 64)
		if err != nil {
			b.Fatal(err)
		}
		if len(ds) == 0 {
			b.Fatalf("queue empty after %d of %d", done, b.N)
		}
		for _, d := range ds {
			if err := outcome(db, d); err != nil {
				b.Fatal(err)
			}
		}
		done += len(ds)
	}
	reportRate(b, done, "deliveries/s")
}

// BenchmarkClaimDeliveriesSucceeded is ClaimDeliveries + DeliverySucceeded
// per delivery.
func BenchmarkClaimDeliveriesSucceeded(b *testing.B) {
	benchSettle(b, func(db *DB, d Delivery) error { return db.DeliverySucceeded(context.Background(), d.ID, d.Inbox) })
}

// BenchmarkClaimDeliveriesFailed is ClaimDeliveries + DeliveryFailed per
// delivery (each failure also counts against the inbox's health).
func BenchmarkClaimDeliveriesFailed(b *testing.B) {
	benchSettle(b, func(db *DB, d Delivery) error {
		return db.DeliveryFailed(context.Background(), d.ID, d.NextAt.Add(time.Hour), "HTTP 503")
	})
}

// BenchmarkFanOut is one record change reaching 10,000 followers on 1,000
// inboxes, end to end in the store: list the inboxes, publish the activity
// with its post and cursor, claim and settle every delivery.
func BenchmarkFanOut(b *testing.B) {
	ctx := context.Background()
	db, clock := openFed(b)
	actor := testBase + "/records/forgejo"
	in := testInboxes(1000, "s")
	for i := range 10_000 {
		if err := db.AddFollower(ctx, Follower{Actor: actor, Follower: fmt.Sprintf("%s/u/%d", in[i%1000], i),
			Inbox: in[i%1000], FollowID: fmt.Sprint("f", i)}); err != nil {
			b.Fatal(err)
		}
	}
	body := []byte(`{"type":"Create","object":{"type":"Note","content":"` + string(make([]byte, 1500)) + `"}}`)
	hid := int64(0)
	for b.Loop() {
		hid++
		inboxes, err := db.FollowerInboxes(ctx, actor)
		if err != nil || len(inboxes) != 1000 {
			b.Fatal(len(inboxes), err)
		}
		post := Post{ID: fmt.Sprintf("%s/posts/%d", actor, hid), Actor: actor, Kind: "change", Published: clock.now()}
		if err := db.Publish(ctx, hid, []Post{post}, []OutActivity{{ID: post.ID + "/activity", Sender: actor, Body: body, Inboxes: inboxes}}); err != nil {
			b.Fatal(err)
		}
		for settled := 0; settled < 1000; {
			ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 64)
			if err != nil || len(ds) == 0 {
				b.Fatal(len(ds), err)
			}
			for _, d := range ds {
				if err := db.DeliverySucceeded(ctx, d.ID, d.Inbox); err != nil {
					b.Fatal(err)
				}
			}
			settled += len(ds)
		}
	}
	reportRate(b, 1000*b.N, "deliveries/s")
}

// BenchmarkAddInboxItem stores incoming activities: one caller, and 16
// concurrent callers (2 cores) with group commit, and the same without it
// (each activity in a transaction of its own) for comparison.
func BenchmarkAddInboxItem(b *testing.B) {
	ctx := context.Background()
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","actor":"https://masto.example/users/ana","object":"` +
		testBase + `/records/forgejo"}`)
	item := func(n int64) InboxItem {
		it := testActivity(0)
		it.ActivityID = fmt.Sprintf("https://masto.example/activities/%d", n)
		it.Body = body
		return it
	}
	b.Run("Sequential", func(b *testing.B) {
		db, _ := openFed(b)
		txs := db.fed().inbox.txs.Load()
		var n int64
		for b.Loop() {
			n++
			if _, err := db.AddInboxItem(ctx, item(n)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)/float64(db.fed().inbox.txs.Load()-txs), "items/tx")
		reportRate(b, int(n), "items/s")
	})
	for _, c := range []struct {
		name string
		add  func(db *DB, it InboxItem) (bool, error)
	}{
		{"Parallel16", func(db *DB, it InboxItem) (bool, error) { return db.AddInboxItem(ctx, it) }},
		{"Parallel16NoGroupCommit", func(db *DB, it InboxItem) (bool, error) { return db.addInboxItemAlone(ctx, it) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			db, _ := openFed(b)
			if err := db.prepareHot(ctx); err != nil {
				b.Fatal(err)
			}
			txs := db.fed().inbox.txs.Load()
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.add(db, item(n.Add(1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load())/float64(db.fed().inbox.txs.Load()-txs), "items/tx")
			reportRate(b, int(n.Load()), "items/s")
		})
	}
}

// BenchmarkClaimTwoHandles is the delivery claim rate of two handles on one
// database, as two server processes have: each claims 64 deliveries at a
// time and marks them sent, until the queue is empty; one op is one
// delivery. With COMMONSD_TEST_STORE=postgres it runs on PostgreSQL.
func BenchmarkClaimTwoHandles(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "claims.db")
	clock := newManualClock()
	a := mustOpenPath(b, path, clock.now)
	c := mustOpenPath(b, path, clock.now)
	fillQueue(b, a, b.N)
	b.ResetTimer()
	var wg sync.WaitGroup
	var done atomic.Int64
	for _, db := range []*DB{a, c} {
		wg.Go(func() {
			for {
				ds, err := db.ClaimDeliveries(ctx, clock.now(), time.Minute, 64)
				if err != nil {
					b.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				for _, d := range ds {
					if err := db.DeliverySucceeded(ctx, d.ID, d.Inbox); err != nil {
						b.Error(err)
						return
					}
				}
				done.Add(int64(len(ds)))
			}
		})
	}
	wg.Wait()
	if int(done.Load()) != b.N {
		b.Fatalf("%d deliveries claimed and sent, want %d", done.Load(), b.N)
	}
	reportRate(b, b.N, "deliveries/s")
}
