package store

import (
	"context"
	"database/sql"
	"fmt"
)

// PublishPost stores a post that is not the result of a record change (an
// editor's news, a funding call) and queues its activities, in one
// transaction.
func (db *DB) PublishPost(ctx context.Context, p Post, out []OutActivity) error {
	blocks, err := db.blockSnapshot(ctx)
	if err != nil {
		return fmt.Errorf("publish post %s: %w", p.ID, err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.putPost(ctx, tx, p); err != nil {
			return err
		}
		for _, a := range out {
			if err := db.enqueue(ctx, tx, blocks, a); err != nil {
				return fmt.Errorf("activity %s: %w", a.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("publish post %s: %w", p.ID, err)
	}
	return nil
}

// PublishPostOnce is PublishPost for a post whose id says what it
// announces (a call that opens, a deadline reminder): when a post with
// the id is stored already it writes nothing and returns false. The post
// is the marker, so a restart or a second process neither repeats nor
// loses one.
func (db *DB) PublishPostOnce(ctx context.Context, p Post, out []OutActivity) (bool, error) {
	blocks, err := db.blockSnapshot(ctx)
	if err != nil {
		return false, fmt.Errorf("publish post %s: %w", p.ID, err)
	}
	fresh := false
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE id = ?`, p.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := db.putPost(ctx, tx, p); err != nil {
			return err
		}
		for _, a := range out {
			if err := db.enqueue(ctx, tx, blocks, a); err != nil {
				return fmt.Errorf("activity %s: %w", a.ID, err)
			}
		}
		fresh = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("publish post %s: %w", p.ID, err)
	}
	return fresh, nil
}
