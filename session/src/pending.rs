//! Pending logins (between `/login` and `/callback`): key-value records
//! under their provider, browser binding and state, sealed like everything
//! else in the store.

use crate::{PendingLogin, SessionStore, StoreError};

impl SessionStore {
    /// Stores a pending login until it expires (one already expired is not
    /// stored at all).
    pub async fn put_pending(&self, pending: &PendingLogin) -> Result<(), StoreError> {
        if pending.expires_at <= keyhole_providers::clock::now() {
            return Ok(());
        }
        let ttl = pending.expires_at - keyhole_providers::clock::now();
        let ttl = std::time::Duration::try_from(ttl).unwrap_or_default();
        let key = pending_key(&pending.provider, &pending.binding_hash, &pending.state);
        self.kv_put(&key, pending, ttl).await
    }

    /// Removes and returns the pending login `state` names, if it was
    /// started for `provider` by the browser whose binding hashes to
    /// `binding_hash` (single use: of racing callers, one gets it).
    ///
    /// All three are the key, so one atomic step both checks and spends
    /// it: a caller who learnt the state but names another provider or has
    /// another binding finds nothing, and leaves the login to its browser.
    pub async fn take_pending(
        &self,
        state: &str,
        provider: &str,
        binding_hash: &str,
    ) -> Result<Option<PendingLogin>, StoreError> {
        let key = pending_key(provider, binding_hash, state);
        let pending: Option<PendingLogin> = self.kv_take(&key).await?;
        Ok(pending.filter(|p| p.expires_at > keyhole_providers::clock::now()))
    }
}

/// The record's key: the provider id length-prefixed and the binding hash
/// (base64, no `:`) before the state, so no two triples read the same
/// whatever a callback sends as its state.
fn pending_key(provider: &str, binding_hash: &str, state: &str) -> String {
    format!(
        "pending:{}:{provider}:{binding_hash}:{state}",
        provider.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_different_triples_differ() {
        let keys = [
            pending_key("a", "b", "c"),
            pending_key("a:b", "", "c"),
            pending_key("a", "", "b:c"),
            pending_key("a", "b:c", ""),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
