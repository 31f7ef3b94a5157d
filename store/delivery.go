package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/commons-directory/commons"
)

// The delivery queue is at least once: an activity is stored with one row
// per target inbox in the transaction that decides to send it; a worker
// claims due rows with a lease, posts, and records the outcome. A process
// killed mid-delivery leaves its rows leased, and they are claimed again
// when the lease ends. Nothing is lost; a delivery may be repeated, which
// receivers tolerate since activities carry ids.

// Delivery is one activity to post to one inbox, signed with the key of
// Sender. Deliveries of the same activity share Body: do not modify it.
type Delivery struct {
	ID                        int64
	ActivityID, Sender, Inbox string
	Body                      []byte
	Attempts                  int // failed attempts so far
	NextAt                    time.Time
}

// InboxHealth is commons.InboxHealth.
type InboxHealth = commons.InboxHealth

// The statements of the delivery queue's hot path, prepared once (see
// hotQueries).
const (
	insertActivity = `INSERT INTO activities (id, sender, body, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	insertDeliveries = `INSERT INTO deliveries (activity, inbox, attempts, next_at, created)
		SELECT ?1, j.value, 0, ?2, ?2 FROM json_each(?3) AS j
		WHERE NOT EXISTS (SELECT 1 FROM inbox_health AS h WHERE h.inbox = j.value AND h.unreachable_since IS NOT NULL)
		ON CONFLICT (activity, inbox) DO NOTHING`
	selectDue = `SELECT id, activity, inbox, attempts, next_at FROM deliveries
		WHERE next_at <= ?1 AND (lease_until IS NULL OR lease_until < ?1) ORDER BY next_at, id LIMIT ?2`
	// next_at moves to the end of the lease with it, so that leased rows
	// leave the due range of the index that selectDue scans.
	leaseDeliveries = `UPDATE deliveries SET lease_until = ?1, next_at = ?1
		WHERE id IN (SELECT value FROM json_each(?2))`
	selectBodies       = `SELECT id, sender, body FROM activities WHERE id IN (SELECT value FROM json_each(?))`
	deleteDeliveryByID = `DELETE FROM deliveries WHERE id = ?`
	clearInboxHealth   = `DELETE FROM inbox_health WHERE inbox = ?`
	// settleDeliveryPG is deleteDeliveryByID and clearInboxHealth in one
	// statement, for PostgreSQL.
	settleDeliveryPG = `WITH d AS (DELETE FROM deliveries WHERE id = ?1)
		DELETE FROM inbox_health WHERE inbox = ?2`
	failDelivery = `UPDATE deliveries SET attempts = attempts + 1, next_at = ?, lease_until = NULL,
		last_error = ? WHERE id = ? RETURNING inbox`
	countInboxFailure = `INSERT INTO inbox_health (inbox, failures, first_failure, last_failure, last_error, unreachable_since)
		VALUES (?1, 1, ?2, ?2, ?3, ?4)
		ON CONFLICT (inbox) DO UPDATE SET failures = inbox_health.failures + 1,
			first_failure = coalesce(inbox_health.first_failure, excluded.first_failure), last_failure = excluded.last_failure,
			last_error = excluded.last_error, unreachable_since = coalesce(inbox_health.unreachable_since, excluded.unreachable_since)`
)

// Enqueue queues an activity for delivery to each of the inboxes, in one
// transaction. Sending the same activity to the same inbox twice queues
// it once; inboxes marked unreachable or on a blocked domain are skipped.
func (db *DB) Enqueue(ctx context.Context, activityID, sender string, body []byte, inboxes []string) error {
	blocks, err := db.blockSnapshot(ctx)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", activityID, err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		return db.enqueue(ctx, tx, blocks, OutActivity{ID: activityID, Sender: sender, Body: body, Inboxes: inboxes})
	})
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", activityID, err)
	}
	return nil
}

// enqueue stores an activity and its deliveries inside tx.
func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, blocks *blockSnapshot, a OutActivity) error {
	if a.ID == "" || a.Sender == "" {
		return commons.Errorf(commons.EINVALID, "an outgoing activity needs an id and a sender")
	}
	inboxes := make([]string, 0, len(a.Inboxes))
	for _, in := range a.Inboxes {
		if in != "" && !blocks.blocked(iriHost(in)) {
			inboxes = append(inboxes, in)
		}
	}
	if len(inboxes) == 0 {
		return nil
	}
	list, err := json.Marshal(inboxes)
	if err != nil {
		return err
	}
	now := millis(db.nowMillis())
	s, err := db.stmt(ctx, tx, insertActivity)
	if err != nil {
		return err
	}
	if _, err := s.ExecContext(ctx, a.ID, a.Sender, string(a.Body), now); err != nil {
		return err
	}
	s, err = db.stmt(ctx, tx, insertDeliveries)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(ctx, a.ID, now, string(list))
	return err
}

// ClaimDeliveries claims up to limit deliveries due at now, the longest due
// first, for lease: until then no other call claims them. A delivery whose
// outcome is not recorded before the lease ends is claimed again.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []Delivery
	err := db.rowTx(ctx, func(tx *sql.Tx) error {
		s, err := db.stmt(ctx, tx, selectDue)
		if err != nil {
			return err
		}
		rows, err := s.QueryContext(ctx, millis(now), limit)
		if err != nil {
			return err
		}
		var ids []int64
		acts := map[string][]byte{}
		for rows.Next() {
			var d Delivery
			var next int64
			if err := rows.Scan(&d.ID, &d.ActivityID, &d.Inbox, &d.Attempts, &next); err != nil {
				rows.Close()
				return err
			}
			d.NextAt = fromMillis(next)
			out = append(out, d)
			ids = append(ids, d.ID)
			acts[d.ActivityID] = nil
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		idList, _ := json.Marshal(ids)
		s, err = db.stmt(ctx, tx, leaseDeliveries)
		if err != nil {
			return err
		}
		if _, err := s.ExecContext(ctx, millis(now.Add(lease)), string(idList)); err != nil {
			return err
		}
		return db.activityBodies(ctx, tx, acts, out)
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// activityBodies fills the sender and body of the deliveries, reading each
// activity once; acts has the activity ids as keys.
func (db *DB) activityBodies(ctx context.Context, tx *sql.Tx, acts map[string][]byte, ds []Delivery) error {
	ids := make([]string, 0, len(acts))
	for id := range acts {
		ids = append(ids, id)
	}
	list, _ := json.Marshal(ids)
	s, err := db.stmt(ctx, tx, selectBodies)
	if err != nil {
		return err
	}
	rows, err := s.QueryContext(ctx, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	senders := map[string]string{}
	for rows.Next() {
		var id, sender string
		var body []byte
		if err := rows.Scan(&id, &sender, &body); err != nil {
			return err
		}
		acts[id], senders[id] = body, sender
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range ds {
		ds[i].Sender, ds[i].Body = senders[ds[i].ActivityID], acts[ds[i].ActivityID]
	}
	return nil
}

// DeliverySucceeded removes a delivered row and clears the failures of its
// inbox. Like the other outcomes, it is not an error if the row is gone
// (a worker whose lease ran out and another that claimed the row after it
// may both report).
func (db *DB) DeliverySucceeded(ctx context.Context, id int64, inbox string) error {
	err := db.rowTx(ctx, func(tx *sql.Tx) error {
		if db.d.postgres() {
			_, err := tx.ExecContext(ctx, settleDeliveryPG, id, inbox)
			return err
		}
		s, err := db.stmt(ctx, tx, deleteDeliveryByID)
		if err != nil {
			return err
		}
		if _, err := s.ExecContext(ctx, id); err != nil {
			return err
		}
		if s, err = db.stmt(ctx, tx, clearInboxHealth); err != nil {
			return err
		}
		_, err = s.ExecContext(ctx, inbox)
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery %d to %s: %w", id, inbox, err)
	}
	return nil
}

// DeliveryRefused removes a row whose inbox answered but refused the
// activity (a 4xx other than 408 and 429): sending it again would not help.
// The inbox did answer, so a failing one has its failures cleared and
// errText kept as its last error.
func (db *DB) DeliveryRefused(ctx context.Context, id int64, errText string) error {
	err := db.rowTx(ctx, func(tx *sql.Tx) error {
		inbox, err := deleteDelivery(ctx, tx, id)
		if err != nil || inbox == "" {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE inbox_health SET failures = 0, first_failure = NULL,
			unreachable_since = NULL, last_error = ? WHERE inbox = ?`, errText, inbox)
		return err
	})
	if err != nil {
		return fmt.Errorf("record refused delivery %d: %w", id, err)
	}
	return nil
}

