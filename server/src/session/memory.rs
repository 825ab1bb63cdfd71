//! In-memory session store: for tests and single-process development.

use super::{PendingLogin, SessionId, SessionRecord, SessionStore, StoreError};
use async_trait::async_trait;
use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};

/// Sessions and pending logins in two maps; lost at restart.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<SessionId, SessionRecord>,
    pending: HashMap<String, PendingLogin>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-written
        // (each operation is one insert or remove), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn load(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let mut inner = self.lock();
        let now = crate::clock::now();
        match inner.sessions.get(id) {
            Some(record) if record.expires_at > now => Ok(Some(record.clone())),
            Some(_) => {
                inner.sessions.remove(id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn save(&self, record: &SessionRecord) -> Result<(), StoreError> {
        self.lock()
            .sessions
            .insert(record.id.clone(), record.clone());
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.lock().sessions.remove(id);
        Ok(())
    }

    async fn put_pending(&self, pending: &PendingLogin) -> Result<(), StoreError> {
        let mut inner = self.lock();
        // Drop expired logins here so abandoned popups cannot grow the map.
        let now = crate::clock::now();
        inner.pending.retain(|_, p| p.expires_at > now);
        inner.pending.insert(pending.state.clone(), pending.clone());
        Ok(())
    }

    async fn take_pending(&self, state: &str) -> Result<Option<PendingLogin>, StoreError> {
        let taken = self.lock().pending.remove(state);
        Ok(taken.filter(|p| p.expires_at > crate::clock::now()))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::LoginMode;
    use std::collections::BTreeMap;
    use time::Duration;

    fn pending(state: &str, ttl: Duration) -> PendingLogin {
        PendingLogin {
            state: state.to_owned(),
            provider: "p".to_owned(),
            mode: LoginMode::Popup,
            return_to: "/".to_owned(),
            pkce_verifier: "v".to_owned(),
            nonce: "n".to_owned(),
            binding_hash: "h".to_owned(),
            expires_at: crate::clock::now() + ttl,
        }
    }

    #[tokio::test]
    async fn pending_logins_are_single_use_and_expire() {
        let store = MemoryStore::new();
        store
            .put_pending(&pending("a", Duration::minutes(10)))
            .await
            .unwrap();
        store
            .put_pending(&pending("old", Duration::seconds(-1)))
            .await
            .unwrap();
        assert!(store.take_pending("a").await.unwrap().is_some());
        assert!(store.take_pending("a").await.unwrap().is_none(), "replay");
        assert!(
            store.take_pending("old").await.unwrap().is_none(),
            "expired"
        );
        assert!(store.take_pending("never").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn sessions_round_trip_and_expire() {
        let store = MemoryStore::new();
        let now = crate::clock::now();
        let live = SessionRecord {
            id: SessionId::generate(),
            created_at: now,
            expires_at: now + Duration::hours(1),
            connections: BTreeMap::new(),
        };
        let dead = SessionRecord {
            id: SessionId::generate(),
            expires_at: now - Duration::seconds(1),
            ..live.clone()
        };
        store.save(&live).await.unwrap();
        store.save(&dead).await.unwrap();
        assert!(store.load(&live.id).await.unwrap().is_some());
        assert!(store.load(&dead.id).await.unwrap().is_none());
        store.delete(&live.id).await.unwrap();
        assert!(store.load(&live.id).await.unwrap().is_none());
    }
}
