//! Redis backend, for several `keyhole` instances behind a load balancer.
//!
//! Keys (all under a configurable prefix, `keyhole:` by default):
//! - `{prefix}s:{sid}` — a hash per session: `meta`, `exp` (expiry, Unix ms)
//!   and one field pair per connection, `g:{provider}` (grant) and
//!   `s:{provider}` (state). `PEXPIREAT` makes Redis drop it at `exp`.
//! - `{prefix}l:{name}` — a lock, `SET owner NX PXAT`, deleted only by a
//!   script that first checks the owner.
//! - `{prefix}k:{key}` — a key-value record, a string with `PXAT`;
//!   `SET NX` makes put-if-absent atomic (webhook de-duplication).
//!
//! Writes that depend on what is there (touch, connection writes, locks) are
//! small Lua scripts, so they are atomic however many instances race. Every
//! command runs under a deadline: an unreachable Redis is a quick
//! [`StoreError`] (503 for the caller), and the connection manager
//! reconnects by itself when Redis is back.

mod connection;
mod scripts;

use self::scripts::{CREATE, INCR, LOCK, PUT_CONNECTION, PUT_GRANT_IF, TOUCH, UNLOCK};
use super::backend::{Backend, StoreError, StoredConnection, StoredSession, from_ms, ms, now_ms};
use async_trait::async_trait;
use redis::aio::ConnectionManager;
use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    time::Duration,
};
use time::OffsetDateTime;

/// Sessions in Redis; cheap to share (one multiplexed connection).
#[derive(Clone)]
pub struct RedisBackend {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    /// `host:port` only, for logs and `Debug` (the URL may hold a password).
    addr: String,
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("addr", &self.addr)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    fn session_key(&self, sid: &str) -> String {
        format!("{}s:{sid}", self.prefix)
    }

    fn lock_key(&self, name: &str) -> String {
        format!("{}l:{name}", self.prefix)
    }

