//! The storage contract every backend (memory, SQLite, Redis) fulfils. It
//! moves opaque, already-sealed strings keyed by hashed ids; it never sees a
//! token or a session id in the clear.
//!
//! A connection has two independently written fields, so writing one never
//! overwrites a concurrent write of the other: `grant` (tokens — written at
//! login and by the refresh that holds the lock) and `state` (profile,
//! balance, status).

use async_trait::async_trait;
use std::{fmt, time::Duration};
use time::OffsetDateTime;

/// `t` in Unix milliseconds, as SQLite and Redis keep times.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The time `v` Unix milliseconds stand for.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn from_ms(v: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(v) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Now, in Unix milliseconds.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn now_ms() -> i64 {
    ms(keyhole_providers::clock::now())
}

/// A backend failure: unreachable, or an answer it could not read.
#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// One stored connection: its sealed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnection {
    /// Provider id.
    pub provider: String,
    /// Sealed grant.
    pub grant: String,
    /// Sealed state.
    pub state: String,
}

/// One stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// Sealed metadata.
    pub meta: String,
    /// When the row expires (the earlier of absolute and idle expiry).
    pub expires_at: OffsetDateTime,
    /// Its connections.
    pub connections: Vec<StoredConnection>,
}

/// Storage for sessions, connections, locks, and small expiring key-value
/// records (pending logins, webhook de-duplication, per-user messaging
/// state) that must be shared by every instance.
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// The session and its connections, unless missing or expired.
    async fn load(&self, sid: &str) -> Result<Option<StoredSession>, StoreError>;
    /// Creates (or replaces) a session's metadata, keeping no connections.
    async fn create(
        &self,
        sid: &str,
        meta: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Creates (or replaces) a session with its first connections — a
    /// login. Backends that can write them in one step (one SQLite
    /// transaction: one commit instead of one per row) override this.
    async fn create_with(
        &self,
        sid: &str,
        meta: &str,
        expires_at: OffsetDateTime,
        connections: &[StoredConnection],
    ) -> Result<(), StoreError> {
        self.create(sid, meta, expires_at).await?;
        for c in connections {
            self.put_connection(sid, &c.provider, Some(&c.grant), Some(&c.state))
                .await?;
        }
        Ok(())
    }
    /// Moves the expiry of an existing session.
    async fn touch(&self, sid: &str, expires_at: OffsetDateTime) -> Result<(), StoreError>;
    /// Deletes a session and its connections.
    async fn delete(&self, sid: &str) -> Result<(), StoreError>;
    /// Writes a connection's grant and/or state. Returns false (and writes
    /// nothing) when the session no longer exists, so a logout is never
    /// undone by a late write.
    async fn put_connection(
        &self,
        sid: &str,
        provider: &str,
        grant: Option<&str>,
        state: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// Replaces a connection's grant only if it still is `expected` (the
    /// sealed value read before): a refresh never overwrites a grant that
    /// changed meanwhile. False when it changed, or the session is gone.
    async fn put_grant_if(
        &self,
        sid: &str,
        provider: &str,
        expected: &str,
        grant: &str,
    ) -> Result<bool, StoreError>;
    /// Removes one connection.
    async fn delete_connection(&self, sid: &str, provider: &str) -> Result<(), StoreError>;
    /// Takes the named lock for `owner` for `ttl` — measured by the store's
    /// own clock, so instances whose clocks disagree still agree on it —
    /// unless another owner holds an unexpired one; `owner` holding it
    /// renews it.
    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError>;
    /// Releases the lock if `owner` still holds it.
    async fn unlock(&self, name: &str, owner: &str) -> Result<(), StoreError>;
    /// Stores `value` under `key` until `expires_at`, replacing any value.
    async fn kv_put(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Stores `value` under `key` only when no unexpired value is there, in
    /// one atomic step however many instances race; true when written.
    async fn kv_put_if_absent(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Adds one to the counter under `key`, which starts at 1 and lives
    /// `window` (by the store's clock) from its first count; the new count.
    /// Atomic however many instances count at once.
    async fn kv_incr(&self, key: &str, window: Duration) -> Result<u64, StoreError>;
    /// The value under `key`, unless missing or expired.
    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Removes and returns the value under `key`, unless missing or
    /// expired, in one atomic step: of racing callers, one gets it (single
    /// use, as a login's state must be).
    async fn kv_take(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Removes the value under `key`, if any.
    async fn kv_delete(&self, key: &str) -> Result<(), StoreError>;
    /// Deletes expired rows; returns how many.
    async fn sweep(&self) -> Result<u64, StoreError>;
    /// Whether the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// How many unexpired sessions exist, where that is cheap to know.
    async fn count_sessions(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
}
