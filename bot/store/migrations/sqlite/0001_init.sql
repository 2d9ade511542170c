-- Times are INTEGER unix microseconds, UTC; NULL stands for the zero time.
-- Booleans are INTEGER 0/1. INTEGER is 64-bit in SQLite, so it holds GitHub
-- ids (INTEGER PRIMARY KEY makes the id the rowid).

CREATE TABLE deliveries (
    id              TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
    event           TEXT    NOT NULL,
    action          TEXT    NOT NULL DEFAULT '',
    installation_id INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    received_at     INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER,
    finished_at     INTEGER
);

-- Payloads live apart from the rows workers update: they are written once,
-- and leasing or finishing a delivery rewrites only its small row.
CREATE TABLE delivery_payloads (
    id      TEXT  NOT NULL PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    payload BLOB NOT NULL
);

-- Claims walk pending rows oldest first and stop at the limit; rows not yet
-- due or leased are skipped on the way (few: retries and work in flight).
CREATE INDEX deliveries_claim_idx ON deliveries (status, received_at, id);

CREATE TABLE installations (
    id            INTEGER NOT NULL PRIMARY KEY,
    account_id    INTEGER NOT NULL,
    account_login TEXT    NOT NULL,
    account_type  TEXT    NOT NULL,
    suspended     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER,
    updated_at    INTEGER
);

CREATE TABLE repositories (
    id              INTEGER NOT NULL PRIMARY KEY,
    installation_id INTEGER NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    full_name       TEXT    NOT NULL,
    private         INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX repositories_installation_idx ON repositories (installation_id, full_name);
