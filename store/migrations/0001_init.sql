-- 0001: records with their history, full-text tables, users and tokens.

-- meta holds counters. 'seq' is the change sequence: every write
-- transaction, from any process, increments it and stamps the rows it
-- touches, so a process can find what others changed since it last looked.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('seq', 0);

-- records holds local and remote records. A deleted record stays as a
-- tombstone (deleted_at set) so its URL answers 410 and its slug is never
-- reused. pk is never reused either (AUTOINCREMENT): caches key on it.
CREATE TABLE records (
	pk          INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT    NOT NULL UNIQUE,           -- canonical IRI
	slug        TEXT    NOT NULL,
	origin      TEXT    NOT NULL,                  -- base URL of the home instance
	local       INTEGER NOT NULL CHECK (local IN (0, 1)),
	doc         TEXT    NOT NULL,                  -- the record as canonical JSON
	version     INTEGER NOT NULL,
	hash        TEXT    NOT NULL,                  -- ContentHash
	created     INTEGER NOT NULL,                  -- Unix milliseconds, at the origin
	updated     INTEGER NOT NULL,                  -- Unix milliseconds, at the origin
	received_at INTEGER,                           -- remote copies: when it arrived
	deleted_at  INTEGER,                           -- tombstones
	seq         INTEGER NOT NULL,                  -- meta.seq of the last write
	sort_name   TEXT    NOT NULL,                  -- name folded for sorting
	facets      TEXT    NOT NULL,                  -- "facet\tvalue\n" lines
	len_name    INTEGER NOT NULL,                  -- words per full-text tier
	len_meta    INTEGER NOT NULL,
	len_desc    INTEGER NOT NULL,
	UNIQUE (slug, origin)
);
CREATE UNIQUE INDEX records_local_slug ON records (slug) WHERE local = 1;
CREATE INDEX records_seq ON records (seq);
CREATE INDEX records_live ON records (local) WHERE deleted_at IS NULL;

-- record_history has one row per change: the version it produced, and
-- the record it replaced (NULL on create).
CREATE TABLE record_history (
	hid      INTEGER PRIMARY KEY,
	record   INTEGER NOT NULL REFERENCES records (pk),
	version  INTEGER NOT NULL,
	action   TEXT    NOT NULL CHECK (action IN ('create', 'update', 'delete')),
	actor    TEXT    NOT NULL,
	at       INTEGER NOT NULL,                     -- Unix milliseconds
	previous TEXT                                  -- JSON
);
CREATE INDEX record_history_record ON record_history (record, hid);

-- Full text, in three tiers so that a search learns in which tier each
-- word matched without reading position lists: names; keywords, sectors,
-- organisations and summaries; descriptions. Every language of a text goes
-- into its tier. Contentless: the text lives in records.doc. rowid = pk.
CREATE VIRTUAL TABLE records_name USING fts5 (
	text, content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE records_meta USING fts5 (
	text, content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE records_desc USING fts5 (
	text, content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE users (
	id       INTEGER PRIMARY KEY,
	name     TEXT    NOT NULL UNIQUE,
	role     TEXT    NOT NULL,
	password TEXT    NOT NULL,                     -- argon2id PHC string
	created  INTEGER NOT NULL                      -- Unix milliseconds
);

-- tokens stores only the SHA-256 of each secret.
CREATE TABLE tokens (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash       TEXT    NOT NULL UNIQUE,            -- hex SHA-256 of the secret
	label      TEXT    NOT NULL,
	created    INTEGER NOT NULL,
	last_used  INTEGER,
	revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);
