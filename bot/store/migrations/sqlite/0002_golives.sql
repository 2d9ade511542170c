-- Go-lives: one per tracked issue. Times as in 0001 (INTEGER unix µs, UTC).
CREATE TABLE golives (
    id                  INTEGER NOT NULL PRIMARY KEY,
    installation_id     INTEGER NOT NULL,
    repo_id             INTEGER NOT NULL,
    repo                TEXT    NOT NULL,
    issue_number        INTEGER NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('invalid', 'active', 'done', 'cancelled')),
    environment         TEXT    NOT NULL DEFAULT '',
    at                  INTEGER,
    timezone            TEXT    NOT NULL DEFAULT '',
    release             TEXT    NOT NULL DEFAULT '',
    slack_channel       TEXT    NOT NULL DEFAULT '',
    captain             TEXT    NOT NULL DEFAULT '',
    body_as_of          INTEGER,
    tracker_comment_id  INTEGER NOT NULL DEFAULT 0,
    problem_comment_id  INTEGER NOT NULL DEFAULT 0,
    tracker_body        TEXT    NOT NULL DEFAULT '',
    tracker_due_at      INTEGER,
    tracker_edited_at   INTEGER,
    tracker_version     INTEGER NOT NULL DEFAULT 0,
    tracker_lease_owner TEXT    NOT NULL DEFAULT '',
    tracker_lease_until INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (repo_id, issue_number)
);

CREATE INDEX golives_tracker_due_idx ON golives (tracker_due_at);

-- The checklist's items as last seen in the issue body, in body order.
CREATE TABLE golive_items (
    golive_id  INTEGER NOT NULL REFERENCES golives (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    item_id    TEXT    NOT NULL,
    phase      TEXT    NOT NULL DEFAULT '',
    text       TEXT    NOT NULL,
    required   INTEGER NOT NULL DEFAULT 0,
    manual     INTEGER NOT NULL DEFAULT 0,
    checked    INTEGER NOT NULL DEFAULT 0,
    checked_by TEXT    NOT NULL DEFAULT '',
    checked_at INTEGER,
    PRIMARY KEY (golive_id, item_id)
);

-- Who did what, when. dedup_key (for example "<delivery id>:<item id>")
-- keeps a redelivered event from being audited twice; NULL never collides.
CREATE TABLE golive_audit (
    id        INTEGER NOT NULL PRIMARY KEY,
    golive_id INTEGER NOT NULL REFERENCES golives (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    item_id   TEXT    NOT NULL DEFAULT '',
    detail    TEXT    NOT NULL DEFAULT '',
    dedup_key TEXT    UNIQUE
);

CREATE INDEX golive_audit_golive_idx ON golive_audit (golive_id, id);
