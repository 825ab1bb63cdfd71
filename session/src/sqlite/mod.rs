//! SQLite backend, the embedded default: one file under `data/`, WAL mode,
//! migrations applied at start-up, statements prepared once per connection.

mod migrate;
mod pool;

use super::backend::{Backend, StoreError, StoredConnection, StoredSession, from_ms, ms, now_ms};
use async_trait::async_trait;
use pool::Pool;
use rusqlite::OptionalExtension;
use std::{path::Path, sync::Arc, time::Duration};
use time::OffsetDateTime;

/// Sessions in a SQLite file; cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    pool: Arc<Pool>,
}

/// A session and its connections in one statement (one snapshot): the
/// session's row, then one row per connection (without a live session
/// row, the connections' rows are ignored). A `UNION ALL` rather than a
/// join: SQLite re-prepares the join on every call, as if the schema had
/// changed, because the bound id reaches the connections' index through
/// the join (half the instructions of a session read; see the test).
const LOAD: &str = "SELECT meta, expires_at, NULL, NULL, NULL FROM sessions \
     WHERE sid = ?1 AND expires_at > ?2 \
     UNION ALL SELECT NULL, NULL, provider, grant_blob, state_blob FROM connections WHERE sid = ?1";

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn err(e: rusqlite::Error) -> StoreError {
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
        let pool =
            Pool::open(path).map_err(|e| StoreError(format!("sqlite {}: {e}", path.display())))?;
        Ok(Self {
            pool: Arc::new(pool),
        })
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
        let now = now_ms();
        self.pool
            .read(|conn| {
                let mut statement = conn.prepare_cached(LOAD)?;
                let mut rows = statement.query((sid, now))?;
                let mut session = None;
                let mut connections = Vec::new();
                while let Some(row) = rows.next()? {
                    match row.get::<_, Option<String>>(0)? {
                        Some(meta) => session = Some((meta, from_ms(row.get(1)?))),
                        None => connections.push(StoredConnection {
                            provider: row.get(2)?,
                            grant: row.get(3)?,
                            state: row.get(4)?,
                        }),
                    }
                }
                Ok(session.map(|(meta, expires_at)| StoredSession {
                    meta,
                    expires_at,
                    connections,
                }))
            })
            .await
            .map_err(err)
    }

    async fn create(
        &self,
        sid: &str,
        meta: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.create_with(sid, meta, expires_at, &[]).await
    }

    async fn create_with(
        &self,
        sid: &str,
        meta: &str,
        expires_at: OffsetDateTime,
        connections: &[StoredConnection],
    ) -> Result<(), StoreError> {
        self.pool
            .write(|conn| {
                let tx = conn.transaction()?;
                // Replacing a row must not keep its old connections.
                tx.prepare_cached("DELETE FROM sessions WHERE sid = ?1")?
                    .execute([sid])?;
                tx.prepare_cached(
                    "INSERT INTO sessions (sid, meta, expires_at) VALUES (?1, ?2, ?3)",
                )?
                .execute((sid, meta, ms(expires_at)))?;
                for c in connections {
                    tx.prepare_cached(
                        "INSERT INTO connections (sid, provider, grant_blob, state_blob) \
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute((sid, &c.provider, &c.grant, &c.state))?;
                }
                tx.commit()
            })
            .await
            .map_err(err)
    }

    async fn touch(&self, sid: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        self.execute(
            "UPDATE sessions SET expires_at = ?2 WHERE sid = ?1",
            (sid, ms(expires_at)),
        )
        .await
        .map(drop)
    }

    async fn delete(&self, sid: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM sessions WHERE sid = ?1", (sid,))
            .await
            .map(drop)
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
        let done = self
            .execute(
                "INSERT INTO connections (sid, provider, grant_blob, state_blob)
                 SELECT ?1, ?2, COALESCE(?3, ''), COALESCE(?4, '')
                 WHERE EXISTS (SELECT 1 FROM sessions WHERE sid = ?1 AND expires_at > ?5)
                 ON CONFLICT (sid, provider) DO UPDATE SET
                     grant_blob = COALESCE(?3, grant_blob),
                     state_blob = COALESCE(?4, state_blob)",
                (sid, provider, grant, state, now_ms()),
            )
            .await?;
        Ok(done > 0)
    }

    async fn delete_connection(&self, sid: &str, provider: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM connections WHERE sid = ?1 AND provider = ?2",
            (sid, provider),
        )
        .await
        .map(drop)
    }

    async fn put_grant_if(
        &self,
        sid: &str,
        provider: &str,
        expected: &str,
        grant: &str,
    ) -> Result<bool, StoreError> {
        let done = self
            .execute(
                "UPDATE connections SET grant_blob = ?4 WHERE sid = ?1 AND provider = ?2 \
                 AND grant_blob = ?3 AND EXISTS (SELECT 1 FROM sessions WHERE sid = ?1 AND expires_at > ?5)",
                (sid, provider, expected, grant, now_ms()),
            )
            .await?;
        Ok(done > 0)
    }

    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = now_ms();
        let done = self
            .execute(
                "INSERT INTO locks (name, owner, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                 WHERE locks.expires_at <= ?4 OR locks.owner = excluded.owner",
                (name, owner, now.saturating_add(millis(ttl)), now),
            )
            .await?;
        Ok(done > 0)
    }

    async fn unlock(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM locks WHERE name = ?1 AND owner = ?2",
            (name, owner),
        )
        .await
        .map(drop)
    }

    async fn kv_put(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
            (key, value, ms(expires_at)),
        )
        .await
        .map(drop)
    }

    async fn kv_put_if_absent(
        &self,
        key: &str,
        value: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // One statement: an expired row counts as absent and is replaced.
        let done = self
            .execute(
                "INSERT INTO kv (key, value, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                 WHERE kv.expires_at <= ?4",
                (key, value, ms(expires_at), now_ms()),
            )
            .await?;
        Ok(done > 0)
    }

    async fn kv_incr(&self, key: &str, window: Duration) -> Result<u64, StoreError> {
        let now = now_ms();
        // One statement: an expired counter starts again at 1.
        let count: String = self
            .pool
            .write(|conn| {
                conn.prepare_cached(
                    "INSERT INTO kv (key, value, expires_at) VALUES (?1, '1', ?2)
                     ON CONFLICT (key) DO UPDATE SET
                         value = CASE WHEN kv.expires_at <= ?3 THEN '1'
                                      ELSE CAST(CAST(kv.value AS INTEGER) + 1 AS TEXT) END,
                         expires_at = CASE WHEN kv.expires_at <= ?3 THEN excluded.expires_at
                                           ELSE kv.expires_at END
                     RETURNING value",
                )?
                .query_row((key, now.saturating_add(millis(window)), now), |r| r.get(0))
            })
            .await
            .map_err(err)?;
        Ok(count.parse().unwrap_or(u64::MAX))
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let now = now_ms();
        self.pool
            .read(|conn| {
                conn.prepare_cached("SELECT value FROM kv WHERE key = ?1 AND expires_at > ?2")?
                    .query_row((key, now), |r| r.get(0))
                    .optional()
            })
            .await
            .map_err(err)
    }

    async fn kv_take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String, i64)> = self
            .pool
            .write(|conn| {
                conn.prepare_cached("DELETE FROM kv WHERE key = ?1 RETURNING value, expires_at")?
                    .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .await
            .map_err(err)?;
        Ok(row
            .filter(|(_, expires)| *expires > now_ms())
            .map(|(v, _)| v))
    }

    async fn kv_delete(&self, key: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM kv WHERE key = ?1", (key,))
            .await
            .map(drop)
    }

    async fn sweep(&self) -> Result<u64, StoreError> {
        let now = now_ms();
        let mut removed = 0;
        for table in ["sessions", "locks", "kv"] {
            let sql = format!("DELETE FROM {table} WHERE expires_at <= ?1");
            removed += self.execute(&sql, (now,)).await?;
        }
        Ok(removed)
    }

    async fn count_sessions(&self) -> Result<Option<u64>, StoreError> {
        let now = now_ms();
        let count: i64 = self
            .pool
            .read(|conn| {
                conn.prepare_cached("SELECT COUNT(*) FROM sessions WHERE expires_at > ?1")?
                    .query_row([now], |r| r.get(0))
            })
            .await
            .map_err(err)?;
        Ok(u64::try_from(count).ok())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.pool
            .read(|conn| conn.prepare_cached("SELECT 1")?.query_row([], |_| Ok(())))
            .await
            .map_err(err)
    }
}

