-- 0004: browser sessions of editors and the login failures that lock a
-- name or a client address out for a while. Times are Unix milliseconds.

-- sessions stores only the SHA-256 of each session secret (the cookie).
CREATE TABLE sessions (
	hash      TEXT    PRIMARY KEY,                  -- hex SHA-256 of the secret
	user_id   BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created   BIGINT  NOT NULL,
	expires   BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- login_failures counts failed logins per key ("user:alice",
-- "addr:192.0.2.1") within a window; locked_until is set once the count
-- reaches the limit.
CREATE TABLE login_failures (
	key          TEXT    PRIMARY KEY,
	count        BIGINT  NOT NULL,
	first_at     BIGINT  NOT NULL,
	locked_until BIGINT  NOT NULL DEFAULT 0
);
