package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commons-directory/commons"
)

// InboxItem is an incoming activity, stored when it arrives and processed
// after. Recipient is our actor whose inbox received it, "" for the shared
// inbox.
type InboxItem struct {
	ID                                 int64
	ActivityID, Actor, Type, Recipient string
	Body                               []byte
	ReceivedAt                         time.Time
	Attempts                           int
}

const insertInboxItem = `INSERT INTO inbox (activity_id, actor, type, recipient, body, received_at)
	VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id) DO NOTHING`

// AddInboxItem stores an incoming activity and reports whether it is new:
// false when an activity with the same id was stored before (a replay or a
// retry by the sender), which is not an error.
//
// The inbox is a hot path: concurrent calls are committed together in one
// transaction (group commit, see inboxBatcher), and each returns once the
// transaction holding its activity is committed.
func (db *DB) AddInboxItem(ctx context.Context, it InboxItem) (bool, error) {
	if it.Actor == "" || it.Type == "" {
		return false, commons.Errorf(commons.EINVALID, "an inbox item needs an actor and a type")
	}
	fresh, err := db.fed().inbox.add(ctx, db, it)
	if err != nil {
		return false, fmt.Errorf("store activity %s: %w", it.ActivityID, err)
	}
	return fresh, nil
}

// inboxBatcher commits concurrent AddInboxItem calls together. SQLite has
// one writer, so concurrent inserts wait for each other anyway; committing
// them in one transaction writes the table and index pages to the WAL once
// per batch rather than once per activity.
//
// The first caller to find no commit under way commits the waiting batch,
// its own activity included, and returns; if more arrived meanwhile, a
// goroutine commits them until none is left and exits. No goroutine runs
// while the inbox is idle, so nothing needs stopping on Close.
type inboxBatcher struct {
	mu      sync.Mutex
	pending []*inboxRequest
	busy    bool         // a caller or goroutine is committing
	txs     atomic.Int64 // transactions committed, for tests and benchmarks
}

type inboxRequest struct {
	it    InboxItem
	fresh bool
	err   error
	done  chan struct{}
}

// maxInboxBatch bounds a batch, so that one transaction does not hold the
// writer long.
const maxInboxBatch = 256

func (b *inboxBatcher) add(ctx context.Context, db *DB, it InboxItem) (bool, error) {
	r := &inboxRequest{it: it, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, r)
	lead := !b.busy
	b.busy = true
	b.mu.Unlock()
	if lead {
		// The commit must finish for the batch's other callers even if
		// this one gives up.
		wctx := context.WithoutCancel(ctx)
		if b.commitNext(wctx, db) {
			go func() {
				for b.commitNext(wctx, db) {
				}
			}()
		}
	}
	select {
	case <-r.done:
		return r.fresh, r.err
	case <-ctx.Done():
		// The activity may still be committed; the sender's retry will then
		// be a duplicate, which is answered like a success.
		return false, ctx.Err()
	}
}

// commitNext commits the waiting requests, at most maxInboxBatch of them,
// and reports whether more are waiting. When it returns false the batcher
// is idle.
func (b *inboxBatcher) commitNext(ctx context.Context, db *DB) bool {
	db.commitInbox(ctx, b)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		b.pending = nil
		b.busy = false
		return false
	}
	return true
}

// take removes the next batch from the queue.
func (b *inboxBatcher) take() []*inboxRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.pending), maxInboxBatch)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	return batch
}

