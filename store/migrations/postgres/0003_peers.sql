-- 0003: instance federation — peers, and the identifiers that link records
-- of the same commons listed by several instances. Times are Unix
-- milliseconds.

-- peers holds the other Commons Directory instances this one follows or
-- is followed by. The two directions are independent: outgoing is this
-- instance's Follow of the peer, incoming the peer's Follow of this one.
-- Fediverse accounts that follow the instance actor are in followers, not
-- here: peers receive record documents, accounts receive posts.
CREATE TABLE peers (
	actor              TEXT    PRIMARY KEY,        -- the peer's instance actor IRI
	host               TEXT    NOT NULL UNIQUE,
	name               TEXT    NOT NULL DEFAULT '',
	inbox              TEXT    NOT NULL DEFAULT '', -- shared inbox if any, else the actor's
	outgoing           TEXT    NOT NULL DEFAULT '' CHECK (outgoing IN ('', 'pending', 'accepted', 'rejected')),
	outgoing_follow_id TEXT    NOT NULL DEFAULT '', -- our Follow, for Undo and to match Accept
	incoming           TEXT    NOT NULL DEFAULT '' CHECK (incoming IN ('', 'pending', 'accepted', 'rejected')),
	incoming_follow_id TEXT    NOT NULL DEFAULT '', -- their Follow, answered by Accept or Reject
	since              BIGINT  NOT NULL,
	last_contact       BIGINT,
	last_sync          BIGINT,
	sync_cursor        TEXT    NOT NULL DEFAULT '', -- how far the last reconciliation read
	last_error         TEXT    NOT NULL DEFAULT ''
);

-- record_keys indexes the identifiers of live records that name the same
-- commons wherever it is listed: "wikidata:Q936", "repo:github.com/x/y",
-- "publiccode:https://…". Two records sharing a key are "also listed by"
-- each other; they are never merged.
CREATE TABLE record_keys (
	key    TEXT    NOT NULL,
	record BIGINT  NOT NULL REFERENCES records (pk) ON DELETE CASCADE,
	PRIMARY KEY (key, record)
);
CREATE INDEX record_keys_record ON record_keys (record);

-- A remote record purged because its origin was blocked is a tombstone
-- with purged_at set: unlike a deletion at the origin, a later sync after
-- an unblock may bring it back.
ALTER TABLE records ADD COLUMN purged_at BIGINT ;
