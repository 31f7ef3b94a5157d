-- 0006: publiccode.yml files the instance re-reads on a schedule. Times
-- are Unix milliseconds.
CREATE TABLE harvests (
	url           TEXT    PRIMARY KEY,             -- as the operator listed it: a file or a repository
	file_url      TEXT    NOT NULL,                -- the publiccode.yml read (derived for a repository)
	added_at      BIGINT  NOT NULL,
	next_at       BIGINT  NOT NULL,                -- due from then on
	read_at       BIGINT  ,                         -- the last attempt
	ok_at         BIGINT  ,                         -- the last successful read (a new file or a 304)
	etag          TEXT    NOT NULL DEFAULT '',     -- validators of the last file read
	last_modified TEXT    NOT NULL DEFAULT '',
	record        TEXT    NOT NULL DEFAULT '',     -- slug of the record the file fills
	result        TEXT    NOT NULL DEFAULT '',     -- created, updated, unchanged, not-modified or failed
	error         TEXT    NOT NULL DEFAULT ''      -- why the last attempt failed, else empty
);
CREATE INDEX harvests_due ON harvests (next_at);
