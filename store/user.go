package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/commons-directory/commons"
)

// Argon2id parameters, OWASP's recommendation: 19 MiB, two passes, one lane.
// They are stored in each hash, so raising them later keeps old hashes valid.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length bounds, in characters.
const (
	minPassword = 12
	maxPassword = 1024
)

// maxTokenLabel bounds a token's label, in characters.
const maxTokenLabel = 100

// tokenPrefix starts every API token, so that secret scanners and people
// recognise one.
const tokenPrefix = "cdt_"

// tokenTouchInterval is how stale a token's last_used may get: using a token
// writes at most once per interval.
const tokenTouchInterval = time.Minute

// errBadLogin is the one answer to a wrong name or a wrong password.
var errBadLogin = commons.Errorf(commons.EUNAUTHORIZED, "wrong user name or password")

// CreateUser adds a user. EINVALID names each bad field ("name", "role",
// "password"); ECONFLICT if the name is taken.
func (db *DB) CreateUser(ctx context.Context, name, role, password string) (*commons.User, error) {
	var bad []commons.FieldError
	if !commons.ValidUserName(name) {
		bad = append(bad, commons.FieldError{Field: "name",
			Message: "must be 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"})
	}
	if role != commons.RoleAdmin && role != commons.RoleEditor {
		bad = append(bad, commons.FieldError{Field: "role",
			Message: fmt.Sprintf("%q is not one of %s", role, strings.Join(commons.Roles, ", "))})
	}
	if fe := checkPassword(password); fe != nil {
		bad = append(bad, *fe)
	}
	if len(bad) > 0 {
		return nil, &commons.Error{Code: commons.EINVALID, Message: "the user is invalid", Fields: bad}
	}
	hash := hashPassword(password)
	u := &commons.User{Name: name, Role: role, Created: db.nowMillis()}
	err := db.w.QueryRowContext(ctx, `INSERT INTO users (name, role, password, created) VALUES (?, ?, ?, ?) RETURNING id`,
		name, role, hash, millis(u.Created)).Scan(&u.ID)
	if isUnique(err) {
		return nil, commons.Errorf(commons.ECONFLICT, "the user name %s is taken", name)
	} else if err != nil {
		return nil, fmt.Errorf("create user %s: %w", name, err)
	}
	return u, nil
}

func checkPassword(pw string) *commons.FieldError {
	switch n := utf8.RuneCountInString(pw); {
	case n < minPassword:
		return &commons.FieldError{Field: "password", Message: fmt.Sprintf("must be at least %d characters", minPassword)}
	case n > maxPassword:
		return &commons.FieldError{Field: "password", Message: fmt.Sprintf("must be at most %d characters", maxPassword)}
	}
	return nil
}

// SetPassword replaces a user's password. ENOTFOUND for an unknown user.
func (db *DB) SetPassword(ctx context.Context, name, password string) error {
	if fe := checkPassword(password); fe != nil {
		return &commons.Error{Code: commons.EINVALID, Message: "the password is invalid", Fields: []commons.FieldError{*fe}}
	}
	res, err := db.w.ExecContext(ctx, `UPDATE users SET password = ? WHERE name = ?`, hashPassword(password), name)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return commons.Errorf(commons.ENOTFOUND, "no user %s", name)
	}
	return nil
}

