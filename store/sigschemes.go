package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SignatureSchemes returns the HTTP signature scheme each remote host
// accepted last ("rfc9421" or "draft-cavage"), by host[:port].
func (db *DB) SignatureSchemes(ctx context.Context) (map[string]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT host, scheme FROM signature_schemes`)
	if err != nil {
		return nil, fmt.Errorf("read signature schemes: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var host, scheme string
		if err := rows.Scan(&host, &scheme); err != nil {
			return nil, fmt.Errorf("read signature schemes: %w", err)
		}
		out[host] = scheme
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read signature schemes: %w", ctxErr(ctx, err))
	}
	return out, nil
}

// SetSignatureScheme records the scheme host accepted at at.
func (db *DB) SetSignatureScheme(ctx context.Context, host, scheme string, at time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO signature_schemes (host, scheme, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (host) DO UPDATE SET scheme = excluded.scheme, updated_at = excluded.updated_at`, host, scheme, millis(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("record the signature scheme of %s: %w", host, err)
	}
	return nil
}
