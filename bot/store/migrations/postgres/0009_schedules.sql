-- Recurring operations: the schedules of .github/golive.yml and their runs
-- (times TIMESTAMPTZ; NULL stands for the zero time; GitHub ids BIGINT).

-- When golive first saw each schedule of a repository: runs due before it
-- (less a grace period) are never opened, and the runs missed since it are
-- counted when a catch-up run opens.
CREATE TABLE schedules (
    repo_id       BIGINT  NOT NULL,
    schedule_id   TEXT    NOT NULL CHECK (schedule_id <> ''),
    first_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo_id, schedule_id)
);

-- One row per run of a schedule, keyed by the run's scheduled local date
-- and time (run_key, like "2026-11-23T09:00"): the unique key is what makes
-- a run open once across restarts and replicas. A pending row is claimed
-- (lease_owner, lease_until; a lease_until without an owner is a retry's
-- not-before) by the one worker that opens it: state then becomes opened
-- (issue_number, or slack_channel_id and slack_ts), skipped (a newer run of
-- the schedule opened first) or failed (last_error says why). skipped counts
-- the earlier runs missed while golive was down that this one stands for.
-- An opened run with remind_state 'pending' is claimed again, with the same
-- lease columns, at remind_at for its end-of-day reminder.
CREATE TABLE schedule_runs (
    id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repo_id          BIGINT  NOT NULL,
    schedule_id      TEXT    NOT NULL CHECK (schedule_id <> ''),
    run_key          TEXT    NOT NULL CHECK (run_key <> ''),
    installation_id  BIGINT  NOT NULL DEFAULT 0,
    repo             TEXT    NOT NULL,
    due_at           TIMESTAMPTZ NOT NULL,
    skipped          INTEGER NOT NULL DEFAULT 0,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'opened', 'skipped', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    lease_owner      TEXT    NOT NULL DEFAULT '',
    lease_until      TIMESTAMPTZ,
    issue_number     INTEGER NOT NULL DEFAULT 0,
    slack_channel    TEXT    NOT NULL DEFAULT '',
    slack_channel_id TEXT    NOT NULL DEFAULT '',
    slack_ts         TEXT    NOT NULL DEFAULT '',
    opened_at        TIMESTAMPTZ,
    ends_at          TIMESTAMPTZ,
    remind_state     TEXT    NOT NULL DEFAULT 'none' CHECK (remind_state IN ('none', 'pending', 'sent', 'skipped', 'failed')),
    remind_at        TIMESTAMPTZ,
    remind_attempts  INTEGER NOT NULL DEFAULT 0,
    reminded_at      TIMESTAMPTZ,
    remind_ts        TEXT    NOT NULL DEFAULT '',
    remind_detail    TEXT    NOT NULL DEFAULT '',
    UNIQUE (repo_id, schedule_id, run_key)
);

-- A schedule's latest run.
CREATE INDEX schedule_runs_latest_idx ON schedule_runs (repo_id, schedule_id, due_at);
-- End-of-day reminders due.
CREATE INDEX schedule_runs_remind_idx ON schedule_runs (remind_at) WHERE remind_state = 'pending';
