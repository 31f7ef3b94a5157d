package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// RemoteChange is a record received from its home instance: its current
// document, or its deletion.
type RemoteChange struct {
	ID      string          // the record's IRI
	Record  *commons.Record // nil for a deletion
	Deleted time.Time       // when it was deleted at the origin, for a deletion
	// Origin is the record's home instance when it is not the batch's: a
	// record passed on by a peer, whose origin's proof the caller checked.
	Origin string
	// Signed is the record document or tombstone as received, with the
	// origin's integrity proof; kept so it can be passed on. nil when the
	// document carried no proof.
	Signed []byte
}

// RemoteResult says what ApplyRemote did with a batch.
type RemoteResult struct {
	Created, Updated, Deleted int
	Unchanged                 int // already held at that version or newer, or deleted
	Rejected                  []RemoteRejection
}

// RemoteRejection is a change ApplyRemote refused, and why.
type RemoteRejection struct {
	ID  string
	Err error
}

// Applied is how many changes altered the directory.
func (r *RemoteResult) Applied() int { return r.Created + r.Updated + r.Deleted }

// ApplyRemote stores, in one transaction, the changes that origin (the
// base URL of another instance) sent about its own records. The rules of
// authority:
//
//   - a record's IRI must be under origin, and origin is never this
//     instance: a remote record never overwrites a local one;
//   - a record whose origin's updated time (then version) is not newer
//     than the copy's changes nothing, so a late or replayed older
//     document cannot undo a newer one;
//   - a deletion is final: a deleted record is not brought back, except
//     one purged by a domain block, which a later sync may restore.
//
// A record that fails validation is rejected alone. When peer is not ""
// the peer's sync cursor is set to cursor in the same transaction, so a
// reconciliation that stops resumes where it was.
func (db *DB) ApplyRemote(ctx context.Context, origin string, changes []RemoteChange, at time.Time, peer, cursor string) (*RemoteResult, error) {
	origin = strings.TrimRight(origin, "/")
	if origin == db.base || origin == "" {
		return nil, commons.Errorf(commons.EFORBIDDEN, "records of %q cannot be received from elsewhere", origin)
	}
	res := &RemoteResult{}
	type prepared struct {
		c   RemoteChange
		enc *encoded
	}
	var ok []prepared
	for _, c := range changes {
		if c.Origin == "" {
			c.Origin = origin
		}
		c.Origin = strings.TrimRight(c.Origin, "/")
		if c.Origin == db.base {
			res.Rejected = append(res.Rejected, RemoteRejection{ID: c.ID, Err: commons.Errorf(commons.EFORBIDDEN, "%s is a record of this instance", c.ID)})
			continue
		}
		if err := db.checkRemote(c.Origin, &c, at); err != nil {
			res.Rejected = append(res.Rejected, RemoteRejection{ID: c.ID, Err: err})
			continue
		}
		p := prepared{c: c}
		if c.Record != nil {
			enc, err := encode(c.Record)
			if err != nil {
				res.Rejected = append(res.Rejected, RemoteRejection{ID: c.ID, Err: err})
				continue
			}
			p.enc = enc
		}
		ok = append(ok, p)
	}
	grew := false
	err := db.write(ctx, func(tx *sql.Tx, seq int64) error {
		*res = RemoteResult{Rejected: res.Rejected}
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		if len(ok) >= bulkRemote {
			var err error
			if grew, err = w.growCache(); err != nil {
				return err
			}
		}
		for _, p := range ok {
			actor := p.c.Origin + "/actor"
			before := res.Applied()
			pk := int64(0)
			cur, err := w.remote(p.c.ID)
			if err != nil {
				return err
			}
			switch {
			case p.c.Record == nil && (cur == nil || (cur.deleted && !cur.purged)):
				res.Unchanged++
			case p.c.Record == nil:
				if err := w.delete(&cur.storedRecord, p.c.Deleted, actor); err != nil {
					return err
				}
				res.Deleted++
			case cur == nil:
				if err := w.insert(p.c.Record, p.enc, actor); err != nil {
					return err
				}
				pk = w.lastPK
				res.Created++
			case cur.deleted && !cur.purged, !newer(p.c.Record, cur):
				res.Unchanged++
			default:
				if err := w.update(&cur.storedRecord, p.c.Record, p.enc, actor); err != nil {
					return err
				}
				if err := w.exec(`UPDATE records SET received_at = ?, deleted_at = NULL, purged_at = NULL WHERE pk = ?`,
					millis(at), cur.pk); err != nil {
					return fmt.Errorf("update record: %w", err)
				}
				res.Updated++
			}
			if res.Applied() > before && p.c.Signed != nil {
				if pk == 0 {
					pk = cur.pk
				}
				if err := w.keepDocument(pk, p.c.Signed); err != nil {
					return err
				}
			}
		}
		if peer != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE peers SET sync_cursor = ?, last_contact = ? WHERE actor = ?`,
				cursor, millis(at), peer); err != nil {
				return fmt.Errorf("move the sync cursor of %s: %w", peer, err)
			}
		}
		if res.Applied() == 0 && peer == "" {
			return errNoChange
		}
		return nil
	})
	if grew {
		db.shrinkCacheLater()
	}
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, fmt.Errorf("store records of %s: %w", origin, err)
	}
	return res, nil
}

// keepDocument stores the signed document of the remote record at row pk,
// just written: insert, update and delete leave it without one (see
// forgetDocument). A plain one-row INSERT, so that no statement journal
// makes FTS5 flush its pending terms.
func (w *recordWriter) keepDocument(pk int64, doc []byte) error {
	if err := w.exec(`INSERT INTO record_documents (record, doc) VALUES (?, ?)`, pk, doc); err != nil {
		return fmt.Errorf("keep the signed document: %w", err)
	}
	return nil
}

// checkRemote validates a change from origin and completes the record's
// provenance.
func (db *DB) checkRemote(origin string, c *RemoteChange, at time.Time) error {
	if !strings.HasPrefix(c.ID, origin+"/") {
		return commons.Errorf(commons.EFORBIDDEN, "%s is not a record of %s", c.ID, origin)
	}
	r := c.Record
	if r == nil {
		if c.Deleted.IsZero() {
			c.Deleted = at
		}
		return nil
	}
	if r.ID != c.ID {
		return commons.Errorf(commons.EINVALID, "record id %s differs from %s", r.ID, c.ID)
	}
	if r.Provenance.Origin != origin {
		return commons.Errorf(commons.EFORBIDDEN, "record %s claims the origin %q, not %s", r.ID, r.Provenance.Origin, origin)
	}
	r.Normalize()
	if err := r.Validate(); err != nil {
		return err
	}
	p := &r.Provenance
	if p.Updated.IsZero() || p.Created.IsZero() || p.Version < 1 {
		return commons.Errorf(commons.EINVALID, "record %s: provenance needs created, updated and a version", r.ID)
	}
	p.Hash = r.ContentHash()
	p.ReceivedAt = at
	if !slices.Contains(commons.Sources, p.Source) {
		p.Source = "federated"
	}
	return nil
}

// remoteRecord is the stored state of a remote copy.
type remoteRecord struct {
	storedRecord
	updated int64
	purged  bool
}

// newer reports whether r is a later state than the stored copy.
func newer(r *commons.Record, cur *remoteRecord) bool {
	u := millis(r.Provenance.Updated)
	return u > cur.updated || (u == cur.updated && r.Provenance.Version > cur.version) ||
		(cur.deleted && cur.purged)
}

// remote returns the remote record with the IRI, live or not, or nil.
func (w *recordWriter) remote(id string) (*remoteRecord, error) {
	s, err := w.stmt(`SELECT pk, doc, version, hash, deleted_at IS NOT NULL, updated, purged_at IS NOT NULL, local
		FROM records WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	var c remoteRecord
	var local bool
	err = s.QueryRowContext(w.ctx, id).Scan(&c.pk, &c.doc, &c.version, &c.hash, &c.deleted, &c.updated, &c.purged, &local)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read record %s: %w", id, err)
	}
	if local {
		return nil, commons.Errorf(commons.EFORBIDDEN, "%s is a local record", id)
	}
	return &c, nil
}

// PurgeOrigins turns every remote record whose origin's host is matched
// into a purged tombstone: it leaves the directory and the search, and a
// sync after an unblock may bring it back. It returns how many went.
func (db *DB) PurgeOrigins(ctx context.Context, matches func(host string) bool) (int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT origin FROM records WHERE local = 0 AND deleted_at IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("list origins: %w", ctxErr(ctx, err))
	}
	var origins []any
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list origins: %w", err)
		}
		if matches(iriHost(o)) {
			origins = append(origins, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(origins) == 0 {
		return 0, err
	}
	n := 0
	err = db.write(ctx, func(tx *sql.Tx, seq int64) error {
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		now := db.nowMillis()
		for _, o := range origins {
			rows, err := tx.QueryContext(ctx, `SELECT pk, doc, version, hash FROM records WHERE origin = ? AND local = 0 AND deleted_at IS NULL`, o)
			if err != nil {
				return err
			}
			var cur []storedRecord
			for rows.Next() {
				var c storedRecord
				if err := rows.Scan(&c.pk, &c.doc, &c.version, &c.hash); err != nil {
					rows.Close()
					return err
				}
				cur = append(cur, c)
			}
			rows.Close()
			for i := range cur {
				if err := w.delete(&cur[i], now, "purge"); err != nil {
					return err
				}
				if err := w.exec(`UPDATE records SET purged_at = ? WHERE pk = ?`, millis(now), cur[i].pk); err != nil {
					return err
				}
				// A purge is not the origin's word: nothing of it is passed on.
				if err := w.exec(`DELETE FROM record_documents WHERE record = ?`, cur[i].pk); err != nil {
					return err
				}
				// Nor is anything kept of its life at the origin.
				if err := w.exec(`DELETE FROM posts WHERE record = ?`, cur[i].pk); err != nil {
					return err
				}
				if err := w.exec(`DELETE FROM copy_social WHERE record = ?`, cur[i].pk); err != nil {
					return err
				}
			}
			n += len(cur)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge records: %w", err)
	}
	return n, nil
}

// HeldState is what this instance holds of a record, by its IRI: enough
// to tell whether another state of it is newer (see Held).
type HeldState struct {
	Local   bool
	Version int
	Updated time.Time // at the origin
	Hash    string
	Deleted bool // a tombstone: deleted at its origin, or purged
	Purged  bool // purged by a domain block, which a later sync may undo
}

// Held returns the state of each record of ids this instance holds, live
// or not; records it has never held are missing from the map. A
// reconciliation reads a peer's listing of versions first and fetches
// only the documents of records missing here or newer there.
func (db *DB) Held(ctx context.Context, ids []string) (map[string]HeldState, error) {
	out := make(map[string]HeldState, len(ids))
	const batch = 500
	for len(ids) > 0 {
		n := min(len(ids), batch)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		rows, err := db.r.QueryContext(ctx, `SELECT id, local, version, updated, hash, deleted_at IS NOT NULL, purged_at IS NOT NULL
			FROM records WHERE id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read held records: %w", ctxErr(ctx, err))
		}
		for rows.Next() {
			var (
				id      string
				h       HeldState
				updated int64
			)
			if err := rows.Scan(&id, &h.Local, &h.Version, &updated, &h.Hash, &h.Deleted, &h.Purged); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read held records: %w", err)
			}
			h.Updated = fromMillis(updated)
			out[id] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read held records: %w", ctxErr(ctx, err))
		}
		ids = ids[n:]
	}
	return out, nil
}

// Wants reports whether a record's state at its origin — live with
// version and updated, or deleted — would change what this instance holds
// in h (ok false: it holds nothing of the record). It follows the rules of
// ApplyRemote: a newer state replaces a copy, a deletion is final but for
// a purge, and a local record is never replaced.
func Wants(h HeldState, ok bool, deleted bool, version int, updated time.Time) bool {
	switch {
	case !ok:
		return !deleted // a deletion of a record never held changes nothing
	case h.Local:
		return false
	case h.Deleted && !h.Purged:
		return false
	case deleted:
		return !h.Deleted
	case h.Purged:
		return true
	}
	u, hu := updated.UnixMilli(), h.Updated.UnixMilli()
	return u > hu || (u == hu && version > h.Version)
}
