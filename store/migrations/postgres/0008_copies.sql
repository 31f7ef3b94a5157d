-- 0006: what this instance knows of a remote record's life at its origin.
-- Posts of a copy are kept in posts (their actor is the remote record);
-- copy_social caches the follower count its origin reports, and when it
-- was fetched and for which version of the record, so that a change of
-- the record refreshes it.
CREATE TABLE copy_social (
	record     BIGINT  PRIMARY KEY REFERENCES records (pk) ON DELETE CASCADE,
	followers  BIGINT  NOT NULL,               -- -1 when the origin does not say
	version    BIGINT  NOT NULL,               -- the record's version when fetched
	fetched_at BIGINT  NOT NULL
);

-- relation_keys indexes the targets of live records' relations under the
-- keys of record_keys ("wikidata:Q936", "repo:github.com/x/y") and
-- "id:<record IRI>", so that a record finds who names it: its reverse
-- relations ("depended on by", "alternative to", …).
CREATE TABLE relation_keys (
	key    TEXT    NOT NULL,
	record BIGINT  NOT NULL REFERENCES records (pk) ON DELETE CASCADE,
	type   TEXT    NOT NULL,                   -- the relation's type, as the record states it
	PRIMARY KEY (key, record, type)
);
CREATE INDEX relation_keys_record ON relation_keys (record);