    async fn delete_key(&self, key: &str) -> Result<(), StoreError> {
        self.run("DEL", |mut c| async move {
            redis::cmd("DEL").arg(key).query_async::<i64>(&mut c).await
        })
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Backend for RedisBackend {
    async fn load(&self, sid: &str) -> Result<Option<StoredSession>, StoreError> {
        let key = &self.session_key(sid);
        let mut fields: HashMap<String, String> = self
            .run("HGETALL", |mut c| async move {
                redis::cmd("HGETALL").arg(key).query_async(&mut c).await
            })
            .await?;
        let (Some(meta), Some(exp)) = (
            fields.remove("meta"),
            fields.remove("exp").and_then(|v| v.parse::<i64>().ok()),
        ) else {
            // Missing, or not a hash we wrote: no session either way.
            return Ok(None);
        };
        // Redis expires by its own clock; checking ours too keeps the
        // boundary the same as the other backends.
        if exp <= now_ms() {
            return Ok(None);
        }
        let mut pairs: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (field, value) in fields {
            if let Some(provider) = field.strip_prefix("g:") {
                pairs.entry(provider.to_owned()).or_default().0 = value;
            } else if let Some(provider) = field.strip_prefix("s:") {
                pairs.entry(provider.to_owned()).or_default().1 = value;
            }
        }
        Ok(Some(StoredSession {
            meta,
            expires_at: from_ms(exp),
            connections: pairs
                .into_iter()
                .map(|(provider, (grant, state))| StoredConnection {
                    provider,
                    grant,
                    state,
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
        let key = &self.session_key(sid);
        let exp = ms(expires_at);
        self.run("create", |mut c| async move {
            CREATE
                .key(key)
                .arg(meta)
                .arg(exp)
                .invoke_async::<i64>(&mut c)
                .await
        })
        .await?;
        Ok(())
    }

    async fn touch(&self, sid: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        let key = &self.session_key(sid);
        let exp = ms(expires_at);
        self.run("touch", |mut c| async move {
            TOUCH.key(key).arg(exp).invoke_async::<i64>(&mut c).await
        })
        .await?;
        Ok(())
    }

    async fn delete(&self, sid: &str) -> Result<(), StoreError> {
        self.delete_key(&self.session_key(sid)).await
    }

    async fn put_connection(
        &self,
        sid: &str,
        provider: &str,
        grant: Option<&str>,
        state: Option<&str>,
    ) -> Result<bool, StoreError> {
        let key = &self.session_key(sid);
        let flag = |v: Option<&str>| if v.is_some() { "1" } else { "0" };
        let written: i64 = self
            .run("put connection", |mut c| async move {
                PUT_CONNECTION
                    .key(key)
                    .arg(provider)
                    .arg(flag(grant))
                    .arg(grant.unwrap_or_default())
                    .arg(flag(state))
                    .arg(state.unwrap_or_default())
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(written == 1)
    }

    async fn delete_connection(&self, sid: &str, provider: &str) -> Result<(), StoreError> {
        let key = &self.session_key(sid);
        // `meta` stays, so the hash never empties (which would delete it).
        self.run("HDEL", |mut c| async move {
            redis::cmd("HDEL")
                .arg(key)
                .arg(format!("g:{provider}"))
                .arg(format!("s:{provider}"))
                .query_async::<i64>(&mut c)
                .await
        })
        .await?;
        Ok(())
    }

    async fn put_grant_if(
        &self,
        sid: &str,
        provider: &str,
        expected: &str,
        grant: &str,
    ) -> Result<bool, StoreError> {
        let key = &self.session_key(sid);
        let written: i64 = self
            .run("put grant if", |mut c| async move {
                PUT_GRANT_IF
                    .key(key)
                    .arg(provider)
                    .arg(expected)
                    .arg(grant)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(written == 1)
    }

    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let key = &self.lock_key(name);
        // PX (a lifetime), not PXAT (a time): Redis's own clock measures it.
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let taken: i64 = self
            .run("lock", |mut c| async move {
                LOCK.key(key)
                    .arg(owner)
                    .arg(ttl_ms)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(taken == 1)
    }

    async fn unlock(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let key = &self.lock_key(name);
        self.run("unlock", |mut c| async move {
            UNLOCK.key(key).arg(owner).invoke_async::<i64>(&mut c).await
        })
        .await?;
        Ok(())
    }

    async fn kv_put(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let key = &self.kv_key(key);
        let exp = ms(expires_at);
        if exp <= now_ms() {
            return self.delete_key(key).await;
        }
        self.run("SET", |mut c| async move {
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PXAT")
                .arg(exp)
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    async fn kv_put_if_absent(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let key = &self.kv_key(key);
        // PXAT must be positive; a past one stores a key that is gone at once.
        // Should `run` retry after a lost answer, the retry finds our own
        // key and reports it present: at most once, never twice.
        let exp = ms(expires_at).max(1);
        let written: Option<String> = self
            .run("SET NX", |mut c| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("NX")
                    .arg("PXAT")
                    .arg(exp)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(written.is_some())
    }

    async fn kv_incr(&self, key: &str, window: Duration) -> Result<u64, StoreError> {
        let key = &self.kv_key(key);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        self.run("incr", |mut c| async move {
            INCR.key(key).arg(window_ms).invoke_async(&mut c).await
        })
        .await
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = &self.kv_key(key);
        self.run("GET", |mut c| async move {
            redis::cmd("GET").arg(key).query_async(&mut c).await
        })
        .await
    }

    async fn kv_take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = &self.kv_key(key);
        // GETDEL (Redis 6.2+): read and delete in one step, so a replayed
        // callback racing the first finds nothing.
        self.run("GETDEL", |mut c| async move {
            redis::cmd("GETDEL").arg(key).query_async(&mut c).await
        })
        .await
    }

    async fn kv_delete(&self, key: &str) -> Result<(), StoreError> {
        self.delete_key(&self.kv_key(key)).await
    }

    /// Redis deletes expired keys itself: nothing is left to sweep.
    async fn sweep(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run("PING", |mut c| async move {
            redis::cmd("PING").query_async::<String>(&mut c).await
        })
        .await?;
        Ok(())
    }
}

// Key-value records (LINE webhook de-duplication, messaging state).
impl RedisBackend {
    fn kv_key(&self, key: &str) -> String {
        format!("{}k:{key}", self.prefix)
    }
}
