package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/commons-directory/commons"
)

// Change is one record in the order the store last wrote them: a live
// record, or the tombstone of a deleted one.
type Change struct {
	Seq     int64           // the store's change counter at the last write
	PK      int64           // the record's row; (Seq, PK) is the cursor: one write may change many records
	ID      string          // the record's IRI
	Slug    string          // its slug at its origin
	Origin  string          // the base URL of its home instance
	Record  *commons.Record // nil for a tombstone
	Updated time.Time       // at the origin; for a tombstone, when it was deleted
	Deleted bool
	// Signed is a remote record's document as its origin signed it, when
	// the query asked for documents and the store holds one (see
	// RemoteChange.Signed).
	Signed []byte
	// Version and Hash are the record's version and content hash at its
	// origin (those of its last live state, for a tombstone).
	Version int
	Hash    string
}

// ChangeQuery selects a page of Changes.
type ChangeQuery struct {
	After          int64 // only changes after (After, AfterPK) in (Seq, PK) order; 0, 0 for all
	AfterPK        int64
	Limit          int       // page size, 1 to 1000; default 100
	LocalOnly      bool      // leave out remote copies
	Origin         string    // only records of this origin (base URL); "" for all
	ModifiedSince  time.Time // only records updated (or deleted) at or after; zero for all
	IncludeDeleted bool      // include tombstones
	// Relayable selects what an instance passes on to its peers: its
	// local records, and remote copies whose signed document it holds;
	// other copies are left out. Change.Signed is set where the store
	// holds the signed document (for a local record, once published).
	Relayable bool
	// ExcludeHosts leaves out the records whose origin is on one of these
	// hosts (with port): a peer that follows those instances itself
	// reads their records from them.
	ExcludeHosts []string
	// IndexOnly lists without the documents: Record and Signed stay nil,
	// Version and Hash say which state each record is in.
	IndexOnly bool
}

// CountRelayable counts the live records Changes with Relayable lists:
// the local ones, and the remote copies whose signed document this
// instance holds (the size of its record collection, /actor/records).
func (db *DB) CountRelayable(ctx context.Context) (int, error) {
	local, _, err := db.CountRecords(ctx)
	if err != nil {
		return 0, err
	}
	var copies int
	err = db.r.QueryRowContext(ctx, `SELECT count(*) FROM record_documents d JOIN records r ON r.pk = d.record
		WHERE r.local = 0 AND r.deleted_at IS NULL`).Scan(&copies)
	if err != nil {
		return 0, fmt.Errorf("count relayable records: %w", ctxErr(ctx, err))
	}
	return local + copies, nil
}

// MaxChangePage bounds ChangeQuery.Limit.
const MaxChangePage = 1000

// Changes returns records in the order they were last written, oldest
// first, from the cursor (q.After, q.AfterPK). The Seq and PK of the last
// one are the next page's cursor; fewer than q.Limit means the end. (An
// import writes many records in one transaction, under one Seq: the PK
// orders them.) Because every write moves a
// record to the end, a reader that pages to the end and later resumes from
// its last cursor sees every change made meanwhile, deletions included when
// q.IncludeDeleted is set — which is what backfill, reconciliation and
// harvesters with modified_since need.
func (db *DB) Changes(ctx context.Context, q ChangeQuery) ([]Change, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, MaxChangePage)
	docs := "records.doc"
	if q.IndexOnly {
		docs = "''"
	}
	query := `SELECT seq, pk, id, slug, origin, ` + docs + `, updated, deleted_at, NULL, version, hash FROM records WHERE (seq > ?1 OR (seq = ?1 AND pk > ?2))`
	switch {
	case q.Relayable && q.IndexOnly:
		query += ` AND (local = 1 OR EXISTS (SELECT 1 FROM record_documents d WHERE d.record = pk))`
	case q.Relayable:
		// The record's own document is read only where no signed one
		// stands for it.
		query = `SELECT seq, pk, id, slug, origin, CASE WHEN d.doc IS NULL THEN records.doc ELSE '' END, updated, deleted_at, d.doc, version, hash
			FROM records LEFT JOIN record_documents d ON d.record = pk
			WHERE (seq > ?1 OR (seq = ?1 AND pk > ?2)) AND (local = 1 OR d.doc IS NOT NULL)`
	}
	args := []any{q.After, q.AfterPK}
	if q.LocalOnly {
		query += ` AND local = 1`
	}
	if q.Origin != "" {
		query += ` AND origin = ?`
		args = append(args, q.Origin)
	}
	for _, h := range q.ExcludeHosts {
		// An origin is a base URL: its scheme, then the host.
		query += ` AND origin <> ? AND origin <> ?`
		args = append(args, "https://"+h, "http://"+h)
	}
	if !q.IncludeDeleted {
		query += ` AND deleted_at IS NULL`
	}
	if !q.ModifiedSince.IsZero() {
		ms := q.ModifiedSince.UnixMilli()
		query += ` AND (updated >= ? OR deleted_at >= ?)`
		args = append(args, ms, ms)
	}
	query += ` ORDER BY seq, pk LIMIT ?`
	args = append(args, q.Limit)
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var (
			c       Change
			doc     string
			updated int64
			deleted sql.NullInt64
		)
		if err := rows.Scan(&c.Seq, &c.PK, &c.ID, &c.Slug, &c.Origin, &doc, &updated, &deleted, &c.Signed, &c.Version, &c.Hash); err != nil {
			return nil, fmt.Errorf("list changes: %w", err)
		}
		c.Updated = fromMillis(updated)
		switch {
		case deleted.Valid:
			c.Deleted = true
			c.Updated = fromMillis(deleted.Int64)
		case c.Signed != nil, q.IndexOnly:
			// A copy is passed on as its origin signed it; decoding it
			// would be wasted.
		default:
			if c.Record, err = decodeRecord(doc); err != nil {
				return nil, fmt.Errorf("list changes: record %s: %w", c.ID, err)
			}
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list changes: %w", ctxErr(ctx, err))
	}
	return out, nil
}
