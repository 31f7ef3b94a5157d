package federation

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/commons-directory/commons/store"
)

// DeliveryStore is the durable queue of outgoing activities and the health
// of the inboxes they go to.
type DeliveryStore interface {
	Enqueue(ctx context.Context, activityID, sender string, body []byte, inboxes []string) error
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Delivery, error)
	DeliverySucceeded(ctx context.Context, id int64, inbox string) error
	DeliveryFailed(ctx context.Context, id int64, next time.Time, errText string) error
	DeliveryRefused(ctx context.Context, id int64, errText string) error
	DeliveryGaveUp(ctx context.Context, id int64, inbox, errText string) error
	DeliveryQueue(ctx context.Context) (pending int, failing []store.InboxHealth, err error)
	UnreachableHosts(ctx context.Context) (map[string]bool, error)
	ReviveInboxes(ctx context.Context, host string) error
	GarbageCollectActivities(ctx context.Context) error
}

// deliveryLease is how long a claimed delivery is ours. A process killed
// mid-delivery leaves the row claimed; after the lease another worker (or
// the restarted process) takes it again: at-least-once, never lost.
const deliveryLease = 2 * time.Minute

// runDelivery claims due deliveries and posts them with a pool of workers.
func (f *Federation) runDelivery(ctx context.Context) {
	jobs := make(chan store.Delivery)
	var wg sync.WaitGroup
	for range f.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range jobs {
				f.deliver(context.WithoutCancel(ctx), d)
			}
		}()
	}
	every(ctx, f.opts.PollInterval, f.wakeDeliver, func(ctx context.Context) {
		for ctx.Err() == nil {
			batch, err := f.db.ClaimDeliveries(ctx, f.now(), f.opts.DeliveryLease, f.opts.Workers*4)
			if err != nil {
				if ctx.Err() == nil {
					f.log.Error("claim deliveries", "err", err)
				}
				return
			}
			if len(batch) == 0 {
				return
			}
			for _, d := range batch {
				select {
				case jobs <- d:
				case <-ctx.Done():
					return // the unsent rows are released when their lease ends
				}
			}
		}
	})
	close(jobs)
	wg.Wait()
}

// deliver posts one activity to one inbox and records the outcome: done,
// retry later (5xx, network error, 429 with its Retry-After), or given up
// (a 4xx, or the schedule exhausted).
func (f *Federation) deliver(ctx context.Context, d store.Delivery) {
	status, retryAfter, err := f.post(ctx, d)
	var dbErr error
	switch {
	case err == nil && status/100 == 2:
		f.opts.Metrics.DeliveryDone("sent")
		dbErr = f.db.DeliverySucceeded(ctx, d.ID, d.Inbox)
	case err == nil && status/100 == 4 && status != http.StatusTooManyRequests && status != http.StatusRequestTimeout &&
		status != http.StatusUnauthorized:
		// The receiver refuses this activity; sending it again will not help,
		// but the inbox itself is reachable. (A 401 is retried: Mastodon
		// answers it when it could not fetch our key for a moment.)
		f.log.Warn("delivery refused", "activity", d.ActivityID, "inbox", d.Inbox, "status", status)
		f.opts.Metrics.DeliveryDone("refused")
		dbErr = f.db.DeliveryRefused(ctx, d.ID, fmt.Sprintf("HTTP %d", status))
	default:
		reason := fmt.Sprintf("HTTP %d", status)
		if err != nil {
			reason = err.Error()
		}
		if d.Attempts >= len(f.opts.Schedule) {
			f.log.Warn("delivery given up; inbox marked unreachable", "activity", d.ActivityID, "inbox", d.Inbox, "attempts", d.Attempts+1, "err", reason)
			f.opts.Metrics.DeliveryDone("gave_up")
			dbErr = f.db.DeliveryGaveUp(ctx, d.ID, d.Inbox, reason)
			break
		}
		next := f.now().Add(jitter(f.opts.Schedule[d.Attempts]))
		if retryAfter > 0 {
			next = f.now().Add(retryAfter)
		}
		f.log.Info("delivery failed; will retry", "activity", d.ActivityID, "inbox", d.Inbox, "attempt", d.Attempts+1, "next", next.Format(time.RFC3339), "err", reason)
		f.opts.Metrics.DeliveryDone("retry")
		dbErr = f.db.DeliveryFailed(ctx, d.ID, next, reason)
	}
	if dbErr != nil {
		f.log.Error("record delivery outcome", "activity", d.ActivityID, "inbox", d.Inbox, "err", dbErr)
	}
}

// post sends the signed request, with the signature scheme the inbox's
// host accepts (sendSigned). A fresh signer is built for each request
// inside SignRequest: httpsig signers are not safe for concurrent use.
func (f *Federation) post(ctx context.Context, d store.Delivery) (status int, retryAfter time.Duration, err error) {
	key, _, err := f.signingKey(ctx, d.Sender)
	if err != nil {
		return 0, 0, err
	}
	// A delivery is never redirected: the activity is for this inbox, and
	// a 3xx is a failure like any other.
	client := *f.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := f.sendSigned(ctx, http.MethodPost, d.Inbox, d.Body, *key, func(req *http.Request) {
		req.Header.Set("Content-Type", `application/activity+json`)
		req.Header.Set("User-Agent", f.agent)
	}, func(int) *http.Client { return &client })
	if err != nil {
		return 0, 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After"), f.now()), nil
}

// parseRetryAfter reads seconds or an HTTP date; at most a day is honoured.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

// jitter spreads retries by ±10% so that a recovering server is not hit by
// every sender at the same second.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}