// commitInbox inserts the next batch in one transaction and wakes its
// callers. The batch is taken once the transaction has begun, so that
// activities arriving while it waited for the writer join it. If an insert
// fails, the batch is rolled back and each activity retried in a
// transaction of its own, so that one bad activity fails alone.
func (db *DB) commitInbox(ctx context.Context, b *inboxBatcher) {
	var batch []*inboxRequest
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	var insertFailed bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// Let the handlers that are about to add their activity do so:
		// on a busy server a larger batch costs less per activity.
		runtime.Gosched()
		batch = b.take()
		s, err := db.stmt(ctx, tx, insertInboxItem)
		if err != nil {
			return err
		}
		for _, r := range batch {
			if r.fresh, err = insertInbox(ctx, s, r.it); err != nil {
				insertFailed = true
				return err
			}
		}
		return nil
	})
	switch {
	case err == nil:
		b.txs.Add(1)
	case batch == nil: // the transaction did not begin
		batch = b.take()
		fallthrough
	case !insertFailed || len(batch) == 1:
		for _, r := range batch {
			r.fresh, r.err = false, err
		}
	default:
		for _, r := range batch {
			r.fresh, r.err = db.addInboxItemAlone(ctx, r.it)
		}
	}
}

// addInboxItemAlone inserts one activity in a transaction of its own.
func (db *DB) addInboxItemAlone(ctx context.Context, it InboxItem) (fresh bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		s, err := db.stmt(ctx, tx, insertInboxItem)
		if err != nil {
			return err
		}
		fresh, err = insertInbox(ctx, s, it)
		return err
	})
	if err == nil {
		db.fed().inbox.txs.Add(1)
	}
	return fresh, err
}

// insertInbox inserts one activity and reports whether it was new.
func insertInbox(ctx context.Context, s *sql.Stmt, it InboxItem) (bool, error) {
	var activityID any
	if it.ActivityID != "" {
		activityID = it.ActivityID
	}
	res, err := s.ExecContext(ctx, activityID, it.Actor, it.Type, it.Recipient, string(it.Body), millis(it.ReceivedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PendingInboxItems returns up to limit unprocessed activities, oldest
// first, leaving out those that failed 5 times. (The number is repeated in
// the partial index inbox_pending, which the query must match.)
func (db *DB) PendingInboxItems(ctx context.Context, limit int) ([]InboxItem, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, coalesce(activity_id, ''), actor, type, recipient, body, received_at, attempts
		FROM inbox WHERE processed_at IS NULL AND attempts < 5 ORDER BY id LIMIT ?`, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("read inbox: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []InboxItem
	for rows.Next() {
		var it InboxItem
		var received int64
		if err := rows.Scan(&it.ID, &it.ActivityID, &it.Actor, &it.Type, &it.Recipient, &it.Body, &received, &it.Attempts); err != nil {
			return nil, fmt.Errorf("read inbox: %w", err)
		}
		it.ReceivedAt = fromMillis(received)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read inbox: %w", ctxErr(ctx, err))
	}
	return out, nil
}

// FinishInboxItem records the outcome of processing an activity: done
// when procErr is nil; otherwise one more failed attempt, with its error
// kept on the row. An item that is no longer there (a domain block purged
// it meanwhile) is not an error.
func (db *DB) FinishInboxItem(ctx context.Context, id int64, procErr error) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if procErr == nil {
			_, err = tx.ExecContext(ctx, `UPDATE inbox SET processed_at = ?, error = NULL WHERE id = ?`,
				millis(db.nowMillis()), id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE inbox SET attempts = attempts + 1, error = ? WHERE id = ?`,
				procErr.Error(), id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("finish inbox item %d: %w", id, err)
	}
	return nil
}

// PurgeInbox deletes the activities received before t that are finished
// (processed, or out of attempts) and reports how many. Their ids no
// longer guard against replays, which is safe once t is well past the
// signature date window: a replayed request that old fails verification.
func (db *DB) PurgeInbox(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM inbox WHERE received_at < ? AND (processed_at IS NOT NULL OR attempts >= 5)`, millis(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge inbox: %w", err)
	}
	return n, nil
}

// CountInboxItems returns the number of activities held in the inbox,
// processed or not.
func (db *DB) CountInboxItems(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM inbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count inbox: %w", ctxErr(ctx, err))
	}
	return n, nil
}
