package store

import (
	"context"
	"fmt"

	"github.com/commons-directory/commons"
)

// AlsoListed returns the other live records, local or remote, that share
// an identifier key with the record id (see record_keys), by origin.
func (db *DB) AlsoListed(ctx context.Context, id string) ([]commons.Listing, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.slug, o.origin, o.doc, min(k2.key)
		FROM records AS r
		JOIN record_keys AS k1 ON k1.record = r.pk
		JOIN record_keys AS k2 ON k2.key = k1.key AND k2.record <> r.pk
		JOIN records AS o ON o.pk = k2.record
		WHERE r.id = ? AND o.deleted_at IS NULL
		GROUP BY o.pk ORDER BY o.origin, o.slug`, id)
	if err != nil {
		return nil, fmt.Errorf("list other listings of %s: %w", id, ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []commons.Listing
	for rows.Next() {
		var (
			l   commons.Listing
			doc string
		)
		if err := rows.Scan(&l.ID, &l.Slug, &l.Origin, &doc, &l.Key); err != nil {
			return nil, fmt.Errorf("list other listings of %s: %w", id, err)
		}
		r, err := decodeRecord(doc)
		if err != nil {
			return nil, fmt.Errorf("list other listings of %s: %w", id, err)
		}
		l.Name = r.Name
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list other listings of %s: %w", id, ctxErr(ctx, err))
	}
	return out, nil
}
