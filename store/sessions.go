package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/commons-directory/commons"
)

// sessionPrefix starts every session secret, like tokenPrefix for tokens.
const sessionPrefix = "cds_"

// CreateSession opens a browser session for the user that lasts ttl and
// returns its secret, which only the cookie keeps: the database stores its
// SHA-256. Expired sessions of every user are swept on the way.
func (db *DB) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	var key [32]byte
	rand.Read(key[:]) // never fails (crypto/rand)
	secret := sessionPrefix + base64.RawURLEncoding.EncodeToString(key[:])
	now := db.nowMillis()
	if _, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, millis(now)); err != nil {
		return "", fmt.Errorf("sweep sessions: %w", err)
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, created, expires) VALUES (?, ?, ?, ?)`,
		tokenHash(secret), userID, millis(now), millis(now.Add(ttl)))
	if err != nil {
		return "", fmt.Errorf("create session for user %d: %w", userID, err)
	}
	return secret, nil
}

// SessionUser returns the user of a live session, EUNAUTHORIZED otherwise.
func (db *DB) SessionUser(ctx context.Context, secret string) (*commons.User, error) {
	u := &commons.User{}
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.created FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.hash = ? AND s.expires > ?`, tokenHash(secret), millis(db.nowMillis())).Scan(&u.ID, &u.Name, &u.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, commons.Errorf(commons.EUNAUTHORIZED, "the session is unknown or expired")
	} else if err != nil {
		return nil, fmt.Errorf("look up session: %w", err)
	}
	u.Created = fromMillis(created)
	return u, nil
}

// DeleteSession ends one session (logout). Ending an unknown one is not an
// error.
func (db *DB) DeleteSession(ctx context.Context, secret string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, tokenHash(secret)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user (log out everywhere)
// and returns how many there were.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// LoginLockedUntil returns until when the most locked of keys is locked
// out, or the zero time when none is.
func (db *DB) LoginLockedUntil(ctx context.Context, keys ...string) (time.Time, error) {
	var until int64
	for _, k := range keys {
		var u int64
		err := db.r.QueryRowContext(ctx, `SELECT locked_until FROM login_failures WHERE key = ?`, k).Scan(&u)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, fmt.Errorf("read login failures of %s: %w", k, err)
		}
		until = max(until, u)
	}
	if until <= millis(db.nowMillis()) {
		return time.Time{}, nil
	}
	return fromMillis(until), nil
}

// NoteLoginFailure counts a failed login against key. Failures older than
// window start the count again; at limit failures the key is locked for
// lock. It returns the count.
func (db *DB) NoteLoginFailure(ctx context.Context, key string, limit int, window, lock time.Duration) (int, error) {
	now := millis(db.nowMillis())
	var n int
	err := db.w.QueryRowContext(ctx, `INSERT INTO login_failures (key, count, first_at) VALUES (?1, 1, ?2)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN login_failures.first_at <= ?2 - ?3 THEN 1 ELSE login_failures.count + 1 END,
			first_at = CASE WHEN login_failures.first_at <= ?2 - ?3 THEN ?2 ELSE login_failures.first_at END
		RETURNING count`, key, now, window.Milliseconds()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("note login failure of %s: %w", key, err)
	}
	if n >= limit {
		if _, err := db.w.ExecContext(ctx, `UPDATE login_failures SET locked_until = ?, count = 0, first_at = ? WHERE key = ?`,
			now+lock.Milliseconds(), now, key); err != nil {
			return n, fmt.Errorf("lock out %s: %w", key, err)
		}
	}
	return n, nil
}

// ClearLoginFailures forgets the failures of key after a good login.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, key); err != nil {
		return fmt.Errorf("clear login failures of %s: %w", key, err)
	}
	return nil
}

// SetRole changes a user's role. EINVALID for an unknown role, ENOTFOUND
// for an unknown user.
func (db *DB) SetRole(ctx context.Context, name, role string) error {
	if role != commons.RoleAdmin && role != commons.RoleEditor {
		return &commons.Error{Code: commons.EINVALID, Message: "the role is invalid",
			Fields: []commons.FieldError{{Field: "role", Message: "must be admin or editor"}}}
	}
	res, err := db.w.ExecContext(ctx, `UPDATE users SET role = ? WHERE name = ?`, role, name)
	if err != nil {
		return fmt.Errorf("set role of %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return commons.Errorf(commons.ENOTFOUND, "no user %s", name)
	}
	return nil
}
