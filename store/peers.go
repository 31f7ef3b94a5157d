package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// Peer is a peer as stored: what the operator sees, plus what the
// federation needs to talk to it.
type Peer struct {
	commons.Peer
	Inbox            string // where to deliver: its shared inbox if any
	OutgoingFollowID string // our Follow of it
	IncomingFollowID string // its Follow of us
	SyncCursor       string // how far our last reconciliation read its records
	// Follows are the hosts of the instances the peer follows itself, as
	// it said when it last read this instance's record collection: their
	// records are not passed on to it.
	Follows []string
}

const peerColumns = `actor, host, name, inbox, outgoing, outgoing_follow_id, incoming, incoming_follow_id,
	since, last_contact, last_sync, sync_cursor, last_error, sync_requests, sync_bytes, sync_documents, follows`

func scanPeer(row interface{ Scan(...any) error }) (*Peer, error) {
	var (
		p                 Peer
		since             int64
		contact, lastSync sql.NullInt64
		out, in, follows  string
	)
	if err := row.Scan(&p.Actor, &p.Host, &p.Name, &p.Inbox, &out, &p.OutgoingFollowID, &in, &p.IncomingFollowID,
		&since, &contact, &lastSync, &p.SyncCursor, &p.LastError, &p.SyncRequests, &p.SyncBytes, &p.SyncDocuments, &follows); err != nil {
		return nil, err
	}
	p.Outgoing, p.Incoming = commons.PeerState(out), commons.PeerState(in)
	p.Since = fromMillis(since)
	p.Follows = strings.Fields(follows)
	if contact.Valid {
		p.LastContact = fromMillis(contact.Int64)
	}
	if lastSync.Valid {
		p.LastSync = fromMillis(lastSync.Int64)
	}
	return &p, nil
}

// PutPeer stores a peer, replacing the stored one with the same actor.
func (db *DB) PutPeer(ctx context.Context, p Peer) error {
	if p.Actor == "" || p.Host == "" {
		return commons.Errorf(commons.EINVALID, "a peer needs an actor and a host")
	}
	if p.Since.IsZero() {
		p.Since = db.nowMillis()
	}
	_, err := db.ChangePeer(ctx, p.Actor, p.Host, func(sp *Peer) error {
		*sp = p
		return nil
	})
	return err
}

// Peer returns the peer whose actor IRI or host is key: ENOTFOUND if none.
func (db *DB) Peer(ctx context.Context, key string) (*Peer, error) {
	p, err := scanPeer(db.r.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE actor = ?1 OR host = ?1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no peer %s", key)
	} else if err != nil {
		return nil, fmt.Errorf("read peer %s: %w", key, ctxErr(ctx, err))
	}
	return p, nil
}

// Peers returns every peer by host, with the number of its live records
// held here.
func (db *DB) Peers(ctx context.Context) ([]Peer, error) {
	out, err := db.peerRows(ctx, `SELECT `+peerColumns+` FROM peers ORDER BY host`)
	if err != nil {
		return nil, err
	}
	counts, err := db.countByOriginHost(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Records = counts[out[i].Host]
	}
	return out, nil
}

// FollowedPeers returns the peers whose follow by this instance is
// accepted, by host, without counting their records (Peer.Records is 0):
// what reconciliation needs, at the cost of one small query.
func (db *DB) FollowedPeers(ctx context.Context) ([]Peer, error) {
	return db.peerRows(ctx, `SELECT `+peerColumns+` FROM peers WHERE outgoing = ? ORDER BY host`, string(commons.PeerAccepted))
}

