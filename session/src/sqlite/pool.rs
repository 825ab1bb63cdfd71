//! The SQLite connections: one writer and a few readers; statements run on
//! the calling task.
//!
//! Statements run inline, not on a thread of their own (sqlx's way, and
//! `spawn_blocking`'s): against a page cache, with WAL and `synchronous =
//! NORMAL`, a statement takes microseconds and a commit does not wait for
//! the disk, so handing it to another thread and waking the task again cost
//! several times SQLite's own work (BENCHMARKS.md, "SQLite"). Writers queue
//! on an async lock instead of SQLite's busy loop. The WAL is checkpointed
//! by SQLite itself, by the write that fills it (every ~4 MB: the one step
//! that syncs the disk, a few milliseconds): a checkpointer thread of our
//! own was tried and let the WAL grow without bound under a steady stream
//! of writes, since a WAL is only rewound when a checkpoint has caught up
//! with every write.

use super::migrate::migrate;
use rusqlite::{Connection, OpenFlags};
use std::{
    path::Path,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    thread,
    time::Duration,
};

/// How long a statement waits for a lock held by another process before
/// it fails (within one process, writers queue on [`Pool::write`]'s lock).
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// What a WAL file is cut back to once it has been checkpointed and
/// rewound (it otherwise keeps the size of its busiest moment).
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// Statements kept prepared per connection: more than the backend has.
const STATEMENT_CACHE: usize = 32;

/// The connections to one database file.
pub(super) struct Pool {
    writer: tokio::sync::Mutex<Connection>,
    readers: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("readers", &self.readers.len())
            .finish_non_exhaustive()
    }
}

fn text(e: rusqlite::Error) -> String {
    e.to_string()
}

impl Pool {
    /// Opens the writer (creating the file and migrating it) and the readers.
    pub(super) fn open(path: &Path) -> Result<Self, String> {
        let mut writer = Connection::open(path).map_err(text)?;
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| writer.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| writer.pragma_update(None, "foreign_keys", true))
            .and_then(|()| writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT))
            .and_then(|()| writer.busy_timeout(BUSY_TIMEOUT))
            .map_err(text)?;
        writer.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut writer)?;
        // One reader per thread that can run a task at once, and a spare.
        let count = thread::available_parallelism().map_or(4, |n| n.get().clamp(2, 16)) + 1;
        let readers = (0..count)
            .map(|_| reader(path).map(Mutex::new))
            .collect::<Result<_, _>>()
            .map_err(text)?;
        Ok(Self {
            writer: tokio::sync::Mutex::new(writer),
            readers,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on the writer, after any write already queued.
    pub(super) async fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        f(&mut *self.writer.lock().await)
    }

    /// Runs `f` on a free reader (WAL readers never wait for the writer),
    /// or on the writer when every reader is in use.
    pub(super) async fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Ok(conn) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return f(&conn);
            }
        }
        f(&*self.writer.lock().await)
    }
}

#[cfg(test)]
impl Pool {
    /// Every reader, for tests that look at their statements.
    pub(super) fn each_reader(&self, mut f: impl FnMut(&Connection)) {
        for reader in &self.readers {
            f(&reader
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner));
        }
    }
}

/// A read-only connection.
fn reader(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}
