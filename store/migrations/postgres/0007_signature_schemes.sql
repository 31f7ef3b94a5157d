-- 0006: the HTTP signature scheme each remote host accepted last, so that
-- outgoing requests are signed the way it reads after a restart too.
-- scheme is 'rfc9421' or 'draft-cavage'; updated_at is Unix milliseconds.
CREATE TABLE IF NOT EXISTS signature_schemes (
	host       TEXT    PRIMARY KEY, -- host[:port]
	scheme     TEXT    NOT NULL CHECK (scheme IN ('rfc9421', 'draft-cavage')),
	updated_at BIGINT  NOT NULL
);
