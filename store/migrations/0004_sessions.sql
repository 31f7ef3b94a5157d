-- 0004: browser sessions of editors and the login failures that lock a
-- name or a client address out for a while. Times are Unix milliseconds.

-- sessions stores only the SHA-256 of each session secret (the cookie).
CREATE TABLE sessions (
	hash      TEXT    PRIMARY KEY,                  -- hex SHA-256 of the secret
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created   INTEGER NOT NULL,
	expires   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

-- login_failures counts failed logins per key ("user:alice",
-- "addr:192.0.2.1") within a window; locked_until is set once the count
-- reaches the limit.
CREATE TABLE login_failures (
	key          TEXT    PRIMARY KEY,
	count        INTEGER NOT NULL,
	first_at     INTEGER NOT NULL,
	locked_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
