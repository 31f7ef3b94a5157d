-- 0013: the full text in one row per record and tier, its tokens in a
-- tsvector under a GIN index (see store/search_pg.go), instead of one row
-- per token: a record's hundred tokens cost one row, and an import no
-- longer inserts each of them into two B-trees. The tokens of the second
-- column (the stems) begin with '~'. PostgreSQL's text search
-- configurations are not used: the lexemes are the tokens as the store's
-- own analysis folds them. The store's connections keep the index's
-- pending lists short (gin_pending_list_limit, see store/import_pg.go).
--
-- The rows are filled again from the records at the next start (meta
-- 'reindex_text').
DROP TABLE search_postings;
-- One partition per tier: a search reads one tier, and the rows it visits
-- for their record lie in that tier's table only, close together.
CREATE TABLE search_text (
	record BIGINT   NOT NULL,                      -- records.pk
	tier   SMALLINT NOT NULL,                      -- 0 names, 1 slug, keywords, summaries and the like, 2 descriptions
	doc    tsvector NOT NULL,
	PRIMARY KEY (record, tier)
) PARTITION BY LIST (tier);
CREATE TABLE search_text_0 PARTITION OF search_text FOR VALUES IN (0);
CREATE TABLE search_text_1 PARTITION OF search_text FOR VALUES IN (1);
CREATE TABLE search_text_2 PARTITION OF search_text FOR VALUES IN (2);
CREATE INDEX search_text_doc ON search_text USING gin (doc);
INSERT INTO meta (key, value) VALUES ('reindex_text', 1) ON CONFLICT (key) DO UPDATE SET value = 1;
