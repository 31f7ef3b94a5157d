package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/commons-directory/commons"
)

// LocalRecordByIdentifier returns the live local record that carries the
// identifier {scheme, value} (e.g. {"publiccode", <repository URL>}), the
// oldest if several do: ENOTFOUND if none. An importer uses it to update
// the record a file created before rather than add a second one.
//
// It scans the local records' documents with json_each: identifiers are
// few per record and imports are rare, so no index is kept for them.
func (db *DB) LocalRecordByIdentifier(ctx context.Context, scheme, value string) (*commons.Record, error) {
	db.maybeSync(ctx)
	var slug string
	err := db.r.QueryRowContext(ctx, `SELECT r.slug FROM `+db.d.identifierMatch+`
		ORDER BY r.pk LIMIT 1`, scheme, value).Scan(&slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no local record has the %s identifier %s", scheme, value)
	} else if err != nil {
		return nil, fmt.Errorf("find record by %s identifier: %w", scheme, ctxErr(ctx, err))
	}
	return db.Record(ctx, slug)
}
