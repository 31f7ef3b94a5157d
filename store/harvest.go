package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/commons-directory/commons"
)

// Harvest is a publiccode.yml the instance re-reads on a schedule, with
// what its last reads gave.
type Harvest struct {
	URL          string    // as the operator listed it
	FileURL      string    // the publiccode.yml read
	AddedAt      time.Time //
	NextAt       time.Time // due from then on
	ReadAt       time.Time // the last attempt (zero: never)
	OKAt         time.Time // the last successful read (zero: never)
	ETag         string    // validators of the last file read, for a conditional request
	LastModified string    //
	Record       string    // slug of the record the file fills
	Result       string    // created, updated, unchanged, not-modified or failed
	Error        string    // why the last attempt failed
}

const harvestColumns = `url, file_url, added_at, next_at, read_at, ok_at, etag, last_modified, record, result, error`

func scanHarvest(row interface{ Scan(...any) error }) (*Harvest, error) {
	var (
		h            Harvest
		added, next  int64
		readAt, okAt sql.NullInt64
	)
	if err := row.Scan(&h.URL, &h.FileURL, &added, &next, &readAt, &okAt, &h.ETag, &h.LastModified, &h.Record, &h.Result, &h.Error); err != nil {
		return nil, err
	}
	h.AddedAt, h.NextAt = fromMillis(added), fromMillis(next)
	if readAt.Valid {
		h.ReadAt = fromMillis(readAt.Int64)
	}
	if okAt.Valid {
		h.OKAt = fromMillis(okAt.Int64)
	}
	return &h, nil
}

// AddHarvest lists a publiccode.yml (url, read at fileURL) to re-read,
// due at once. ECONFLICT if url is listed already.
func (db *DB) AddHarvest(ctx context.Context, url, fileURL string) (*Harvest, error) {
	now := db.nowMillis()
	h := &Harvest{URL: url, FileURL: fileURL, AddedAt: now, NextAt: now}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO harvests (url, file_url, added_at, next_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (url) DO NOTHING`, url, fileURL, millis(now), millis(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return commons.Errorf(commons.ECONFLICT, "%s is listed already", url)
		}
		return nil
	})
	if err != nil {
		if commons.ErrorCode(err) == commons.ECONFLICT {
			return nil, err
		}
		return nil, fmt.Errorf("add harvest %s: %w", url, err)
	}
	return h, nil
}

// RemoveHarvest stops re-reading url; the record it filled stays.
// ENOTFOUND if url is not listed.
func (db *DB) RemoveHarvest(ctx context.Context, url string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM harvests WHERE url = ?`, url)
	if err != nil {
		return fmt.Errorf("remove harvest %s: %w", url, ctxErr(ctx, err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return commons.Errorf(commons.ENOTFOUND, "%s is not listed", url)
	}
	return nil
}

// Harvest returns the listed url: ENOTFOUND if none.
func (db *DB) Harvest(ctx context.Context, url string) (*Harvest, error) {
	h, err := scanHarvest(db.r.QueryRowContext(ctx, `SELECT `+harvestColumns+` FROM harvests WHERE url = ?`, url))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "%s is not listed", url)
	} else if err != nil {
		return nil, fmt.Errorf("read harvest %s: %w", url, ctxErr(ctx, err))
	}
	return h, nil
}

// HarvestOfRecord returns the listed file that fills the record slug
// (the one read last, if several do): ENOTFOUND if none.
func (db *DB) HarvestOfRecord(ctx context.Context, slug string) (*Harvest, error) {
	h, err := scanHarvest(db.r.QueryRowContext(ctx, `SELECT `+harvestColumns+` FROM harvests WHERE record = ? ORDER BY ok_at DESC LIMIT 1`, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no listed file fills record %s", slug)
	} else if err != nil {
		return nil, fmt.Errorf("read the harvest of %s: %w", slug, ctxErr(ctx, err))
	}
	return h, nil
}

// Harvests returns every listed file, failed ones first, then by URL.
func (db *DB) Harvests(ctx context.Context) ([]Harvest, error) {
	return db.harvests(ctx, `SELECT `+harvestColumns+` FROM harvests ORDER BY error = '', url`)
}

func (db *DB) harvests(ctx context.Context, query string, args ...any) ([]Harvest, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list harvests: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []Harvest
	for rows.Next() {
		h, err := scanHarvest(rows)
		if err != nil {
			return nil, fmt.Errorf("list harvests: %w", err)
		}
		out = append(out, *h)
	}
	return out, rows.Err()
}

// MinHarvestGap is the least time between two reads of one file, whatever
// the schedule or a restart says.
const MinHarvestGap = time.Minute

// ClaimDueHarvests returns up to limit listed files that are due and were
// not read in the last MinHarvestGap, and marks them read now, in one
// transaction: two claimers (or a restart) never read a file twice in a
// minute.
func (db *DB) ClaimDueHarvests(ctx context.Context, limit int) ([]Harvest, error) {
	now := db.nowMillis()
	var out []Harvest
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+harvestColumns+` FROM harvests
			WHERE next_at <= ?1 AND (read_at IS NULL OR read_at <= ?2) ORDER BY next_at, url LIMIT ?3`,
			millis(now), millis(now.Add(-MinHarvestGap)), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			h, err := scanHarvest(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, *h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE harvests SET read_at = ? WHERE url = ?`, millis(now), out[i].URL); err != nil {
				return err
			}
			out[i].ReadAt = now
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim due harvests: %w", err)
	}
	return out, nil
}

// MakeHarvestsDue makes every listed file due now (commonsd harvest run);
// ClaimDueHarvests still skips those read in the last minute.
func (db *DB) MakeHarvestsDue(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE harvests SET next_at = ? WHERE next_at > ?`, millis(db.nowMillis()), millis(db.nowMillis())); err != nil {
		return fmt.Errorf("make harvests due: %w", ctxErr(ctx, err))
	}
	return nil
}

// HarvestResult is what one read of a listed file gave.
type HarvestResult struct {
	OK           bool      // the file was read (200 or 304)
	Result       string    // created, updated, unchanged, not-modified or failed
	Error        string    // why it failed
	Record       string    // slug of the record it fills ("" keeps the last)
	FileURL      string    // where the file was found ("" keeps the last)
	ETag         string    // validators to send next time (on a 200)
	LastModified string    //
	NextAt       time.Time // when it is due again
}

// SaveHarvestResult records one read of url. A failed read keeps the
// validators and the time of the last successful read.
func (db *DB) SaveHarvestResult(ctx context.Context, url string, r HarvestResult) error {
	now := db.nowMillis()
	var err error
	if r.OK {
		_, err = db.w.ExecContext(ctx, `UPDATE harvests SET ok_at = ?1, next_at = ?2, result = ?3, error = '',
			etag = CASE WHEN ?3 = 'not-modified' THEN etag ELSE ?4 END,
			last_modified = CASE WHEN ?3 = 'not-modified' THEN last_modified ELSE ?5 END,
			record = CASE WHEN ?6 = '' THEN record ELSE ?6 END,
			file_url = CASE WHEN ?8 = '' THEN file_url ELSE ?8 END WHERE url = ?7`,
			millis(now), millis(r.NextAt), r.Result, r.ETag, r.LastModified, r.Record, url, r.FileURL)
	} else {
		_, err = db.w.ExecContext(ctx, `UPDATE harvests SET next_at = ?, result = 'failed', error = ? WHERE url = ?`,
			millis(r.NextAt), r.Error, url)
	}
	if err != nil {
		return fmt.Errorf("save harvest of %s: %w", url, ctxErr(ctx, err))
	}
	return nil
}
