package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// Record returns the local record with the slug: ENOTFOUND if there is none,
// EGONE if it was deleted. The result is the caller's to change.
//
// Records come from a cache of decoded records (see cache.go) when they can,
// so this is a map lookup and a copy for popular records.
func (db *DB) Record(ctx context.Context, slug string) (*commons.Record, error) {
	db.maybeSync(ctx)
	if e, ok := db.recs.bySlug(slug); ok {
		return e.result(slug)
	}
	return db.loadRecord(ctx, `local = 1 AND slug = ?`, slug, slug)
}

// RecordByID returns any record, local or remote, by its IRI.
func (db *DB) RecordByID(ctx context.Context, id string) (*commons.Record, error) {
	db.maybeSync(ctx)
	if e, ok := db.recs.byID(id); ok {
		return e.result(id)
	}
	return db.loadRecord(ctx, `id = ?`, id, id)
}

// loadRecord reads one record from the database and caches it. what names
// the record in errors.
func (db *DB) loadRecord(ctx context.Context, where string, arg any, what string) (*commons.Record, error) {
	gen := db.recs.generation()
	var (
		pk      int64
		id      string
		slug    string
		local   bool
		doc     string
		deleted sql.NullInt64
	)
	err := db.r.QueryRowContext(ctx, `SELECT pk, id, slug, local, doc, deleted_at FROM records WHERE `+where, arg).
		Scan(&pk, &id, &slug, &local, &doc, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no record %s", what)
	} else if err != nil {
		return nil, fmt.Errorf("read record %s: %w", what, ctxErr(ctx, err))
	}
	var e cacheEntry
	if deleted.Valid {
		e.deleted = fromMillis(deleted.Int64)
	} else if e.rec, err = decodeRecord(doc); err != nil {
		return nil, fmt.Errorf("read record %s: %w", what, err)
	}
	if !local {
		slug = ""
	}
	db.recs.put(gen, pk, slug, id, e)
	return e.result(what)
}

// result returns a copy of the cached record, or EGONE for a tombstone.
func (e cacheEntry) result(what string) (*commons.Record, error) {
	if e.rec == nil {
		return nil, commons.Errorf(commons.EGONE, "record %s was deleted on %s", what, e.deleted.Format(time.DateOnly))
	}
	return cloneRecord(e.rec), nil
}

