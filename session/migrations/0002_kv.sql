-- Small expiring key-value records every instance shares: LINE webhook
-- de-duplication (by webhookEventId) and per-LINE-user messaging state.
-- Keys are SHA-256 hashes; values are AES-256-GCM-sealed text (see
-- src/session/store.rs). Times are Unix ms.

CREATE TABLE kv (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX kv_expires_at ON kv (expires_at);
