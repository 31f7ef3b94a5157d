-- 0012: what the last reconciliation with each peer cost, and which
-- instances a peer follows itself (it says so when it reads the record
-- collection), so that records are not passed on to it twice.
ALTER TABLE peers ADD COLUMN sync_requests INTEGER NOT NULL DEFAULT 0;  -- requests of the last reconciliation
ALTER TABLE peers ADD COLUMN sync_bytes INTEGER NOT NULL DEFAULT 0;     -- bytes of its responses
ALTER TABLE peers ADD COLUMN sync_documents INTEGER NOT NULL DEFAULT 0; -- record documents it received
ALTER TABLE peers ADD COLUMN follows TEXT NOT NULL DEFAULT '';          -- hosts the peer follows, space-separated