func decodeRecord(doc string) (*commons.Record, error) {
	r := new(commons.Record)
	if err := json.Unmarshal([]byte(doc), r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return r, nil
}

// recordID returns the IRI of the local record with the slug.
func (db *DB) recordID(slug string) string { return db.base + "/records/" + slug }

// CreateRecord stores a new local record. It normalises and validates r,
// sets its ID and provenance (version 1, source "manual" unless r names one
// of commons.Sources), and records a "create" revision by actor. ECONFLICT if
// the slug belongs to another record, live or deleted.
func (db *DB) CreateRecord(ctx context.Context, r *commons.Record, actor string) error {
	r.Normalize()
	if err := r.Validate(); err != nil {
		return err
	}
	now := db.nowMillis()
	c := *r
	c.ID = db.recordID(r.Slug)
	c.Provenance = commons.Provenance{
		Origin:        db.base,
		Source:        sourceOr(r.Provenance.Source, "manual"),
		SourceURL:     r.Provenance.SourceURL,
		SourceVersion: r.Provenance.SourceVersion,
		Created:       now,
		Updated:       now,
		Version:       1,
		Hash:          r.ContentHash(),
	}
	enc, err := encode(&c)
	if err != nil {
		return fmt.Errorf("create record %s: %w", r.Slug, err)
	}
	err = db.write(ctx, func(tx *sql.Tx, seq int64) error {
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		cur, err := w.current(c.Slug)
		if err != nil {
			return err
		}
		if cur != nil {
			return slugTaken(c.Slug, cur)
		}
		return w.insert(&c, enc, actor)
	})
	if err != nil {
		return fmt.Errorf("create record %s: %w", r.Slug, err)
	}
	r.ID, r.Provenance = c.ID, c.Provenance
	return nil
}

// slugTaken is the conflict for a slug held by cur.
func slugTaken(slug string, cur *storedRecord) error {
	if cur.deleted {
		return commons.Errorf(commons.ECONFLICT,
			"the slug %s belonged to a deleted record; it stays reserved so that its address keeps answering 410 Gone", slug)
	}
	return commons.Errorf(commons.ECONFLICT, "the slug %s is taken by another record", slug)
}

// sourceOr returns src if it is one of commons.Sources, otherwise def.
func sourceOr(src, def string) string {
	if slices.Contains(commons.Sources, src) {
		return src
	}
	return def
}

// UpdateRecord replaces the content of the local record r.Slug. If ifVersion
// is positive it must be the stored version (EPRECONDITION otherwise).
// ENOTFOUND / EGONE for a missing or deleted record. When the content is
// unchanged nothing is written; either way r is filled with the stored
// result: ID and provenance (Created, Origin and Source are kept, Version and
// Updated move on a change).
func (db *DB) UpdateRecord(ctx context.Context, r *commons.Record, ifVersion int, actor string) error {
	r.Normalize()
	if err := r.Validate(); err != nil {
		return err
	}
	var stored commons.Record
	err := db.write(ctx, func(tx *sql.Tx, seq int64) error {
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		cur, err := w.currentLive(r.Slug, ifVersion)
		if err != nil {
			return err
		}
		old, err := decodeRecord(cur.doc)
		if err != nil {
			return err
		}
		stored = *r
		stored.ID = old.ID
		stored.Provenance = old.Provenance
		if hash := r.ContentHash(); hash != old.Provenance.Hash {
			stored.Provenance.Updated = db.nowMillis()
			stored.Provenance.Version = cur.version + 1
			stored.Provenance.Hash = hash
			if r.Provenance.SourceURL != "" {
				stored.Provenance.SourceURL = r.Provenance.SourceURL
			}
			if r.Provenance.SourceVersion != "" {
				stored.Provenance.SourceVersion = r.Provenance.SourceVersion
			}
			enc, err := encode(&stored)
			if err != nil {
				return err
			}
			return w.update(cur, &stored, enc, actor)
		}
		return errNoChange
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return fmt.Errorf("update record %s: %w", r.Slug, err)
	}
	r.ID, r.Provenance = stored.ID, stored.Provenance
	return nil
}

// DeleteRecord deletes the local record with the slug, keeping a tombstone so
// that its address answers 410 Gone and its slug is never reused, and records
// a "delete" revision holding the deleted record.
func (db *DB) DeleteRecord(ctx context.Context, slug string, ifVersion int, actor string) error {
	err := db.write(ctx, func(tx *sql.Tx, seq int64) error {
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		cur, err := w.currentLive(slug, ifVersion)
		if err != nil {
			return err
		}
		return w.delete(cur, db.nowMillis(), actor)
	})
	if err != nil {
		return fmt.Errorf("delete record %s: %w", slug, err)
	}
	return nil
}

// RecordHistory returns the revisions of the local record with the slug,
// newest first. Each revision carries the version the change produced (for
// a deletion, the version deleted) and the record the change replaced.
// A deleted record keeps its history.
func (db *DB) RecordHistory(ctx context.Context, slug string) ([]commons.Revision, error) {
	return db.recordHistory(ctx, `local = 1 AND slug = ?`, slug)
}

// RecordHistoryByID returns the changes of any record, local or remote,
// newest first: for a remote copy, the versions this instance received.
func (db *DB) RecordHistoryByID(ctx context.Context, id string) ([]commons.Revision, error) {
	return db.recordHistory(ctx, `id = ?`, id)
}

func (db *DB) recordHistory(ctx context.Context, where, slug string) ([]commons.Revision, error) {
	var pk int64
	err := db.r.QueryRowContext(ctx, `SELECT pk FROM records WHERE `+where, slug).Scan(&pk)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no record %s", slug)
	} else if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", slug, err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT version, action, actor, at, previous FROM record_history
		WHERE record = ? ORDER BY hid DESC`, pk)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", slug, err)
	}
	defer rows.Close()
	var revs []commons.Revision
	for rows.Next() {
		var rev commons.Revision
		var at int64
		var prev sql.NullString
		if err := rows.Scan(&rev.Version, &rev.Action, &rev.Actor, &at, &prev); err != nil {
			return nil, fmt.Errorf("read history of %s: %w", slug, err)
		}
		rev.At = fromMillis(at)
		if prev.Valid {
			if rev.Previous, err = decodeRecord(prev.String); err != nil {
				return nil, fmt.Errorf("read history of %s: %w", slug, err)
			}
		}
		revs = append(revs, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of %s: %w", slug, err)
	}
	return revs, nil
}

// CountRecords returns how many live local and remote records there are.
func (db *DB) CountRecords(ctx context.Context) (local, remote int, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT local, count(*) FROM records WHERE deleted_at IS NULL`+notProgramme+` GROUP BY local`)
	if err != nil {
		return 0, 0, fmt.Errorf("count records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var isLocal bool
		var n int
		if err := rows.Scan(&isLocal, &n); err != nil {
			return 0, 0, fmt.Errorf("count records: %w", err)
		}
		if isLocal {
			local = n
		} else {
			remote = n
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("count records: %w", err)
	}
	return local, remote, nil
}

// ExportRecords calls fn with every live record, local ones only unless
// includeRemote, in slug order (then origin), reading as it goes. An error
// from fn stops the export and is returned as is.
func (db *DB) ExportRecords(ctx context.Context, includeRemote bool, fn func(*commons.Record) error) error {
	q := `SELECT doc FROM records WHERE deleted_at IS NULL AND local = 1` + notProgramme + ` ORDER BY slug, origin`
	if includeRemote {
		q = `SELECT doc FROM records WHERE deleted_at IS NULL` + notProgramme + ` ORDER BY slug, origin`
	}
	rows, err := db.r.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("export records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return fmt.Errorf("export records: %w", err)
		}
		r, err := decodeRecord(doc)
		if err != nil {
			return fmt.Errorf("export records: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export records: %w", ctxErr(ctx, err))
	}
	return nil
}

// recordsByPK returns copies of the live records with the primary keys, in
// the same order, from the cache or in one query. Records deleted meanwhile
// are left out.
func (db *DB) recordsByPK(ctx context.Context, pks []int64) ([]*commons.Record, error) {
	out, err := db.sharedRecords(ctx, pks)
	if err != nil {
		return nil, err
	}
	recs := make([]*commons.Record, 0, len(out))
	for _, r := range out {
		if r != nil {
			recs = append(recs, cloneRecord(r))
		}
	}
	return recs, nil
}

// sharedRecords returns the live records with the pks, by pk (nil for a
// record that is not live), as the record cache shares them: the caller
// must not change them.
func (db *DB) sharedRecords(ctx context.Context, pks []int64) ([]*commons.Record, error) {
	out := make([]*commons.Record, len(pks))
	var missing []any
	for i, pk := range pks {
		if e, ok := db.recs.get(pk); ok {
			out[i] = e.rec
		} else {
			missing = append(missing, pk)
		}
	}
	if len(missing) > 0 {
		gen := db.recs.generation()
		rows, err := db.r.QueryContext(ctx, `SELECT pk, id, slug, local, doc FROM records
			WHERE deleted_at IS NULL AND pk IN (?`+strings.Repeat(",?", len(missing)-1)+`)`, missing...)
		if err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		defer rows.Close()
		found := map[int64]*commons.Record{}
		for rows.Next() {
			var (
				pk            int64
				id, slug, doc string
				local         bool
			)
			if err := rows.Scan(&pk, &id, &slug, &local, &doc); err != nil {
				return nil, fmt.Errorf("read records: %w", err)
			}
			r, err := decodeRecord(doc)
			if err != nil {
				return nil, fmt.Errorf("read record %s: %w", id, err)
			}
			if !local {
				slug = ""
			}
			db.recs.put(gen, pk, slug, id, cacheEntry{rec: r})
			found[pk] = r
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		for i, pk := range pks {
			if out[i] == nil {
				out[i] = found[pk]
			}
		}
	}
	return out, nil
}