impl SqliteBackend {
    /// Runs one writing statement; the rows it changed.
    async fn execute(
        &self,
        sql: &str,
        params: impl rusqlite::Params + Send,
    ) -> Result<u64, StoreError> {
        let changed = self
            .pool
            .write(|conn| conn.prepare_cached(sql)?.execute(params))
            .await
            .map_err(err)?;
        Ok(u64::try_from(changed).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session read is prepared once per connection, never again: a
    /// statement SQLite re-prepares on every call costs twice the read.
    #[tokio::test]
    async fn session_reads_are_never_prepared_again() {
        let dir = std::env::temp_dir().join(format!("keyhole-sqlite-{}", std::process::id()));
        let path = dir.join("prepared.db");
        let _ = std::fs::remove_file(&path);
        let backend = SqliteBackend::open(&path).await.unwrap();
        let later = keyhole_providers::clock::now() + time::Duration::HOUR;
        for sid in ["a", "b", "c"] {
            backend.create(sid, "meta", later).await.unwrap();
            backend
                .put_connection(sid, "p", Some("grant"), Some("state"))
                .await
                .unwrap();
        }
        for _ in 0..4 {
            for sid in ["a", "b", "c", "missing"] {
                backend.load(sid).await.unwrap();
            }
        }
        let mut again = 0;
        backend.pool.each_reader(|conn| {
            let statement = conn.prepare_cached(LOAD).unwrap();
            again += statement.get_status(rusqlite::StatementStatus::RePrepare);
        });
        assert_eq!(again, 0, "re-prepared {again} times");
        let loaded = backend.load("b").await.unwrap().unwrap();
        assert_eq!(
            (loaded.meta.as_str(), loaded.connections.len()),
            ("meta", 1)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A steady stream of writes keeps the WAL near SQLite's checkpoint
    /// size: it is checkpointed and rewound as it goes, never left to grow
    /// with everything written (as a background checkpointer let it).
    #[tokio::test]
    async fn the_wal_stays_small_under_a_stream_of_writes() {
        let dir = std::env::temp_dir().join(format!("keyhole-wal-{}", std::process::id()));
        let path = dir.join("wal.db");
        let _ = std::fs::remove_file(&path);
        let backend = SqliteBackend::open(&path).await.unwrap();
        let later = keyhole_providers::clock::now() + time::Duration::HOUR;
        let value = "v".repeat(2048);
        for i in 0..12_000 {
            backend
                .kv_put(&format!("key-{i}"), &value, later)
                .await
                .unwrap();
        }
        let wal = std::fs::metadata(dir.join("wal.db-wal")).unwrap().len();
        let db = std::fs::metadata(&path).unwrap().len();
        assert!(db > 24_000_000, "the rows reached the database: {db} bytes");
        assert!(wal < 16_000_000, "WAL of {wal} bytes");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
