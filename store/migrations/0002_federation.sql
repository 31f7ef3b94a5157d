-- 0002: federation — keys, remote actors, followers, the incoming and
-- outgoing queues, posts and domain blocks. Times are Unix milliseconds.

-- actor_keys holds the RSA keys of our actors (record actors and the
-- instance actor), created on first use.
CREATE TABLE actor_keys (
	actor       TEXT    PRIMARY KEY,               -- our actor IRI
	private_pem TEXT    NOT NULL,
	public_pem  TEXT    NOT NULL,
	created     INTEGER NOT NULL
) WITHOUT ROWID;

-- remote_actors caches other servers' actors: where to deliver, and the
-- key their requests are signed with.
CREATE TABLE remote_actors (
	id           TEXT    PRIMARY KEY,
	type         TEXT    NOT NULL,
	username     TEXT    NOT NULL,
	name         TEXT    NOT NULL,
	inbox        TEXT    NOT NULL,
	shared_inbox TEXT    NOT NULL,                 -- '' when the server has none
	key_id       TEXT    NOT NULL,
	public_pem   TEXT    NOT NULL,
	fetched_at   INTEGER NOT NULL,
	gone_at      INTEGER                           -- the actor answered 410
);
CREATE INDEX remote_actors_key ON remote_actors (key_id);

-- followers lists who follows each of our actors, and the inbox to
-- deliver to: the follower's shared inbox if it has one, so that a change
-- goes once to each server however many of its users follow.
CREATE TABLE followers (
	actor     TEXT    NOT NULL,                    -- our actor IRI
	follower  TEXT    NOT NULL,                    -- remote actor IRI
	inbox     TEXT    NOT NULL,
	follow_id TEXT    NOT NULL,                    -- the Follow activity, for Undo
	created   INTEGER NOT NULL,
	PRIMARY KEY (actor, follower)
) WITHOUT ROWID;
CREATE INDEX followers_follower ON followers (follower);
CREATE INDEX followers_created ON followers (actor, created);

-- inbox holds incoming activities, stored before the 202 and processed
-- after. activity_id is unique so a replayed activity is stored once; it is
-- NULL for the rare activity without an id.
CREATE TABLE inbox (
	id           INTEGER PRIMARY KEY,
	activity_id  TEXT    UNIQUE,
	actor        TEXT    NOT NULL,
	type         TEXT    NOT NULL,
	recipient    TEXT    NOT NULL,                 -- our actor IRI, '' for the shared inbox
	body         TEXT    NOT NULL,
	received_at  INTEGER NOT NULL,
	processed_at INTEGER,
	attempts     INTEGER NOT NULL DEFAULT 0,
	error        TEXT                              -- the last processing error
);
-- The queue of work: rows leave it when processed or out of attempts
-- (the 5 is PendingInboxItems' limit; keep the two in step).
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL AND attempts < 5;

-- activities holds the bodies of outgoing activities, once however many
-- inboxes they go to.
CREATE TABLE activities (
	id      TEXT    PRIMARY KEY,
	sender  TEXT    NOT NULL,                      -- our actor whose key signs it
	body    TEXT    NOT NULL,
	created INTEGER NOT NULL
);

-- deliveries is the outgoing queue: one row per activity and target inbox.
-- A worker claims due rows with a lease (lease_until; next_at moves to the
-- end of the lease too, so claimed rows leave the due range of the index);
-- a process killed mid-delivery leaves leased rows that are claimed again
-- once the lease ends.
CREATE TABLE deliveries (
	id          INTEGER PRIMARY KEY,
	activity    TEXT    NOT NULL REFERENCES activities (id),
	inbox       TEXT    NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL,
	lease_until INTEGER,
	last_error  TEXT,
	created     INTEGER NOT NULL,
	UNIQUE (activity, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_at);

-- inbox_health tracks target inboxes that fail. A success removes the row;
-- giving up on a delivery marks the inbox unreachable, and Enqueue skips
-- unreachable inboxes.
CREATE TABLE inbox_health (
	inbox             TEXT    PRIMARY KEY,
	failures          INTEGER NOT NULL DEFAULT 0, -- failed attempts since the last success
	first_failure     INTEGER,
	last_failure      INTEGER,
	last_error        TEXT,
	unreachable_since INTEGER
) WITHOUT ROWID;

-- posts are the notes our actors publish (a record changed, an editor
-- wrote). A deleted post stays as a tombstone so its URL answers 410.
CREATE TABLE posts (
	id         TEXT    PRIMARY KEY,                -- IRI
	actor      TEXT    NOT NULL,
	record     INTEGER REFERENCES records (pk),
	kind       TEXT    NOT NULL CHECK (kind IN ('change', 'editor')),
	lang       TEXT    NOT NULL,
	content    TEXT    NOT NULL,                   -- HTML
	tags       TEXT    NOT NULL,                   -- JSON [{"name":…,"href":…}]
	published  INTEGER NOT NULL,
	updated    INTEGER,
	deleted_at INTEGER
);
CREATE INDEX posts_actor ON posts (actor, published DESC);

CREATE TABLE domain_blocks (
	domain   TEXT    PRIMARY KEY,                  -- lower case; covers its subdomains
	severity TEXT    NOT NULL,
	reason   TEXT    NOT NULL,
	created  INTEGER NOT NULL
) WITHOUT ROWID;

-- 'federation_hid' is the last record_history.hid the publisher has turned
-- into posts and deliveries. 'domain_blocks' counts changes to the blocks,
-- so each process knows when its in-memory copy is stale.
INSERT INTO meta (key, value) VALUES ('federation_hid', 0), ('domain_blocks', 0);
