package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/commons-directory/commons"
)

// Tokens lists the live (unrevoked) API tokens of every user, by user name
// then newest first. Only what the tokens table keeps is returned: the
// secrets themselves were never stored.
func (db *DB) Tokens(ctx context.Context) ([]commons.Token, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT t.id, u.name, t.label, t.created, t.last_used
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.revoked_at IS NULL ORDER BY u.name, t.created DESC, t.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []commons.Token
	for rows.Next() {
		var (
			t        commons.Token
			created  int64
			lastUsed sql.NullInt64
		)
		if err := rows.Scan(&t.ID, &t.User, &t.Label, &created, &lastUsed); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.Created = fromMillis(created)
		if lastUsed.Valid {
			t.LastUsed = fromMillis(lastUsed.Int64)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", ctxErr(ctx, err))
	}
	return out, nil
}

// RevokeTokenID revokes the live token with the id that Tokens listed.
// ENOTFOUND if there is none (unknown or already revoked).
func (db *DB) RevokeTokenID(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		millis(db.nowMillis()), id)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	} else if n == 0 {
		return commons.Errorf(commons.ENOTFOUND, "no such token")
	}
	return nil
}
