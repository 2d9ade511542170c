-- Slack timelines (no new time columns). Items keep their owner as written
-- ("@alice", "@acme/sre"); a reminder keeps the names of the template phases
-- due at it, newline-separated ('' when none). A go-live keeps its Slack
-- thread (channel id, the parent message's ts and latest text), how often
-- posting the parent was begun, its current Slack problem and how often its
-- reminders were snoozed. UpsertGoLive never writes these columns.
ALTER TABLE golive_items ADD COLUMN owner TEXT NOT NULL DEFAULT '';

ALTER TABLE reminders ADD COLUMN phases TEXT NOT NULL DEFAULT '';

ALTER TABLE golives ADD COLUMN slack_channel_id      TEXT    NOT NULL DEFAULT '';
ALTER TABLE golives ADD COLUMN slack_thread_ts       TEXT    NOT NULL DEFAULT '';
ALTER TABLE golives ADD COLUMN slack_parent_text     TEXT    NOT NULL DEFAULT '';
ALTER TABLE golives ADD COLUMN slack_thread_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE golives ADD COLUMN slack_note            TEXT    NOT NULL DEFAULT '';
ALTER TABLE golives ADD COLUMN snoozes               INTEGER NOT NULL DEFAULT 0;

-- Claims read pending rows by due time (occurrence_key compared bytewise, as
-- the claims order it). Only pending rows are indexed (sent ones pile up). It
-- replaces 0003's reminders_due_idx. lease_until stays out of it so that
-- leasing a row can be a HOT update.
DROP INDEX reminders_due_idx;
CREATE INDEX reminders_pending_due_idx ON reminders (due_at, occurrence_key COLLATE "C")
    WHERE state = 'pending';
