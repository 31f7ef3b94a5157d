-- 0010: full text analysed by language. Each tier keeps two columns: word
-- (col 0), the text as written with hyphenated words also joined; alt
-- (col 1), the stems of its words by the rules of their language and the
-- parts of words in camel case (store/analysis). search_terms is the
-- vocabulary of the word columns, which typo tolerance and compound
-- matching search; seq tells a process which words are new since it last
-- looked. name_keys holds the names and the slug compacted, for the
-- exact-name ranking.
--
-- The analysis runs in Go, so the postings are refilled at the next start
-- (meta 'reindex_text', see Open).
DELETE FROM search_postings;
CREATE TABLE search_terms (
	term TEXT    PRIMARY KEY,
	seq  BIGINT  NOT NULL                          -- meta.seq of the write that added it
);
CREATE INDEX search_terms_seq ON search_terms (seq);
ALTER TABLE records ADD COLUMN name_keys TEXT NOT NULL DEFAULT '';
INSERT INTO meta (key, value) VALUES ('reindex_text', 1);
