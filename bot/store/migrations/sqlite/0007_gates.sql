-- Deployment gates (times INTEGER unix µs, UTC; NULL stands for the zero time).

-- One row per workflow run and environment whose deployment golive's custom
-- deployment protection rule was asked to review (deployment_protection_rule
-- "requested"). request_id is the webhook delivery that asked last: a new
-- request for the run (a re-run) reopens the row, the same one redelivered
-- does not. notes counts the progress notes posted on the run (GitHub keeps
-- at most 10 per run) and noted_request the request that posted the last, so
-- a request notes once. A pending row is claimed (lease_owner, lease_until)
-- by the one worker that may answer GitHub; state then becomes approved,
-- rejected or failed (GitHub refused the answer; detail says why).
-- golive_id 0: no go-live gates the environment.
CREATE TABLE deployment_gates (
    repo_id         INTEGER NOT NULL,
    run_id          INTEGER NOT NULL,
    environment     TEXT    NOT NULL CHECK (environment <> ''),
    installation_id INTEGER NOT NULL DEFAULT 0,
    repo            TEXT    NOT NULL,
    sha             TEXT    NOT NULL DEFAULT '',
    ref             TEXT    NOT NULL DEFAULT '',
    sender          TEXT    NOT NULL DEFAULT '',
    golive_id       INTEGER NOT NULL DEFAULT 0,
    request_id      TEXT    NOT NULL CHECK (request_id <> ''),
    notes           INTEGER NOT NULL DEFAULT 0,
    noted_request   TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'failed')),
    detail          TEXT    NOT NULL DEFAULT '',
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER,
    requested_at    INTEGER NOT NULL,
    decided_at      INTEGER,
    PRIMARY KEY (repo_id, run_id, environment)
);

-- A go-live that becomes ready finds the gates waiting for it.
CREATE INDEX deployment_gates_pending_idx ON deployment_gates (golive_id) WHERE state = 'pending';
