package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/commons-directory/commons"
)

// CopySocial is what this instance last learnt of a remote record at its
// origin: its follower count (-1 when the origin does not say), the
// version of the record it was fetched for, and when.
type CopySocial struct {
	Followers int
	Version   int
	FetchedAt time.Time
}

// CopySocial returns the cached social facts of the remote record id:
// ENOTFOUND when none were fetched yet.
func (db *DB) CopySocial(ctx context.Context, id string) (*CopySocial, error) {
	var c CopySocial
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT c.followers, c.version, c.fetched_at FROM copy_social AS c
		JOIN records AS r ON r.pk = c.record WHERE r.id = ?`, id).Scan(&c.Followers, &c.Version, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.ENOTFOUND, "nothing fetched for %s", id)
	} else if err != nil {
		return nil, fmt.Errorf("read copy %s: %w", id, ctxErr(ctx, err))
	}
	c.FetchedAt = fromMillis(at)
	return &c, nil
}

// PutCopySocial stores what was fetched about the remote record id, and
// its posts (newest or not, each replacing the stored one with its id), in
// one transaction. ENOTFOUND if id is no remote record held here.
func (db *DB) PutCopySocial(ctx context.Context, id string, c CopySocial, posts []Post) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		pk, err := remotePK(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO copy_social (record, followers, version, fetched_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (record) DO UPDATE SET followers = excluded.followers,
			version = excluded.version, fetched_at = excluded.fetched_at`, pk, c.Followers, c.Version, millis(c.FetchedAt)); err != nil {
			return err
		}
		for _, p := range posts {
			p.RecordPK, p.Actor = pk, id
			if err := db.putPost(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store copy %s: %w", id, err)
	}
	return nil
}

// PutCopyPost stores a post of the remote record id, as its origin sent
// it. ENOTFOUND if id is no remote record held here.
func (db *DB) PutCopyPost(ctx context.Context, id string, p Post) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		pk, err := remotePK(ctx, tx, id)
		if err != nil {
			return err
		}
		p.RecordPK, p.Actor = pk, id
		return db.putPost(ctx, tx, p)
	})
	if err != nil {
		return fmt.Errorf("store post %s of %s: %w", p.ID, id, err)
	}
	return nil
}

// DeleteCopyPost tombstones a post of a remote record that its author
// deleted; a post not held here is no error.
func (db *DB) DeleteCopyPost(ctx context.Context, actor, id string, at time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE posts SET deleted_at = ? WHERE id = ? AND actor = ?
			AND record IN (SELECT pk FROM records WHERE local = 0)`, millis(at), id, actor)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete post %s: %w", id, err)
	}
	return nil
}

func remotePK(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
	var pk int64
	err := tx.QueryRowContext(ctx, `SELECT pk FROM records WHERE id = ? AND local = 0 AND deleted_at IS NULL`, id).Scan(&pk)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, commons.Errorf(commons.ENOTFOUND, "no copy of %s", id)
	}
	return pk, err
}
