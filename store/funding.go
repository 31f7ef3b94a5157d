package store

import (
	"context"
	"fmt"

	"github.com/commons-directory/commons"
)

// FundingRecords calls fn with every live record, local or remote, that
// lists funding channels or calls, in slug order. Only those documents are
// read and decoded, so the funding page does not walk the whole directory.
func (db *DB) FundingRecords(ctx context.Context, fn func(*commons.Record) error) error {
	// LIKE is a cheap first sieve (a document without funding has no such
	// key), so that only funded documents are parsed as JSON.
	rows, err := db.r.QueryContext(ctx, `SELECT doc FROM records WHERE deleted_at IS NULL`+notProgramme+`
		AND doc LIKE '%"funding"%'
		AND `+db.d.funded+`
		ORDER BY slug, origin`)
	if err != nil {
		return fmt.Errorf("list funding records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return fmt.Errorf("list funding records: %w", err)
		}
		r, err := decodeRecord(doc)
		if err != nil {
			return fmt.Errorf("list funding records: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list funding records: %w", ctxErr(ctx, err))
	}
	return nil
}

// FundingChanges returns the records written after the change count
// after, so that a funding cache can be patched rather than built again:
// ids[i] is each one's IRI, and recs[i] the record when it is live and
// lists funding, nil when it was deleted or lists none. ok is false when
// more than limit records were written: reading every funded record is
// then cheaper.
func (db *DB) FundingChanges(ctx context.Context, after int64, limit int) (ids []string, recs []*commons.Record, ok bool, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, CASE WHEN deleted_at IS NULL`+notProgramme+` AND doc LIKE '%"funding"%'
			AND `+db.d.funded+`
			THEN doc END
		FROM records WHERE seq > ? LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, nil, false, fmt.Errorf("list funding changes: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var doc *string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, nil, false, fmt.Errorf("list funding changes: %w", err)
		}
		var r *commons.Record
		if doc != nil {
			if r, err = decodeRecord(*doc); err != nil {
				return nil, nil, false, fmt.Errorf("list funding changes: %w", err)
			}
		}
		ids, recs = append(ids, id), append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("list funding changes: %w", ctxErr(ctx, err))
	}
	if len(ids) > limit {
		return nil, nil, false, nil
	}
	return ids, recs, true, nil
}

// RecordChanges returns the records written after the change count
// after, so that a cache of the directory's commons can be patched rather
// than built again: ids[i] is each one's IRI, and recs[i] the record when
// it is a live commons, nil when it was deleted or is a funding programme.
// ok is false when more than limit records were written: reading every
// record is then cheaper.
func (db *DB) RecordChanges(ctx context.Context, after int64, limit int) (ids []string, recs []*commons.Record, ok bool, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, CASE WHEN deleted_at IS NULL`+notProgramme+` THEN doc END
		FROM records WHERE seq > ? LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, nil, false, fmt.Errorf("list record changes: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var doc *string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, nil, false, fmt.Errorf("list record changes: %w", err)
		}
		var r *commons.Record
		if doc != nil {
			if r, err = decodeRecord(*doc); err != nil {
				return nil, nil, false, fmt.Errorf("list record changes: %w", err)
			}
		}
		ids, recs = append(ids, id), append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("list record changes: %w", ctxErr(ctx, err))
	}
	if len(ids) > limit {
		return nil, nil, false, nil
	}
	return ids, recs, true, nil
}

// ChangeSeq returns the store's change counter, which every write, by
// this process or another, increments. A reader that keeps something it
// computed from the records can compare it to know whether to compute
// again; it costs one read of one row.
func (db *DB) ChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read change sequence: %w", ctxErr(ctx, err))
	}
	return seq, nil
}

// Programmes returns every live funding programme, local and remote, in
// slug order.
func (db *DB) Programmes(ctx context.Context) ([]*commons.Record, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT doc FROM records WHERE deleted_at IS NULL`+isProgramme+` ORDER BY slug, origin`)
	if err != nil {
		return nil, fmt.Errorf("list programmes: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []*commons.Record
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list programmes: %w", err)
		}
		r, err := decodeRecord(doc)
		if err != nil {
			return nil, fmt.Errorf("list programmes: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list programmes: %w", ctxErr(ctx, err))
	}
	return out, nil
}
