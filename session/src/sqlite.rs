//! SQLite backend, the embedded default: one file under `data/`, WAL mode,
//! migrations applied at start-up.

use super::backend::{Backend, StoreError, StoredConnection, StoredSession};
use async_trait::async_trait;
use sqlx::{
    Row,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};
use std::{path::Path, str::FromStr, time::Duration};
use time::OffsetDateTime;

/// Sessions in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    pool: SqlitePool,
}

fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn from_ms(v: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(v) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn now_ms() -> i64 {
    ms(keyhole_providers::clock::now())
}

fn err(e: sqlx::Error) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        }
        owner_only(path)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", path.display())))?;
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A connection to a local file does not go stale, and the default
            // ping before each use is one more round trip to sqlx's
            // connection thread on every query.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(err)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError(format!("sqlite migration: {e}")))?;
        Ok(Self { pool })
    }
}

/// Creates the database file readable by its owner only, or narrows an
/// existing one to that: it holds sealed sessions, but their hashes and
/// sizes are nobody else's business. SQLite gives its `-wal` and `-shm`
/// files the database file's mode.
fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn load(&self, sid: &str) -> Result<Option<StoredSession>, StoreError> {
        // One statement, not two: every statement is a round trip to sqlx's
        // connection thread, which costs more than SQLite's own work here.
        let rows = sqlx::query(
            "SELECT s.meta, s.expires_at, c.provider, c.grant_blob, c.state_blob \
             FROM sessions s LEFT JOIN connections c ON c.sid = s.sid \
             WHERE s.sid = ?1 AND s.expires_at > ?2 ORDER BY c.provider",
        )
        .bind(sid)
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let meta: String = first.get(0);
        let expires_at = from_ms(first.get(1));
        let connections = rows
            .iter()
            .filter_map(|r| {
                // A session without connections yields one row of NULLs.
                Some(StoredConnection {
                    provider: r.get::<Option<String>, _>(2)?,
                    grant: r.get(3),
                    state: r.get(4),
                })
            })
            .collect();
        Ok(Some(StoredSession {
            meta,
            expires_at,
            connections,
        }))
    }

    async fn create(
        &self,
        sid: &str,
        meta: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(err)?;
        // Replacing a row must not keep its old connections.
        sqlx::query("DELETE FROM sessions WHERE sid = ?1")
            .bind(sid)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        sqlx::query("INSERT INTO sessions (sid, meta, expires_at) VALUES (?1, ?2, ?3)")
            .bind(sid)
            .bind(meta)
            .bind(ms(expires_at))
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn touch(&self, sid: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET expires_at = ?2 WHERE sid = ?1")
            .bind(sid)
            .bind(ms(expires_at))
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn delete(&self, sid: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE sid = ?1")
            .bind(sid)
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn put_connection(
        &self,
        sid: &str,
        provider: &str,
        grant: Option<&str>,
        state: Option<&str>,
    ) -> Result<bool, StoreError> {
        // One statement: written only while the session exists, each field
        // only when given, so concurrent writers of the other field are kept.
        let done = sqlx::query(
            "INSERT INTO connections (sid, provider, grant_blob, state_blob)
             SELECT ?1, ?2, COALESCE(?3, ''), COALESCE(?4, '')
             WHERE EXISTS (SELECT 1 FROM sessions WHERE sid = ?1 AND expires_at > ?5)
             ON CONFLICT (sid, provider) DO UPDATE SET
                 grant_blob = COALESCE(?3, grant_blob),
                 state_blob = COALESCE(?4, state_blob)",
        )
        .bind(sid)
        .bind(provider)
        .bind(grant)
        .bind(state)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_connection(&self, sid: &str, provider: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM connections WHERE sid = ?1 AND provider = ?2")
            .bind(sid)
            .bind(provider)
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn put_grant_if(
        &self,
        sid: &str,
        provider: &str,
        expected: &str,
        grant: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE connections SET grant_blob = ?4 WHERE sid = ?1 AND provider = ?2 \
             AND grant_blob = ?3 AND EXISTS (SELECT 1 FROM sessions WHERE sid = ?1 AND expires_at > ?5)",
        )
        .bind(sid)
        .bind(provider)
        .bind(expected)
        .bind(grant)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let expires_at = now_ms().saturating_add(ttl_ms);
        let done = sqlx::query(
            "INSERT INTO locks (name, owner, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
             WHERE locks.expires_at <= ?4 OR locks.owner = excluded.owner",
        )
        .bind(name)
        .bind(owner)
        .bind(expires_at)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn unlock(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM locks WHERE name = ?1 AND owner = ?2")
            .bind(name)
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn kv_put(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO kv (key, value, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        )
        .bind(key)
        .bind(value)
        .bind(ms(expires_at))
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn kv_put_if_absent(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // One statement: an expired row counts as absent and is replaced.
        let done = sqlx::query(
            "INSERT INTO kv (key, value, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
             WHERE kv.expires_at <= ?4",
        )
        .bind(key)
        .bind(value)
        .bind(ms(expires_at))
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn kv_incr(&self, key: &str, window: Duration) -> Result<u64, StoreError> {
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
        // One statement: an expired counter starts again at 1.
        let row = sqlx::query(
            "INSERT INTO kv (key, value, expires_at) VALUES (?1, '1', ?2)
             ON CONFLICT (key) DO UPDATE SET
                 value = CASE WHEN kv.expires_at <= ?3 THEN '1'
                              ELSE CAST(CAST(kv.value AS INTEGER) + 1 AS TEXT) END,
                 expires_at = CASE WHEN kv.expires_at <= ?3 THEN excluded.expires_at
                                   ELSE kv.expires_at END
             RETURNING value",
        )
        .bind(key)
        .bind(until)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        Ok(row.get::<String, _>(0).parse().unwrap_or(u64::MAX))
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM kv WHERE key = ?1 AND expires_at > ?2")
            .bind(key)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await
            .map_err(err)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn kv_take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("DELETE FROM kv WHERE key = ?1 RETURNING value, expires_at")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(err)?;
        Ok(row
            .filter(|r| r.get::<i64, _>(1) > now_ms())
            .map(|r| r.get(0)))
    }

    async fn kv_delete(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM kv WHERE key = ?1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn sweep(&self) -> Result<u64, StoreError> {
        let now = now_ms();
        let mut removed = 0;
        for table in ["sessions", "locks", "kv"] {
            removed += sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= ?1"))
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(err)?
                .rows_affected();
        }
        Ok(removed)
    }

    async fn count_sessions(&self) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM sessions WHERE expires_at > ?1")
            .bind(now_ms())
            .fetch_one(&self.pool)
            .await
            .map_err(err)?;
        Ok(u64::try_from(row.get::<i64, _>(0)).ok())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }
}