// deleteDelivery deletes a row and returns its inbox, "" if it was gone.
func deleteDelivery(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var inbox string
	err := tx.QueryRowContext(ctx, `DELETE FROM deliveries WHERE id = ? RETURNING inbox`, id).Scan(&inbox)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return inbox, err
}

// DeliveryFailed reschedules a delivery for next, releasing its lease,
// and counts one more failure against its inbox.
func (db *DB) DeliveryFailed(ctx context.Context, id int64, next time.Time, errText string) error {
	err := db.rowTx(ctx, func(tx *sql.Tx) error {
		s, err := db.stmt(ctx, tx, failDelivery)
		if err != nil {
			return err
		}
		var inbox string
		err = s.QueryRowContext(ctx, millis(next), errText, id).Scan(&inbox)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		return db.countFailure(ctx, tx, inbox, errText, false)
	})
	if err != nil {
		return fmt.Errorf("record failed delivery %d: %w", id, err)
	}
	return nil
}

// DeliveryGaveUp removes a delivery that exhausted its retries and marks
// its inbox unreachable: Enqueue skips it until a delivery to it succeeds.
func (db *DB) DeliveryGaveUp(ctx context.Context, id int64, inbox, errText string) error {
	err := db.rowTx(ctx, func(tx *sql.Tx) error {
		stored, err := deleteDelivery(ctx, tx, id)
		if err != nil || stored == "" {
			return err
		}
		return db.countFailure(ctx, tx, stored, errText, true)
	})
	if err != nil {
		return fmt.Errorf("give up delivery %d to %s: %w", id, inbox, err)
	}
	return nil
}

