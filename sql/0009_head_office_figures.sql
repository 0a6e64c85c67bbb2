-- Head office's figures and the searchable operation log (server/db/stats.py, server/db/oplog_search.py).
-- A line's branch is the branch of the account it names (001-1-***4567 → 001); generated, so every
-- writer of the log fills it without knowing of it, and the append-only log stays append-only.
ALTER TABLE operation_log
    ADD COLUMN IF NOT EXISTS branch_code text GENERATED ALWAYS AS (substring(account_masked from '^([0-9]{3})-')) STORED;

-- A day's figures: the lines of some events between two instants.
CREATE INDEX IF NOT EXISTS operation_log_by_event_at ON operation_log (event, at);
-- A flow's lines (its branch is that of the account typed on screen ①; its start, for its duration).
CREATE INDEX IF NOT EXISTS operation_log_by_flow ON operation_log (flow_id, id) WHERE flow_id IS NOT NULL;
-- A branch clerk's search and export: their branch's lines in time order.
CREATE INDEX IF NOT EXISTS operation_log_by_branch_at ON operation_log (branch_code, at, id) WHERE branch_code IS NOT NULL;
-- Search by reason code.
CREATE INDEX IF NOT EXISTS operation_log_by_reason_at ON operation_log (reason_code, at, id) WHERE reason_code IS NOT NULL;
