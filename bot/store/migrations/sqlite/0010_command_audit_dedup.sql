-- A command handled again (its delivery retried after a crash or a failed
-- call) is audited once: entries may carry the request's key.
ALTER TABLE command_audit ADD COLUMN dedup_key TEXT;

CREATE UNIQUE INDEX command_audit_dedup_idx ON command_audit (dedup_key);
