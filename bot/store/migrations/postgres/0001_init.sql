-- Times are TIMESTAMPTZ (microsecond precision); NULL stands for the zero
-- time. GitHub ids are BIGINT. full_name sorts bytewise (COLLATE "C") so that
-- ListRepositories orders the same way as on SQLite.

CREATE TABLE deliveries (
    id              TEXT        NOT NULL PRIMARY KEY CHECK (id <> ''),
    event           TEXT        NOT NULL,
    action          TEXT        NOT NULL DEFAULT '',
    installation_id BIGINT      NOT NULL DEFAULT 0,
    status          TEXT        NOT NULL CHECK (status IN ('pending', 'done', 'dead')),
    attempts        INTEGER     NOT NULL DEFAULT 0,
    last_error      TEXT        NOT NULL DEFAULT '',
    received_at     TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_owner     TEXT        NOT NULL DEFAULT '',
    lease_until     TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ
);

-- Payloads live apart from the rows workers update: they are written once,
-- and leasing or finishing a delivery rewrites only its small row.
CREATE TABLE delivery_payloads (
    id      TEXT  NOT NULL PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    payload BYTEA NOT NULL
);

-- Claims walk pending rows oldest first and stop at the limit; rows not yet
-- due or leased are skipped on the way (few: retries and work in flight).
CREATE INDEX deliveries_claim_idx ON deliveries (status, received_at, id);

CREATE TABLE installations (
    id            BIGINT      NOT NULL PRIMARY KEY,
    account_id    BIGINT      NOT NULL,
    account_login TEXT        NOT NULL,
    account_type  TEXT        NOT NULL,
    suspended     BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ
);

CREATE TABLE repositories (
    id              BIGINT  NOT NULL PRIMARY KEY,
    installation_id BIGINT  NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    full_name       TEXT    COLLATE "C" NOT NULL,
    private         BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX repositories_installation_idx ON repositories (installation_id, full_name);
