package store

// The federation's tables (migration 0002): our actors' keys, the cache of
// remote actors, followers, the incoming queue (inbox.go), the outgoing
// queue (delivery.go), posts and the publisher's cursor (posts.go) and
// domain blocks (blocks.go). None of them holds records, so their writes go
// through db.tx: they neither take a change sequence number nor refresh the
// record caches.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commons-directory/commons"
)

// tx runs fn in one write transaction on the writer connection and commits.
// Unlike write it does not touch meta.seq nor the record caches: it is for
// tables that hold no records.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.txSerial(ctx, true, fn)
}

// rowTx is tx for the writes of the delivery queue, whose statements are
// safe beside any other write under PostgreSQL's READ COMMITTED: each
// claims or settles rows it names or locks (FOR UPDATE SKIP LOCKED), and
// reads nothing it then relies on. On PostgreSQL they do not wait for the
// other writes (serialize), so that the processes sharing a database settle
// their deliveries side by side, and they commit without waiting for the
// server to flush its log (synchronous_commit off): a claim or an outcome
// lost in a crash of the server itself (not of a process) only means the
// delivery is claimed and sent again once its lease ends, as after a
// process killed mid-delivery, which the queue already allows for. The
// server flushes them within a fraction of a second, and never out of
// order with the writes that follow. On SQLite it is tx.
func (db *DB) rowTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.txSerial(ctx, false, fn)
}

func (db *DB) txSerial(ctx context.Context, serial bool, fn func(*sql.Tx) error) error {
	// Before BEGIN: preparing takes the writer connection, which the
	// transaction would hold.
	if err := db.prepareHot(ctx); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", ctxErr(ctx, err))
	}
	defer tx.Rollback()
	if serial {
		if err := db.d.serialize(ctx, tx); err != nil {
			return ctxErr(ctx, err)
		}
	} else if db.d.postgres() {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("begin: %w", ctxErr(ctx, err))
		}
	}
	if err := fn(tx); err != nil {
		return ctxErr(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", ctxErr(ctx, err))
	}
	db.ckpt.wake()
	return nil
}

// hotQueries are the statements of the federation's hot paths (the inbox,
// the delivery queue, the publisher), compiled once per process.
var hotQueries = []string{
	insertInboxItem, insertActivity, insertDeliveries, selectDue, leaseDeliveries, selectBodies,
	deleteDeliveryByID, clearInboxHealth, failDelivery, countInboxFailure, upsertPost,
}

// fedState is the in-memory state of the federation methods of one DB:
// the prepared hot statements, the domain block cache and the inbox group
// commit.
type fedState struct {
	prepMu sync.Mutex
	stmts  atomic.Pointer[map[string]*sql.Stmt] // hotQueries prepared on db.w
	blocks blockCache
	inbox  inboxBatcher
}

// fed returns db's federation state.
func (db *DB) fed() *fedState { return &db.fedState }

// prepareHot prepares hotQueries on the writer once. It must not run inside
// a write transaction.
func (db *DB) prepareHot(ctx context.Context) error {
	st := db.fed()
	if st.stmts.Load() != nil {
		return nil
	}
	st.prepMu.Lock()
	defer st.prepMu.Unlock()
	if st.stmts.Load() != nil {
		return nil
	}
	m := make(map[string]*sql.Stmt, len(hotQueries))
	for _, q := range hotQueries {
		s, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			for _, s := range m {
				s.Close()
			}
			return fmt.Errorf("prepare: %w", ctxErr(ctx, err))
		}
		m[q] = s
	}
	st.stmts.Store(&m)
	return nil
}

// stmt returns query bound to tx: one of hotQueries as prepared once, any
// other prepared now (and closed with the transaction).
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if m := db.fed().stmts.Load(); m != nil {
		if s, ok := (*m)[query]; ok {
			return tx.StmtContext(ctx, s), nil
		}
	}
	s, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return s, nil
}

// nullMillis is t in Unix milliseconds, or NULL for the zero time.
func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromNullMillis is the time stored, or the zero time for NULL.
func fromNullMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return fromMillis(ms.Int64)
}