func (db *DB) peerRows(ctx context.Context, query string, args ...any) ([]Peer, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list peers: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		p, err := scanPeer(rows)
		if err != nil {
			return nil, fmt.Errorf("list peers: %w", err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list peers: %w", ctxErr(ctx, err))
	}
	return out, nil
}

// countByOriginHost counts live remote records by their origin's host.
func (db *DB) countByOriginHost(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT origin, count(*) FROM records WHERE local = 0 AND deleted_at IS NULL`+notProgramme+` GROUP BY origin`)
	if err != nil {
		return nil, fmt.Errorf("count records by origin: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var origin string
		var n int
		if err := rows.Scan(&origin, &n); err != nil {
			return nil, fmt.Errorf("count records by origin: %w", err)
		}
		out[hostOf(origin)] += n
	}
	return out, rows.Err()
}

// hostOf is the host (with port) of a URL, as peers store it.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return strings.ToLower(p.Host)
	}
	return ""
}

// UpdatePeer changes the peer whose actor IRI or host is key in one
// transaction: fn gets the stored peer and changes it. ENOTFOUND if none.
func (db *DB) UpdatePeer(ctx context.Context, key string, fn func(*Peer) error) (*Peer, error) {
	var out *Peer
	err := db.tx(ctx, func(tx *sql.Tx) error {
		p, err := scanPeer(tx.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE actor = ?1 OR host = ?1`, key))
		if errors.Is(err, sql.ErrNoRows) {
			return commons.Errorf(commons.ENOTFOUND, "no peer %s", key)
		} else if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE peers SET name = ?, inbox = ?, outgoing = ?, outgoing_follow_id = ?,
			incoming = ?, incoming_follow_id = ?, last_contact = ?, last_sync = ?, sync_cursor = ?, last_error = ?,
			sync_requests = ?, sync_bytes = ?, sync_documents = ?, follows = ?
			WHERE actor = ?`,
			p.Name, p.Inbox, string(p.Outgoing), p.OutgoingFollowID, string(p.Incoming), p.IncomingFollowID,
			nullMillis(p.LastContact), nullMillis(p.LastSync), p.SyncCursor, p.LastError,
			p.SyncRequests, p.SyncBytes, p.SyncDocuments, strings.Join(p.Follows, " "), p.Actor)
		out = p
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update peer %s: %w", key, err)
	}
	return out, nil
}

// ChangePeer changes the peer with the actor IRI in one transaction, as
// UpdatePeer does, or stores a new one that fn fills in, starting from
// {Actor, Host, Since: now}. Two changes of the two directions of one
// peering that arrive together (our Follow of it while its Follow of us is
// processed) must not undo each other, as a read and a later PutPeer would.
func (db *DB) ChangePeer(ctx context.Context, actor, host string, fn func(*Peer) error) (*Peer, error) {
	var out *Peer
	err := db.tx(ctx, func(tx *sql.Tx) error {
		p, err := scanPeer(tx.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE actor = ?`, actor))
		if errors.Is(err, sql.ErrNoRows) {
			p, err = &Peer{Peer: commons.Peer{Actor: actor, Host: host, Since: db.nowMillis()}}, nil
		}
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO peers (`+peerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (actor) DO UPDATE SET host = excluded.host, name = excluded.name, inbox = excluded.inbox,
				outgoing = excluded.outgoing, outgoing_follow_id = excluded.outgoing_follow_id,
				incoming = excluded.incoming, incoming_follow_id = excluded.incoming_follow_id,
				last_contact = excluded.last_contact, last_sync = excluded.last_sync,
				sync_cursor = excluded.sync_cursor, last_error = excluded.last_error,
				sync_requests = excluded.sync_requests, sync_bytes = excluded.sync_bytes,
				sync_documents = excluded.sync_documents, follows = excluded.follows`,
			p.Actor, p.Host, p.Name, p.Inbox, string(p.Outgoing), p.OutgoingFollowID, string(p.Incoming), p.IncomingFollowID,
			millis(p.Since), nullMillis(p.LastContact), nullMillis(p.LastSync), p.SyncCursor, p.LastError,
			p.SyncRequests, p.SyncBytes, p.SyncDocuments, strings.Join(p.Follows, " "))
		if isUnique(err) {
			return commons.Errorf(commons.ECONFLICT, "another peer has the host %s", p.Host)
		}
		out = p
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("change peer %s: %w", actor, err)
	}
	return out, nil
}

// DeletePeer forgets a peer (both directions). ENOTFOUND if unknown.
func (db *DB) DeletePeer(ctx context.Context, key string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM peers WHERE actor = ?1 OR host = ?1`, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return commons.Errorf(commons.ENOTFOUND, "no peer %s", key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete peer %s: %w", key, err)
	}
	return nil
}

// PeerInboxes returns the inboxes of the peers whose follow of this
// instance is accepted: where record documents go.
func (db *DB) PeerInboxes(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT inbox FROM peers WHERE incoming = 'accepted' AND inbox <> '' ORDER BY inbox`)
	if err != nil {
		return nil, fmt.Errorf("list peer inboxes: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("list peer inboxes: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TouchPeer records that the peer at actor was heard from at at. Unknown
// actors are ignored.
func (db *DB) TouchPeer(ctx context.Context, actor string, at time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE peers SET last_contact = ? WHERE actor = ?`, millis(at), actor)
		return err
	})
}

// NotePeerFollows records the hosts a peer (by its instance actor) says
// it follows itself, when it reads the record collection. Unknown actors
// are ignored; an unchanged list writes nothing.
func (db *DB) NotePeerFollows(ctx context.Context, actor string, hosts []string) error {
	v := strings.Join(hosts, " ")
	var cur string
	err := db.r.QueryRowContext(ctx, `SELECT follows FROM peers WHERE actor = ?`, actor).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && cur == v) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read peer %s: %w", actor, ctxErr(ctx, err))
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE peers SET follows = ? WHERE actor = ?`, v, actor)
		return err
	})
}

// RelayTargets returns the inboxes of the peers whose follow of this
// instance is accepted and that should get a record of origin (a base
// URL) passed on: not the origin itself, not the peer it came from (the
// instance actor from), not a peer that follows the origin itself, nor
// a peer that has not said which instances it follows.
func (db *DB) RelayTargets(ctx context.Context, origin, from string) ([]string, error) {
	originHost := hostOf(origin)
	return db.followerInboxes(ctx, from, func(p *Peer) bool {
		return p.Host != originHost && len(p.Follows) > 0 && !slices.Contains(p.Follows, originHost)
	})
}

// NoticeTargets returns the inboxes of the peers whose follow of this
// instance is accepted, other than the instance actor from, that may lack
// records of one of origins (base URLs): they do not follow that origin
// themselves, as far as they said, and are not it.
func (db *DB) NoticeTargets(ctx context.Context, origins []string, from string) ([]string, error) {
	return db.followerInboxes(ctx, from, func(p *Peer) bool {
		for _, o := range origins {
			if h := hostOf(o); h != p.Host && !slices.Contains(p.Follows, h) {
				return true
			}
		}
		return false
	})
}

// followerInboxes returns the distinct inboxes of the peers whose follow
// of this instance is accepted, but for the instance actor from, that
// keep says to keep.
func (db *DB) followerInboxes(ctx context.Context, from string, keep func(*Peer) bool) ([]string, error) {
	ps, err := db.peerRows(ctx, `SELECT `+peerColumns+` FROM peers WHERE incoming = 'accepted' AND inbox <> '' ORDER BY host`)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for i := range ps {
		p := &ps[i]
		if p.Actor == from || seen[p.Inbox] || !keep(p) {
			continue
		}
		seen[p.Inbox] = true
		out = append(out, p.Inbox)
	}
	return out, nil
}
