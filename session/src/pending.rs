//! Pending logins (between `/login` and `/callback`): key-value records
//! under their state, sealed like everything else in the store.

use crate::{PendingLogin, SessionStore, StoreError};

impl SessionStore {
    /// Stores a pending login under its state, until it expires (one
    /// already expired is not stored at all).
    pub async fn put_pending(&self, pending: &PendingLogin) -> Result<(), StoreError> {
        if pending.expires_at <= keyhole_providers::clock::now() {
            return Ok(());
        }
        let ttl = pending.expires_at - keyhole_providers::clock::now();
        let ttl = std::time::Duration::try_from(ttl).unwrap_or_default();
        self.kv_put(&pending_key(&pending.state), pending, ttl)
            .await
    }

    /// The pending login for `state`, leaving it in place.
    pub async fn peek_pending(&self, state: &str) -> Result<Option<PendingLogin>, StoreError> {
        let pending: Option<PendingLogin> = self.kv_get(&pending_key(state)).await?;
        Ok(pending.filter(|p| p.expires_at > keyhole_providers::clock::now()))
    }

    /// Removes and returns the pending login for `state` (single use).
    pub async fn take_pending(&self, state: &str) -> Result<Option<PendingLogin>, StoreError> {
        let pending: Option<PendingLogin> = self.kv_take(&pending_key(state)).await?;
        Ok(pending.filter(|p| p.expires_at > keyhole_providers::clock::now()))
    }
}

/// Pending logins are key-value records under their state.
fn pending_key(state: &str) -> String {
    format!("pending:{state}")
}