// ActorKey is the RSA key pair of one of our actors, PEM-encoded.
type ActorKey struct {
	Actor, PrivatePEM, PublicPEM string
	Created                      time.Time
}

// ActorKey returns the key of our actor: ENOTFOUND if it has none yet.
func (db *DB) ActorKey(ctx context.Context, actor string) (*ActorKey, error) {
	k := ActorKey{Actor: actor}
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT private_pem, public_pem, created FROM actor_keys WHERE actor = ?`, actor).
		Scan(&k.PrivatePEM, &k.PublicPEM, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no key for %s", actor)
	} else if err != nil {
		return nil, fmt.Errorf("read key of %s: %w", actor, ctxErr(ctx, err))
	}
	k.Created = fromMillis(created)
	return &k, nil
}

// PutActorKey stores k unless the actor already has a key, and returns the
// stored key: when two callers create a key at once, both get the first.
func (db *DB) PutActorKey(ctx context.Context, k ActorKey) (*ActorKey, error) {
	if k.Actor == "" || k.PrivatePEM == "" || k.PublicPEM == "" {
		return nil, commons.Errorf(commons.EINVALID, "an actor key needs an actor and both PEM blocks")
	}
	out := ActorKey{Actor: k.Actor}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO actor_keys (actor, private_pem, public_pem, created)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, k.Actor, k.PrivatePEM, k.PublicPEM, millis(k.Created)); err != nil {
			return err
		}
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT private_pem, public_pem, created FROM actor_keys WHERE actor = ?`, k.Actor).
			Scan(&out.PrivatePEM, &out.PublicPEM, &created)
		out.Created = fromMillis(created)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store key of %s: %w", k.Actor, err)
	}
	return &out, nil
}

// RemoteActor is what we keep of another server's actor.
type RemoteActor struct {
	ID, Type, Username, Name, Inbox, SharedInbox, KeyID, PublicPEM string
	FetchedAt                                                      time.Time
}

const remoteActorColumns = `id, type, username, name, inbox, shared_inbox, key_id, public_pem, fetched_at`

func scanRemoteActor(row *sql.Row, what string) (*RemoteActor, error) {
	var a RemoteActor
	var fetched int64
	err := row.Scan(&a.ID, &a.Type, &a.Username, &a.Name, &a.Inbox, &a.SharedInbox, &a.KeyID, &a.PublicPEM, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no remote actor %s", what)
	} else if err != nil {
		return nil, fmt.Errorf("read remote actor %s: %w", what, err)
	}
	a.FetchedAt = fromMillis(fetched)
	return &a, nil
}

// RemoteActor returns the cached remote actor: ENOTFOUND if there is none.
func (db *DB) RemoteActor(ctx context.Context, id string) (*RemoteActor, error) {
	a, err := scanRemoteActor(db.r.QueryRowContext(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE id = ?`, id), id)
	return a, ctxErr(ctx, err)
}

// RemoteActorByKey returns the cached remote actor whose key has the id:
// ENOTFOUND if there is none.
func (db *DB) RemoteActorByKey(ctx context.Context, keyID string) (*RemoteActor, error) {
	a, err := scanRemoteActor(db.r.QueryRowContext(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors
		WHERE key_id = ? ORDER BY fetched_at DESC LIMIT 1`, keyID), "with key "+keyID)
	return a, ctxErr(ctx, err)
}

// PutRemoteActor stores a remote actor, replacing what was cached of it.
func (db *DB) PutRemoteActor(ctx context.Context, a RemoteActor) error {
	if a.ID == "" {
		return commons.Errorf(commons.EINVALID, "a remote actor needs an id")
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_actors (`+remoteActorColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET type = excluded.type, username = excluded.username,
				name = excluded.name, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,
				key_id = excluded.key_id, public_pem = excluded.public_pem,
				fetched_at = excluded.fetched_at, gone_at = NULL`,
			a.ID, a.Type, a.Username, a.Name, a.Inbox, a.SharedInbox, a.KeyID, a.PublicPEM, millis(a.FetchedAt))
		if err != nil {
			return err
		}
		// Deliveries to this actor as a follower go where it now says.
		inbox := a.SharedInbox
		if inbox == "" {
			inbox = a.Inbox
		}
		if inbox != "" {
			_, err = tx.ExecContext(ctx, `UPDATE followers SET inbox = ? WHERE follower = ? AND inbox <> ?`, inbox, a.ID, inbox)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store remote actor %s: %w", a.ID, err)
	}
	return nil
}

// DeleteRemoteActor forgets a remote actor and whom it followed. It is not
// an error if the actor was unknown.
func (db *DB) DeleteRemoteActor(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM followers WHERE follower = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM remote_actors WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete remote actor %s: %w", id, err)
	}
	return nil
}

