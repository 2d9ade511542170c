-- Go-lives: one per tracked issue. Times as in 0001 (TIMESTAMPTZ).
CREATE TABLE golives (
    id                  BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    installation_id     BIGINT NOT NULL,
    repo_id             BIGINT NOT NULL,
    repo                TEXT    NOT NULL,
    issue_number        INTEGER NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('invalid', 'active', 'done', 'cancelled')),
    environment         TEXT    NOT NULL DEFAULT '',
    at                  TIMESTAMPTZ,
    timezone            TEXT    NOT NULL DEFAULT '',
    release             TEXT    NOT NULL DEFAULT '',
    slack_channel       TEXT    NOT NULL DEFAULT '',
    captain             TEXT    NOT NULL DEFAULT '',
    body_as_of          TIMESTAMPTZ,
    tracker_comment_id  BIGINT NOT NULL DEFAULT 0,
    problem_comment_id  BIGINT NOT NULL DEFAULT 0,
    tracker_body        TEXT    NOT NULL DEFAULT '',
    tracker_due_at      TIMESTAMPTZ,
    tracker_edited_at   TIMESTAMPTZ,
    tracker_version     BIGINT NOT NULL DEFAULT 0,
    tracker_lease_owner TEXT    NOT NULL DEFAULT '',
    tracker_lease_until TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (repo_id, issue_number)
);

CREATE INDEX golives_tracker_due_idx ON golives (tracker_due_at);

-- The checklist's items as last seen in the issue body, in body order.
CREATE TABLE golive_items (
    golive_id  BIGINT NOT NULL REFERENCES golives (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    item_id    TEXT    NOT NULL,
    phase      TEXT    NOT NULL DEFAULT '',
    text       TEXT    NOT NULL,
    required   BOOLEAN NOT NULL DEFAULT FALSE,
    manual     BOOLEAN NOT NULL DEFAULT FALSE,
    checked    BOOLEAN NOT NULL DEFAULT FALSE,
    checked_by TEXT    NOT NULL DEFAULT '',
    checked_at TIMESTAMPTZ,
    PRIMARY KEY (golive_id, item_id)
);

-- Who did what, when. dedup_key (for example "<delivery id>:<item id>")
-- keeps a redelivered event from being audited twice; NULL never collides.
CREATE TABLE golive_audit (
    id        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    golive_id BIGINT NOT NULL REFERENCES golives (id) ON DELETE CASCADE,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    item_id   TEXT    NOT NULL DEFAULT '',
    detail    TEXT    NOT NULL DEFAULT '',
    dedup_key TEXT    UNIQUE
);

CREATE INDEX golive_audit_golive_idx ON golive_audit (golive_id, id);
