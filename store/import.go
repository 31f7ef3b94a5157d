package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/commons-directory/commons"
)

// ImportOptions controls ImportRecords.
type ImportOptions struct {
	Actor       string // recorded in history
	SkipInvalid bool   // store the valid records and report each rejected one; otherwise all-or-nothing
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Unchanged int
	Rejected                    []ImportRejection
}

// ImportRejection is a record an import refused.
type ImportRejection struct {
	Index int    // position in the input (the CLI turns it into a line number)
	Slug  string //
	Err   error  // *commons.Error: EINVALID with Fields, or ECONFLICT
}

// importItem is one input record, checked and prepared outside the write
// transaction.
type importItem struct {
	r    *commons.Record
	hash string
	err  error
}

// ImportRecords upserts local records by slug in one transaction: a new slug
// is created, an existing one updated if its content differs (keeping
// Created), and left alone otherwise. Provenance.Source comes from each record
// if it is one of commons.Sources, else "import". Each stored record gets its
// ID and provenance filled in, as CreateRecord does.
//
// Without SkipInvalid, the first invalid or conflicting record aborts the
// whole import: the error's message names its index and slug ("record 3
// (osm): …") and its Fields are prefixed "records[3].". With SkipInvalid the
// others are stored and each refused record is reported in Rejected.
func (db *DB) ImportRecords(ctx context.Context, rs []*commons.Record, opts ImportOptions) (*ImportResult, error) {
	items := db.prepareImport(rs)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("import records: %w", err)
	}
	res := &ImportResult{}
	first := map[string]int{}
	for i, it := range items {
		if it.err == nil {
			if j, dup := first[it.r.Slug]; dup {
				items[i].err = commons.Errorf(commons.ECONFLICT, "the slug %s is also record %d of this import", it.r.Slug, j)
			} else {
				first[it.r.Slug] = i
			}
		}
		if items[i].err != nil {
			if !opts.SkipInvalid {
				return nil, importError(i, rs[i], items[i].err)
			}
			res.Rejected = append(res.Rejected, ImportRejection{Index: i, Slug: rsSlug(rs[i]), Err: items[i].err})
		}
	}
	stored := make([]commons.Record, len(items))
	err := db.write(ctx, func(tx *sql.Tx, seq int64) error {
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		now := db.nowMillis()
		for i, it := range items {
			if it.err != nil {
				continue
			}
			action, err := db.importOne(w, it, &stored[i], opts.Actor, now)
			var ce *commons.Error
			if errors.As(err, &ce) && ce.Code == commons.ECONFLICT && opts.SkipInvalid {
				items[i].err = err
				res.Rejected = append(res.Rejected, ImportRejection{Index: i, Slug: it.r.Slug, Err: err})
				continue
			} else if errors.As(err, &ce) {
				return importError(i, it.r, err)
			} else if err != nil {
				return fmt.Errorf("record %d (%s): %w", i, it.r.Slug, err)
			}
			switch action {
			case "create":
				res.Created++
			case "update":
				res.Updated++
			default:
				res.Unchanged++
			}
		}
		if res.Created+res.Updated == 0 {
			return errNoChange
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, fmt.Errorf("import records: %w", err)
	}
	for i, it := range items {
		if it.err == nil {
			rs[i].ID, rs[i].Provenance = stored[i].ID, stored[i].Provenance
		}
	}
	sort.Slice(res.Rejected, func(i, j int) bool { return res.Rejected[i].Index < res.Rejected[j].Index })
	return res, nil
}

// prepareImport normalises, validates and hashes the records on every core:
// validation (SPDX parsing) and hashing cost more than the inserts.
func (db *DB) prepareImport(rs []*commons.Record) []importItem {
	items := make([]importItem, len(rs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rs)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rs); i += workers {
				r := rs[i]
				if r == nil {
					items[i].err = commons.Errorf(commons.EINVALID, "the record is empty")
					continue
				}
				r.Normalize()
				if err := r.Validate(); err != nil {
					items[i].err = err
					continue
				}
				items[i] = importItem{r: r, hash: r.ContentHash()}
			}
		})
	}
	wg.Wait()
	return items
}

// importOne creates or updates one valid record and reports which it did
// ("create", "update" or "" when unchanged). out receives the stored record.
func (db *DB) importOne(w *recordWriter, it importItem, out *commons.Record, actor string, now time.Time) (string, error) {
	r := it.r
	cur, err := w.current(r.Slug)
	if err != nil {
		return "", err
	}
	*out = *r
	if cur == nil {
		out.ID = db.recordID(r.Slug)
		out.Provenance = commons.Provenance{
			Origin:    db.base,
			Source:    sourceOr(r.Provenance.Source, "import"),
			SourceURL: r.Provenance.SourceURL,
			Created:   now,
			Updated:   now,
			Version:   1,
			Hash:      it.hash,
		}
		return "create", w.insert(out, actor)
	}
	if cur.deleted {
		return "", slugTaken(r.Slug, cur)
	}
	var old struct {
		ID         string             `json:"id"`
		Provenance commons.Provenance `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(cur.doc), &old); err != nil {
		return "", fmt.Errorf("decode record: %w", err)
	}
	out.ID, out.Provenance = old.ID, old.Provenance
	if cur.hash == it.hash {
		return "", nil
	}
	out.Provenance.Source = sourceOr(r.Provenance.Source, "import")
	if r.Provenance.SourceURL != "" {
		out.Provenance.SourceURL = r.Provenance.SourceURL
	}
	out.Provenance.Updated = now
	out.Provenance.Version = cur.version + 1
	out.Provenance.Hash = it.hash
	return "update", w.update(cur, out, actor)
}

// importError names the record in an application error: its message gets
// "record i (slug): " in front and its fields "records[i].".
func importError(i int, r *commons.Record, err error) error {
	var ce *commons.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("record %d (%s): %w", i, rsSlug(r), err)
	}
	out := &commons.Error{Code: ce.Code, Message: fmt.Sprintf("record %d (%s): %s", i, rsSlug(r), ce.Message)}
	prefix := fmt.Sprintf("records[%d].", i)
	for _, f := range ce.Fields {
		out.Fields = append(out.Fields, commons.FieldError{Field: prefix + f.Field, Message: f.Message})
	}
	return out
}

func rsSlug(r *commons.Record) string {
	if r == nil {
		return ""
	}
	return r.Slug
}
