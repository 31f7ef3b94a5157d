-- 0006: full text analysed by language. Each tier keeps two columns: word,
-- the text as written (which FTS5 folds) with hyphenated words also joined;
-- alt, the stems of its words by the rules of their language and the parts
-- of words in camel case (store/analysis). search_terms is the vocabulary
-- of the word columns, which typo tolerance and compound matching search;
-- seq tells a process which words are new since it last looked. name_keys
-- holds the names and the slug compacted, for the exact-name ranking.
--
-- The analysis runs in Go, so the tables are refilled at the next start
-- (meta 'reindex_text', see Open).
DROP TABLE records_name;
DROP TABLE records_meta;
DROP TABLE records_desc;
CREATE VIRTUAL TABLE records_name USING fts5 (
	word, alt, content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE records_meta USING fts5 (
	word, alt, content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE records_desc USING fts5 (
	word, alt, content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE search_terms (
	term TEXT    PRIMARY KEY,
	seq  INTEGER NOT NULL                          -- meta.seq of the write that added it
) WITHOUT ROWID;
CREATE INDEX search_terms_seq ON search_terms (seq);
ALTER TABLE records ADD COLUMN name_keys TEXT NOT NULL DEFAULT '';
INSERT INTO meta (key, value) VALUES ('reindex_text', 1);
