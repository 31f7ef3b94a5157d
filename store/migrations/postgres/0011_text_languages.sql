-- 0011: the languages of a record's texts (names, summaries, descriptions;
-- base tags such as fr, space-separated), so that a search in the reader's
-- language weighs the records written in it more. Filled for existing
-- records by the text reindex at the next start (meta 'reindex_text').
ALTER TABLE records ADD COLUMN text_langs TEXT NOT NULL DEFAULT '';
INSERT INTO meta (key, value) VALUES ('reindex_text', 1) ON CONFLICT (key) DO UPDATE SET value = 1;
