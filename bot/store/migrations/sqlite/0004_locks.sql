-- Named locks with an expiry (until: INTEGER unix µs, UTC). A lock whose until
-- has passed is free; the holder's owner string releases it.
CREATE TABLE locks (
    name  TEXT    NOT NULL PRIMARY KEY,
    owner TEXT    NOT NULL,
    until INTEGER NOT NULL
);