// Follower is a remote actor following one of ours. Inbox is where to
// deliver to it: its shared inbox if it has one.
type Follower struct {
	Actor, Follower, Inbox, FollowID string
	Created                          time.Time
}

// AddFollower records a follow. Following again updates the inbox and the
// Follow activity's id, and keeps the original date.
func (db *DB) AddFollower(ctx context.Context, f Follower) error {
	if f.Actor == "" || f.Follower == "" || f.Inbox == "" {
		return commons.Errorf(commons.EINVALID, "a follower needs an actor, a follower and an inbox")
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO followers (actor, follower, inbox, follow_id, created)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (actor, follower) DO UPDATE SET inbox = excluded.inbox, follow_id = excluded.follow_id`,
			f.Actor, f.Follower, f.Inbox, f.FollowID, millis(f.Created))
		return err
	})
	if err != nil {
		return fmt.Errorf("add follower %s of %s: %w", f.Follower, f.Actor, err)
	}
	return nil
}

// RemoveFollower removes a follow; removing an absent one is not an error.
func (db *DB) RemoveFollower(ctx context.Context, actor, follower string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM followers WHERE actor = ? AND follower = ?`, actor, follower)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove follower %s of %s: %w", follower, actor, err)
	}
	return nil
}

// RemoveFollowByID removes the follow that the Follow activity followID of
// follower created, for an Undo that names the Follow only by its id. Only
// the follower's own follows match; an unknown id is not an error.
func (db *DB) RemoveFollowByID(ctx context.Context, followID, follower string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM followers WHERE follower = ? AND follow_id = ?`, follower, followID)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove follow %s: %w", followID, err)
	}
	return nil
}

// Followers returns up to limit followers of actor whose IRI sorts after
// after ("" for the first page), in IRI order.
func (db *DB) Followers(ctx context.Context, actor, after string, limit int) ([]Follower, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT follower, inbox, follow_id, created FROM followers
		WHERE actor = ? AND follower > ? ORDER BY follower LIMIT ?`, actor, after, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("list followers of %s: %w", actor, ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []Follower
	for rows.Next() {
		f := Follower{Actor: actor}
		var created int64
		if err := rows.Scan(&f.Follower, &f.Inbox, &f.FollowID, &created); err != nil {
			return nil, fmt.Errorf("list followers of %s: %w", actor, err)
		}
		f.Created = fromMillis(created)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list followers of %s: %w", actor, ctxErr(ctx, err))
	}
	return out, nil
}

// CountFollowers returns how many remote actors follow actor.
func (db *DB) CountFollowers(ctx context.Context, actor string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM followers WHERE actor = ?`, actor).Scan(&n); err != nil {
		return 0, fmt.Errorf("count followers of %s: %w", actor, ctxErr(ctx, err))
	}
	return n, nil
}

// FollowerInboxes returns the distinct inboxes to deliver actor's
// activities to, sorted.
func (db *DB) FollowerInboxes(ctx context.Context, actor string) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT inbox FROM followers WHERE actor = ? ORDER BY inbox`, actor)
	if err != nil {
		return nil, fmt.Errorf("list inboxes of %s's followers: %w", actor, ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var inbox string
		if err := rows.Scan(&inbox); err != nil {
			return nil, fmt.Errorf("list inboxes of %s's followers: %w", actor, err)
		}
		out = append(out, inbox)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list inboxes of %s's followers: %w", actor, ctxErr(ctx, err))
	}
	return out, nil
}
