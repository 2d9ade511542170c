-- Named locks with an expiry. A lock whose until has passed is free; the
-- holder's owner string releases it.
CREATE TABLE locks (
    name  TEXT        NOT NULL PRIMARY KEY,
    owner TEXT        NOT NULL,
    until TIMESTAMPTZ NOT NULL
);
