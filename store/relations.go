package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/commons-directory/commons"
)

// RelationTargets resolves the targets of rec's relations to the records
// the directory holds: by record IRI, Wikidata item, repository or
// publiccode.yml URL, or DOI (see TargetKeys). The map is keyed by
// target; a target that names no record held here is absent. A local
// record is preferred to a copy, then the oldest.
func (db *DB) RelationTargets(ctx context.Context, rec *commons.Record) (map[string]commons.Listing, error) {
	out := map[string]commons.Listing{}
	for _, rel := range rec.Relations {
		if _, done := out[rel.Target]; done {
			continue
		}
		for _, k := range TargetKeys(rel.Target) {
			var q string
			var arg any
			if id, ok := cutID(k); ok {
				q, arg = `SELECT id, slug, origin, doc FROM records WHERE id = ? AND deleted_at IS NULL`, id
			} else {
				q, arg = `SELECT o.id, o.slug, o.origin, o.doc FROM record_keys AS k JOIN records AS o ON o.pk = k.record
					WHERE k.key = ? AND o.deleted_at IS NULL ORDER BY o.local DESC, o.pk LIMIT 1`, k
			}
			l, err := scanListing(db.r.QueryRowContext(ctx, q, arg))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("resolve relation of %s to %s: %w", rec.ID, rel.Target, ctxErr(ctx, err))
			}
			if l.ID != rec.ID {
				l.Key = k
				out[rel.Target] = *l
			}
			break
		}
	}
	return out, nil
}

// ReverseRelations lists the live records whose relations name the record
// id: by its IRI or by one of its keys (Wikidata item, repository, …),
// ordered by type, then origin and slug.
func (db *DB) ReverseRelations(ctx context.Context, id string) ([]commons.Related, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT rk.type, o.id, o.slug, o.origin, o.doc, rk.key
		FROM records AS r
		JOIN relation_keys AS rk ON rk.key = 'id:' || r.id OR rk.key IN (SELECT key FROM record_keys WHERE record = r.pk)
		JOIN records AS o ON o.pk = rk.record
		WHERE r.id = ? AND o.pk <> r.pk AND o.deleted_at IS NULL
		GROUP BY rk.type, o.pk ORDER BY rk.type, o.origin, o.slug`, id)
	if err != nil {
		return nil, fmt.Errorf("list reverse relations of %s: %w", id, ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []commons.Related
	for rows.Next() {
		var rel commons.Related
		var doc string
		if err := rows.Scan(&rel.Type, &rel.ID, &rel.Slug, &rel.Origin, &doc, &rel.Key); err != nil {
			return nil, fmt.Errorf("list reverse relations of %s: %w", id, err)
		}
		r, err := decodeRecord(doc)
		if err != nil {
			return nil, fmt.Errorf("list reverse relations of %s: %w", id, err)
		}
		rel.Name = r.Name
		out = append(out, rel)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reverse relations of %s: %w", id, ctxErr(ctx, err))
	}
	return out, nil
}

func cutID(key string) (string, bool) {
	if len(key) > 3 && key[:3] == "id:" {
		return key[3:], true
	}
	return "", false
}

func scanListing(row scanner) (*commons.Listing, error) {
	var l commons.Listing
	var doc string
	if err := row.Scan(&l.ID, &l.Slug, &l.Origin, &doc); err != nil {
		return nil, err
	}
	r, err := decodeRecord(doc)
	if err != nil {
		return nil, err
	}
	l.Name = r.Name
	return &l, nil
}
