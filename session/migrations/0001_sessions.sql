-- Sessions, their provider connections, pending logins and refresh locks.
-- Ids are SHA-256 hashes of the browser-held values; every value column holds
-- AES-256-GCM-sealed text (see src/session/seal.rs). Times are Unix ms.

CREATE TABLE sessions (
    sid        TEXT PRIMARY KEY NOT NULL,
    meta       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE connections (
    sid        TEXT NOT NULL REFERENCES sessions (sid) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    grant_blob TEXT NOT NULL DEFAULT '',
    state_blob TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sid, provider)
);

CREATE TABLE pending_logins (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX pending_logins_expires_at ON pending_logins (expires_at);

CREATE TABLE locks (
    name       TEXT PRIMARY KEY NOT NULL,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
