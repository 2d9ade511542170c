-- Reminder occurrences of go-lives (times TIMESTAMPTZ). occurrence_key is the
-- occurrence's deterministic key ("<go-live>@<offset>"). A pending row is
-- claimable once due_at and lease_until (also a retry's not-before) passed.
CREATE TABLE reminders (
    occurrence_key TEXT NOT NULL PRIMARY KEY,
    golive_id   BIGINT  NOT NULL REFERENCES golives (id) ON DELETE CASCADE,
    offset_text TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'cancelled', 'missed', 'failed')),
    late        BOOLEAN NOT NULL DEFAULT FALSE,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    lease_owner TEXT    NOT NULL DEFAULT '',
    lease_until TIMESTAMPTZ,
    sent_at     TIMESTAMPTZ,
    slack_ts    TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX reminders_due_idx ON reminders (state, due_at);
CREATE INDEX reminders_golive_idx ON reminders (golive_id, due_at);
