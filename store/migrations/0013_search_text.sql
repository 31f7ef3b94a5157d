-- 0013: on PostgreSQL, the full text moves to one row per record and tier
-- (store/migrations/postgres/0013_search_text.sql). SQLite keeps its FTS5
-- tables: nothing changes here.
SELECT 1;
