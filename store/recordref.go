package store

import (
	"context"
	"time"

	"github.com/commons-directory/commons"
)

// RecordRef is what a cache keyed by record needs to know of a local
// record: its IRI and the version and content hash that change with it.
type RecordRef struct {
	ID      string
	Version int
	Hash    string
}

// RecordRef returns the IRI, version and hash of the local record with the
// slug, without copying the record: the hot read paths (actor documents,
// WebFinger) serve prepared bytes and only need to know whether those are
// still current. Errors are those of Record: ENOTFOUND, EGONE for a
// deleted record.
func (db *DB) RecordRef(ctx context.Context, slug string) (RecordRef, error) {
	db.maybeSync(ctx)
	e, ok := db.recs.bySlug(slug)
	if !ok {
		// Not cached: load it (which caches it) and read the copy.
		rec, err := db.loadRecord(ctx, `local = 1 AND slug = ?`, slug, slug)
		if err != nil {
			return RecordRef{}, err
		}
		return RecordRef{ID: rec.ID, Version: rec.Provenance.Version, Hash: rec.Provenance.Hash}, nil
	}
	if e.rec == nil {
		return RecordRef{}, commons.Errorf(commons.EGONE, "record %s was deleted on %s", slug, e.deleted.Format(time.DateOnly))
	}
	return RecordRef{ID: e.rec.ID, Version: e.rec.Provenance.Version, Hash: e.rec.Provenance.Hash}, nil
}

// RecordVersion is RecordRef for callers that do not import store (web):
// the IRI, version and content hash of the live local record with the slug.
func (db *DB) RecordVersion(ctx context.Context, slug string) (id string, version int, hash string, err error) {
	ref, err := db.RecordRef(ctx, slug)
	return ref.ID, ref.Version, ref.Hash, err
}
