-- 0005: the signed documents of remote records. A record document carries
-- its origin's object integrity proof (FEP-8b32); the copy keeps the
-- document exactly as received, so that this instance can pass it on to
-- its own peers and they can check the proof against the origin's key
-- without trusting this instance.
CREATE TABLE record_documents (
	record BIGINT  PRIMARY KEY REFERENCES records (pk) ON DELETE CASCADE,
	doc    BYTEA    NOT NULL -- the record object or Tombstone, with its proof
);
