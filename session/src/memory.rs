//! In-memory backend: for tests and single-process development; lost at exit.

use super::backend::{Backend, StoreError, StoredConnection, StoredSession};
use async_trait::async_trait;
use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
    time::Duration,
};
use time::OffsetDateTime;

/// Everything in maps behind one mutex (never held across an await).
#[derive(Debug, Default)]
pub struct MemoryBackend {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<Box<str>, Row>,
    locks: HashMap<String, (String, OffsetDateTime)>,
    kv: HashMap<String, (String, OffsetDateTime)>,
}

/// One session, sized to what it holds: every session lives in the heap,
/// so boxed strings (no spare capacity) and a vector of its few
/// connections rather than a map, whose smallest node alone takes more
/// room than a session's sealed values.
#[derive(Debug)]
struct Row {
    meta: Box<str>,
    expires_at: OffsetDateTime,
    /// Ordered by provider id.
    connections: Vec<Connection>,
}

#[derive(Debug)]
struct Connection {
    provider: Box<str>,
    grant: Box<str>,
    state: Box<str>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each operation is a single insert or remove, so a panic elsewhere
        // cannot leave the maps half-written: poisoning is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now() -> OffsetDateTime {
    keyhole_providers::clock::now()
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn load(&self, sid: &str) -> Result<Option<StoredSession>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .sessions
            .get(sid)
            .filter(|row| row.expires_at > now())
            .map(|row| StoredSession {
                meta: row.meta.to_string(),
                expires_at: row.expires_at,
                connections: row
                    .connections
                    .iter()
                    .map(|c| StoredConnection {
                        provider: c.provider.to_string(),
                        grant: c.grant.to_string(),
                        state: c.state.to_string(),
                    })
                    .collect(),
            }))
    }

    async fn create(
        &self,
        sid: &str,
        meta: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.lock().sessions.insert(
            sid.into(),
            Row {
                meta: meta.into(),
                expires_at,
                connections: Vec::new(),
            },
        );
        Ok(())
    }

    async fn touch(&self, sid: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        if let Some(row) = self.lock().sessions.get_mut(sid) {
            row.expires_at = expires_at;
        }
        Ok(())
    }

    async fn delete(&self, sid: &str) -> Result<(), StoreError> {
        self.lock().sessions.remove(sid);
        Ok(())
    }

    async fn put_connection(
        &self,
        sid: &str,
        provider: &str,
        grant: Option<&str>,
        state: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(row) = inner.sessions.get_mut(sid).filter(|r| r.expires_at > now()) else {
            return Ok(false);
        };
        let at = match row
            .connections
            .binary_search_by(|c| (*c.provider).cmp(provider))
        {
            Ok(at) => at,
            Err(at) => {
                let empty = Connection {
                    provider: provider.into(),
                    grant: "".into(),
                    state: "".into(),
                };
                row.connections.insert(at, empty);
                at
            }
        };
        let connection = &mut row.connections[at];
        if let Some(grant) = grant {
            connection.grant = grant.into();
        }
        if let Some(state) = state {
            connection.state = state.into();
        }
        Ok(true)
    }

    async fn delete_connection(&self, sid: &str, provider: &str) -> Result<(), StoreError> {
        if let Some(row) = self.lock().sessions.get_mut(sid) {
            row.connections.retain(|c| *c.provider != *provider);
        }
        Ok(())
    }

    async fn put_grant_if(
        &self,
        sid: &str,
        provider: &str,
        expected: &str,
        grant: &str,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let now = now();
        let Some(row) = inner.sessions.get_mut(sid).filter(|r| r.expires_at > now) else {
            return Ok(false);
        };
        match row
            .connections
            .iter_mut()
            .find(|c| *c.provider == *provider)
        {
            Some(c) if *c.grant == *expected => {
                c.grant = grant.into();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let now = now();
        let expires_at = now + time::Duration::try_from(ttl).unwrap_or(time::Duration::MINUTE);
        match inner.locks.get(name) {
            Some((holder, until)) if holder != owner && *until > now => Ok(false),
            _ => {
                inner
                    .locks
                    .insert(name.to_owned(), (owner.to_owned(), expires_at));
                Ok(true)
            }
        }
    }

    async fn unlock(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner
            .locks
            .get(name)
            .is_some_and(|(holder, _)| holder == owner)
        {
            inner.locks.remove(name);
        }
        Ok(())
    }

    async fn kv_put(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.lock()
            .kv
            .insert(key.to_owned(), (value.to_owned(), expires_at));
        Ok(())
    }

    async fn kv_put_if_absent(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        if inner.kv.get(key).is_some_and(|(_, at)| *at > now()) {
            return Ok(false);
        }
        inner
            .kv
            .insert(key.to_owned(), (value.to_owned(), expires_at));
        Ok(true)
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .kv
            .get(key)
            .filter(|(_, at)| *at > now())
            .map(|(v, _)| v.clone()))
    }

    async fn kv_incr(&self, key: &str, window: Duration) -> Result<u64, StoreError> {
        let mut inner = self.lock();
        let now = now();
        let until = now + time::Duration::try_from(window).unwrap_or(time::Duration::MINUTE);
        let entry = inner
            .kv
            .entry(key.to_owned())
            .or_insert_with(|| ("0".to_owned(), until));
        if entry.1 <= now {
            *entry = ("0".to_owned(), until);
        }
        let count = entry.0.parse::<u64>().unwrap_or(0).saturating_add(1);
        entry.0 = count.to_string();
        Ok(count)
    }

    async fn kv_take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let taken = self.lock().kv.remove(key);
        Ok(taken.filter(|(_, at)| *at > now()).map(|(v, _)| v))
    }

    async fn kv_delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().kv.remove(key);
        Ok(())
    }

    async fn sweep(&self) -> Result<u64, StoreError> {
        let mut inner = self.lock();
        let now = now();
        let count = |i: &Inner| i.sessions.len() + i.locks.len() + i.kv.len();
        let before = count(&inner);
        inner.sessions.retain(|_, r| r.expires_at > now);
        inner.locks.retain(|_, (_, at)| *at > now);
        inner.kv.retain(|_, (_, at)| *at > now);
        let after = count(&inner);
        Ok((before - after) as u64)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn count_sessions(&self) -> Result<Option<u64>, StoreError> {
        let now = now();
        let inner = self.lock();
        Ok(Some(
            inner
                .sessions
                .values()
                .filter(|r| r.expires_at > now)
                .count() as u64,
        ))
    }
}
