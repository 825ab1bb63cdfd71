//! Small expiring records every instance shares (pending logins, webhook
//! de-duplication, messaging state): keys hashed, values sealed.

use crate::{SessionStore, StoreError, store::hashed};
use serde::{Serialize, de::DeserializeOwned};
use std::time::Duration;
use time::OffsetDateTime;

impl SessionStore {
    /// Stores `value` under `key` for `ttl`, replacing any value. Keys are
    /// hashed and values sealed, like everything else in the store.
    pub async fn kv_put<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let key = hashed(key);
        let sealed = self.seal(value, &kv_aad(&key))?;
        self.backend.kv_put(&key, &sealed, expiry(ttl)).await
    }

    /// Stores `value` under `key` for `ttl` unless an unexpired value is
    /// there; true when this call wrote it (atomic across instances).
    pub async fn kv_put_if_absent<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let key = hashed(key);
        let sealed = self.seal(value, &kv_aad(&key))?;
        self.backend
            .kv_put_if_absent(&key, &sealed, expiry(ttl))
            .await
    }

    /// The value under `key`, unless missing, expired or unreadable.
    pub async fn kv_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let key = hashed(key);
        let Some(sealed) = self.backend.kv_get(&key).await? else {
            return Ok(None);
        };
        Ok(self.open(&sealed, &kv_aad(&key)))
    }

    /// Removes and returns the value under `key`, atomically: of racing
    /// callers, one gets it.
    pub async fn kv_take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let key = hashed(key);
        let Some(sealed) = self.backend.kv_take(&key).await? else {
            return Ok(None);
        };
        Ok(self.open(&sealed, &kv_aad(&key)))
    }

    /// Adds one to the counter under `key` (hashed), which lives `window`
    /// from its first count; the new count. Shared by every instance on the
    /// store: what limits a quota the deployment shares.
    pub async fn kv_incr(&self, key: &str, window: Duration) -> Result<u64, StoreError> {
        self.backend.kv_incr(&hashed(key), window).await
    }

    /// Removes the value under `key`, if any.
    pub async fn kv_delete(&self, key: &str) -> Result<(), StoreError> {
        self.backend.kv_delete(&hashed(key)).await
    }
}

fn kv_aad(key: &str) -> String {
    format!("kv:{key}")
}

/// `ttl` from now (a TTL too large for `time` saturates at a century).
fn expiry(ttl: Duration) -> OffsetDateTime {
    keyhole_providers::clock::now()
        + time::Duration::try_from(ttl).unwrap_or(time::Duration::days(36_525))
}
