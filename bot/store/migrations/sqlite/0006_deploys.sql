-- Deploys (times INTEGER unix µs, UTC; NULL stands for the zero time).

-- Environment locks, one per repository and environment, taken by people
-- ("/golive lock"). holder is who holds it as shown to people, holder_key the
-- stable identity ownership is checked against. A lock whose expires_at has
-- passed is free; NULL expires_at holds until unlocked. ReleaseLeases leaves
-- these alone: they are not a process's leases.
CREATE TABLE env_locks (
    repo_id     INTEGER NOT NULL,
    environment TEXT    NOT NULL CHECK (environment <> ''),
    holder      TEXT    NOT NULL,
    holder_key  TEXT    NOT NULL CHECK (holder_key <> ''),
    reason      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    PRIMARY KEY (repo_id, environment)
);

-- One row per deploy queue, written by every enqueue: its row lock
-- serialises enqueues of one queue, so ids of a queue's rows grow in commit
-- order and each enqueue's position is exact. enqueued counts the deploys
-- ever queued there.
CREATE TABLE deploy_queues (
    repo_id     INTEGER NOT NULL,
    environment TEXT    NOT NULL,
    enqueued    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, environment)
);

-- Deploys waiting for an environment, first in first out by id.
-- AUTOINCREMENT: popping the newest row must not free its id for the next.
CREATE TABLE queued_deploys (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    repo_id     INTEGER NOT NULL,
    environment TEXT    NOT NULL CHECK (environment <> ''),
    request     BLOB    NOT NULL,
    queued_by   TEXT    NOT NULL DEFAULT '',
    queued_at   INTEGER NOT NULL
);

CREATE INDEX queued_deploys_queue_idx ON queued_deploys (repo_id, environment, id);

-- Deploy and rollback runs being followed, one per command, keyed by the
-- correlation id the dispatched workflow carries. golive_id 0: none.
CREATE TABLE deploys (
    id                 INTEGER NOT NULL PRIMARY KEY,
    correlation_id     TEXT    NOT NULL UNIQUE CHECK (correlation_id <> ''),
    kind               TEXT    NOT NULL,
    installation_id    INTEGER NOT NULL DEFAULT 0,
    repo_id            INTEGER NOT NULL,
    repo               TEXT    NOT NULL,
    environment        TEXT    NOT NULL,
    ref                TEXT    NOT NULL DEFAULT '',
    sha                TEXT    NOT NULL DEFAULT '',
    workflow           TEXT    NOT NULL DEFAULT '',
    requested_by       TEXT    NOT NULL DEFAULT '',
    surface            TEXT    NOT NULL DEFAULT '',
    golive_id          INTEGER NOT NULL DEFAULT 0,
    issue_number       INTEGER NOT NULL DEFAULT 0,
    trigger_comment_id INTEGER NOT NULL DEFAULT 0,
    reply_comment_id   INTEGER NOT NULL DEFAULT 0,
    slack_channel      TEXT    NOT NULL DEFAULT '',
    slack_ts           TEXT    NOT NULL DEFAULT '',
    response_url       TEXT    NOT NULL DEFAULT '',
    state              TEXT    NOT NULL CHECK (state IN ('dispatched', 'running', 'success', 'failure', 'cancelled', 'timed_out', 'error')),
    run_id             INTEGER NOT NULL DEFAULT 0,
    run_url            TEXT    NOT NULL DEFAULT '',
    detail             TEXT    NOT NULL DEFAULT '',
    dispatched_at      INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    finished_at        INTEGER
);

-- Workflow run events find their deploy by run.
CREATE INDEX deploys_run_idx ON deploys (repo_id, run_id);
-- The latest deploys of an environment.
CREATE INDEX deploys_environment_idx ON deploys (repo_id, environment, id);
-- Dispatched deploys whose run never appeared, to time them out.
CREATE INDEX deploys_unseen_idx ON deploys (dispatched_at) WHERE state = 'dispatched' AND run_id = 0;

-- Every command on every surface, accepted or not.
CREATE TABLE command_audit (
    id             INTEGER NOT NULL PRIMARY KEY,
    at             INTEGER NOT NULL,
    surface        TEXT    NOT NULL DEFAULT '',
    actor          TEXT    NOT NULL DEFAULT '',
    repo           TEXT    NOT NULL DEFAULT '',
    text           TEXT    NOT NULL DEFAULT '',
    decision       TEXT    NOT NULL CHECK (decision IN ('accepted', 'refused', 'error')),
    reason         TEXT    NOT NULL DEFAULT '',
    correlation_id TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX command_audit_repo_idx ON command_audit (repo, id);
