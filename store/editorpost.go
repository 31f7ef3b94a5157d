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