// countFailure adds a failure to an inbox's health, marking it unreachable
// if asked.
func (db *DB) countFailure(ctx context.Context, tx *sql.Tx, inbox, errText string, unreachable bool) error {
	now := millis(db.nowMillis())
	var since any
	if unreachable {
		since = now
	}
	s, err := db.stmt(ctx, tx, countInboxFailure)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(ctx, inbox, now, errText, since)
	return err
}

// DeliveryQueue reports how many deliveries are queued and the inboxes
// that are failing, unreachable ones first, then by failures.
func (db *DB) DeliveryQueue(ctx context.Context) (pending int, failing []InboxHealth, err error) {
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM deliveries`).Scan(&pending); err != nil {
		return 0, nil, fmt.Errorf("read delivery queue: %w", ctxErr(ctx, err))
	}
	rows, err := db.r.QueryContext(ctx, `SELECT inbox, failures, first_failure, last_failure, coalesce(last_error, ''),
		unreachable_since IS NOT NULL FROM inbox_health WHERE failures > 0 OR unreachable_since IS NOT NULL
		ORDER BY unreachable_since IS NULL, failures DESC, inbox`)
	if err != nil {
		return 0, nil, fmt.Errorf("read delivery queue: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var h InboxHealth
		var first, last sql.NullInt64
		if err := rows.Scan(&h.Inbox, &h.Failures, &first, &last, &h.LastError, &h.Unreachable); err != nil {
			return 0, nil, fmt.Errorf("read delivery queue: %w", err)
		}
		h.FirstFailure, h.LastFailure = fromNullMillis(first), fromNullMillis(last)
		failing = append(failing, h)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("read delivery queue: %w", ctxErr(ctx, err))
	}
	return pending, failing, nil
}

// activityRetention is how long an activity's body is kept after its last
// delivery, for the rare late retry of an Enqueue with the same id.
const activityRetention = 24 * time.Hour

// GarbageCollectActivities deletes the bodies of activities that no
// delivery needs any more and that are older than a day.
func (db *DB) GarbageCollectActivities(ctx context.Context) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM activities WHERE created < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.activity = activities.id)`,
			millis(db.nowMillis().Add(-activityRetention)))
		return err
	})
	if err != nil {
		return fmt.Errorf("collect delivered activities: %w", err)
	}
	return nil
}

// UnreachableHosts returns the hosts (host[:port]) of the inboxes marked
// unreachable.
func (db *DB) UnreachableHosts(ctx context.Context) (map[string]bool, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT inbox FROM inbox_health WHERE unreachable_since IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("read unreachable inboxes: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	hosts := map[string]bool{}
	for rows.Next() {
		var inbox string
		if err := rows.Scan(&inbox); err != nil {
			return nil, err
		}
		if u, err := url.Parse(inbox); err == nil {
			hosts[u.Host] = true
		}
	}
	return hosts, rows.Err()
}

// ReviveInboxes marks the inboxes on host reachable again, as when the
// server there shows it is back by sending us an activity: deliveries to
// them are queued again from now on.
func (db *DB) ReviveInboxes(ctx context.Context, host string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		https, http := "https://"+host+"/", "http://"+host+"/"
		_, err := tx.ExecContext(ctx, `UPDATE inbox_health SET unreachable_since = NULL, failures = 0
			WHERE unreachable_since IS NOT NULL
			AND (substr(inbox, 1, length(?1)) = ?1 OR substr(inbox, 1, length(?2)) = ?2)`, https, http)
		return err
	})
	if err != nil {
		return fmt.Errorf("revive inboxes of %s: %w", host, err)
	}
	return nil
}
