-- Incidents (times TIMESTAMPTZ; NULL stands for the zero time; ids BIGINT).

-- One row per incident. open_key is what opened it (the command's inbox
-- delivery), so an opening redelivered finds the incident instead of opening
-- another. issue_number is 0 until the incident issue exists. golive_id 0:
-- not linked to a go-live.
CREATE TABLE incidents (
    id                  BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    open_key            TEXT    NOT NULL UNIQUE CHECK (open_key <> ''),
    installation_id     BIGINT  NOT NULL,
    repo_id             BIGINT  NOT NULL,
    repo                TEXT    NOT NULL,
    issue_number        INTEGER NOT NULL DEFAULT 0,
    severity            TEXT    NOT NULL CHECK (severity IN ('P0', 'P1', 'P2', 'P3')),
    title               TEXT    NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    golive_id           BIGINT  NOT NULL DEFAULT 0,
    opened_by           TEXT    NOT NULL DEFAULT '',
    opened_at           TIMESTAMPTZ NOT NULL,
    acked_by            TEXT    NOT NULL DEFAULT '',
    acked_at            TIMESTAMPTZ,
    resolved_by         TEXT    NOT NULL DEFAULT '',
    resolved_at         TIMESTAMPTZ,
    slack_channel       TEXT    NOT NULL DEFAULT '',
    slack_channel_id    TEXT    NOT NULL DEFAULT '',
    slack_thread_ts     TEXT    NOT NULL DEFAULT '',
    timeline_comment_id BIGINT  NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX incidents_issue_idx ON incidents (repo_id, issue_number) WHERE issue_number <> 0;
CREATE INDEX incidents_state_idx ON incidents (state, repo_id);

-- What happened to an incident, in order: its timeline. dedup_key makes an
-- event recorded by a redelivered command count once.
CREATE TABLE incident_events (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    dedup_key   TEXT    NOT NULL,
    UNIQUE (incident_id, dedup_key)
);

-- SLA alerts: a warning before and an alert at each timer's breach. A
-- pending row is claimable once due_at and lease_until (also a retry's
-- not-before) passed; acknowledging or resolving cancels the timer's
-- pending alerts, a new severity moves them.
CREATE TABLE incident_alerts (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'cancelled', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    lease_owner TEXT    NOT NULL DEFAULT '',
    lease_until TIMESTAMPTZ,
    sent_at     TIMESTAMPTZ,
    slack_ts    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, kind)
);

CREATE INDEX incident_alerts_due_idx ON incident_alerts (state, due_at);