// Authenticate returns the user whose name and password these are, and
// EUNAUTHORIZED otherwise. An unknown name costs a hash like a known one, so
// timing does not tell which names exist.
func (db *DB) Authenticate(ctx context.Context, name, password string) (*commons.User, error) {
	u := &commons.User{}
	var hash string
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT id, name, role, password, created FROM users WHERE name = ?`, name).
		Scan(&u.ID, &u.Name, &u.Role, &hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		verifyPassword(dummyHash(), password)
		return nil, errBadLogin
	} else if err != nil {
		return nil, fmt.Errorf("authenticate %s: %w", name, err)
	}
	ok, err := verifyPassword(hash, password)
	if err != nil {
		return nil, fmt.Errorf("authenticate %s: %w", name, err)
	}
	if !ok {
		return nil, errBadLogin
	}
	u.Created = fromMillis(created)
	return u, nil
}

// Users returns every user, by name.
func (db *DB) Users(ctx context.Context) ([]*commons.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, role, created FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var us []*commons.User
	for rows.Next() {
		u := &commons.User{}
		var created int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &created); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.Created = fromMillis(created)
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// CreateToken creates an API token for the user and returns its secret,
// which is never stored and cannot be shown again: "cdt_" and 32 random
// bytes in base64url. ENOTFOUND for an unknown user.
func (db *DB) CreateToken(ctx context.Context, userName, label string) (string, error) {
	if utf8.RuneCountInString(label) > maxTokenLabel {
		return "", &commons.Error{Code: commons.EINVALID, Message: "the token is invalid", Fields: []commons.FieldError{
			{Field: "label", Message: fmt.Sprintf("must be at most %d characters", maxTokenLabel)}}}
	}
	var key [32]byte
	rand.Read(key[:]) // never fails (crypto/rand)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(key[:])
	res, err := db.w.ExecContext(ctx, `INSERT INTO tokens (user_id, hash, label, created)
		SELECT id, ?, ?, ? FROM users WHERE name = ?`, tokenHash(secret), label, millis(db.nowMillis()), userName)
	if err != nil {
		return "", fmt.Errorf("create token for %s: %w", userName, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", commons.Errorf(commons.ENOTFOUND, "no user %s", userName)
	}
	return secret, nil
}

// UserByToken returns the owner of a live token, EUNAUTHORIZED otherwise, and
// notes when the token was used (at most once per tokenTouchInterval).
func (db *DB) UserByToken(ctx context.Context, token string) (*commons.User, error) {
	bad := commons.Errorf(commons.EUNAUTHORIZED, "the token is unknown or revoked")
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, bad
	}
	u := &commons.User{}
	var tokenID, created int64
	var lastUsed sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.created, t.id, t.last_used
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL`, tokenHash(token)).
		Scan(&u.ID, &u.Name, &u.Role, &created, &tokenID, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bad
	} else if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	u.Created = fromMillis(created)
	now := db.now()
	if !lastUsed.Valid || now.Sub(fromMillis(lastUsed.Int64)) >= tokenTouchInterval {
		// A failure here must not refuse a valid token: log it and go on.
		if _, err := db.w.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, millis(now), tokenID); err != nil {
			db.log.Warn("note token use failed", "user", u.Name, "err", err)
		}
	}
	return u, nil
}

// RevokeToken revokes a token for good. ENOTFOUND if it is unknown or already
// revoked.
func (db *DB) RevokeToken(ctx context.Context, token string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL`,
		millis(db.nowMillis()), tokenHash(token))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return commons.Errorf(commons.ENOTFOUND, "no such token")
	}
	return nil
}

// tokenHash is what the database keeps of a token: its hex SHA-256. A token
// has 256 random bits, so a fast hash is enough.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// hashPassword returns the argon2id hash of a password as a PHC string.
func hashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// verifyPassword reports whether pw matches a PHC string from hashPassword,
// comparing in constant time with the parameters the hash names.
func verifyPassword(phc, pw string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("password hash is not an argon2id PHC string")
	}
	var version int
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash: unsupported argon2 version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil ||
		mem == 0 || mem > 1<<22 || passes == 0 || passes > 64 || threads == 0 {
		return false, fmt.Errorf("password hash: bad parameters %q", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("password hash: key: %v", err)
	}
	got := argon2.IDKey([]byte(pw), salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is a hash of a random password, to spend on unknown user names.
var dummyHash = sync.OnceValue(func() string {
	var pw [18]byte
	rand.Read(pw[:])
	return hashPassword(base64.RawStdEncoding.EncodeToString(pw[:]))
})
