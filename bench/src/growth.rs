//! Growth: SQLite and Redis holding 1 000 and then 1 000 000 sessions —
//! copies of one real sign-in written through the session store, not
//! logins — and keyhole's `/api/me`, balance and logins at each size,
//! both sizes running at once and measured interleaved.

use anyhow::{Context, Result};
use futures_util::{StreamExt, TryStreamExt, stream};
use keyhole_session::{
    Backend, Keyring, RedisBackend, SessionId, SessionRecord, SessionStore, SqliteBackend,
};
use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    cpu::CpuUse,
    load::{Load, LoadTool},
    login::{Logins, login},
    pair::{Pair, Side, measure_pair},
    store::{BENCH_SESSION_KEY_BYTES, Instance, Store},
};

/// The store sizes compared.
pub(crate) const SIZES: [u64; 2] = [1_000, 1_000_000];
/// Sessions written at once while filling.
const FILL_TASKS: usize = 32;
/// keyhole's default `session.idle_secs`, so the copies expire as its own.
const IDLE: Duration = Duration::from_secs(7 * 24 * 3600);
/// keyhole's default `session.redis_prefix`.
const REDIS_PREFIX: &str = "keyhole:";

/// One size's measurements.
#[derive(Debug)]
pub(crate) struct Step {
    /// Sessions in the store while `/api/me` and balance were measured.
    pub(crate) sessions: u64,
    pub(crate) fill: Duration,
    pub(crate) me: Load,
    pub(crate) balance: Load,
    pub(crate) logins: Logins,
    pub(crate) logins_cpu: CpuUse,
    /// The SQLite file and its WAL, or Redis's `used_memory`.
    pub(crate) store_bytes: u64,
}

/// One store's growth run.
#[derive(Debug)]
pub(crate) struct Growth {
    pub(crate) store: Store,
    pub(crate) steps: Vec<Step>,
}

impl Growth {
    /// Bytes the store grew by per session between the two sizes.
    pub(crate) fn bytes_per_session(&self) -> Option<f64> {
        let [small, large] = self.steps.as_slice() else {
            return None;
        };
        let sessions = large.sessions.checked_sub(small.sessions)?;
        Some(large.store_bytes.saturating_sub(small.store_bytes) as f64 / sessions.max(1) as f64)
    }
}

/// One instance per size, each with its own simulator and store, filled
/// to its size; then both measured side by side ([`measure_pair`]).
pub(crate) async fn measure_growth(
    bin: &Path,
    tool: &LoadTool,
    http: &reqwest::Client,
    store: Store,
) -> Result<Growth> {
    let mut sized = Vec::new();
    for size in SIZES {
        let dir = format!("bench/growth/{size}");
        let instance = Instance::start(bin, http, store, &dir, true).await?;
        let session = login(http, &instance.base).await.context("first login")?;
        let sessions = open_store(&instance.store_url).await?;
        let template = sessions
            .load(&SessionId::from_cookie(&session))
            .await?
            .context("the signed-in session is not in the store")?;
        let started = Instant::now();
        fill(&sessions, &template, size.saturating_sub(1)).await?;
        let fill_time = started.elapsed();
        drop(sessions);
        eprintln!(
            "xtask bench: {} store filled to {size} sessions in {:.0} s",
            store.name(),
            fill_time.as_secs_f64()
        );
        let store_bytes = store_bytes(&instance.store_url).await?;
        let side = Side::of(&instance, &session);
        sized.push((instance, side, size, fill_time, store_bytes));
    }
    let [small, large] = sized.as_mut_slice() else {
        anyhow::bail!("growth compares two sizes");
    };
    let pair = measure_pair(tool, http, [&small.1, &large.1]).await?;
    for (instance, ..) in sized.iter_mut() {
        instance.check_alive()?;
    }
    let Pair {
        me: [me_small, me_large],
        balance: [balance_small, balance_large],
        logins: [logins_small, logins_large],
        logins_cpu: [cpu_small, cpu_large],
    } = pair;
    let steps = sized
        .iter()
        .zip([
            (me_small, balance_small, logins_small, cpu_small),
            (me_large, balance_large, logins_large, cpu_large),
        ])
        .map(
            |((_, _, size, fill, store_bytes), (me, balance, logins, logins_cpu))| Step {
                sessions: *size,
                fill: *fill,
                me,
                balance,
                logins,
                logins_cpu,
                store_bytes: *store_bytes,
            },
        )
        .collect();
    Ok(Growth { store, steps })
}

/// The store keyhole uses, opened in this process with keyhole's key.
async fn open_store(url: &str) -> Result<SessionStore> {
    let backend: Arc<dyn Backend> = match url.strip_prefix("sqlite://") {
        Some(path) => Arc::new(SqliteBackend::open(Path::new(path)).await?),
        None => Arc::new(RedisBackend::open(
            url,
            REDIS_PREFIX,
            Duration::from_secs(10),
        )?),
    };
    let keys = Keyring::new(BENCH_SESSION_KEY_BYTES, &[]);
    Ok(SessionStore::new(backend, keys, IDLE))
}

/// Writes `count` copies of `template`, each under a new id.
async fn fill(store: &SessionStore, template: &SessionRecord, count: u64) -> Result<()> {
    stream::iter(0..count)
        .map(|_| async {
            let mut copy = template.clone();
            copy.id = SessionId::generate();
            store.create(&copy).await
        })
        .buffer_unordered(FILL_TASKS)
        .try_for_each(|()| async { Ok(()) })
        .await?;
    Ok(())
}

/// The SQLite database and WAL files' bytes, or Redis's `used_memory`.
async fn store_bytes(url: &str) -> Result<u64> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let size = |p: &str| std::fs::metadata(p).map_or(0, |m| m.len());
        return Ok(size(path) + size(&format!("{path}-wal")));
    }
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .context("INFO memory without used_memory")
}
