-- 0006: funding call titles became language maps. A PostgreSQL database
-- starts at a schema where they already are: nothing to convert.
SELECT 1;
