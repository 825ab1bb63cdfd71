//! Two keyhole instances measured side by side, interleaved A B B A: the store-against-store and 1 000-against-1 000 000 rows.
//!
//! A ratio between two measurements taken minutes apart carries the VM's
//! drift between those minutes (up to 0.16 between quiet runs, 2026-12-04);
//! run side by side and interleaved, both sides share it.

use anyhow::{Context, Result};
use std::path::Path;

use crate::{
    LOGIN_LOAD, LOGIN_WORKERS, PROVIDER, SESSION_COOKIE,
    cpu::{CpuUse, Meter, Pids},
    load::{Load, LoadTool, Spec, Target},
    login::{Logins, login, login_load},
    store::{Instance, Store},
};

/// One signed-in keyhole instance.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    pub(crate) base: String,
    /// `Cookie: …` of its signed-in session.
    pub(crate) cookie: String,
    pub(crate) pids: Pids,
}

impl Side {
    /// `instance`, signed in as the session whose cookie value is `session`.
    pub(crate) fn of(instance: &Instance, session: &str) -> Self {
        Self {
            base: instance.base.clone(),
            cookie: format!("Cookie: {SESSION_COOKIE}={session}"),
            pids: instance.pids,
        }
    }
}

/// What each side measured, `[A, B]`.
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) me: [Load; 2],
    pub(crate) balance: [Load; 2],
    pub(crate) logins: [Logins; 2],
    pub(crate) logins_cpu: [CpuUse; 2],
}

impl Pair {
    /// B's rates over A's: `/api/me`, balance, logins.
    pub(crate) fn ratios(&self) -> [f64; 3] {
        let over = |b: f64, a: f64| b / a.max(f64::EPSILON);
        [
            over(self.me[1].rate(), self.me[0].rate()),
            over(self.balance[1].rate(), self.balance[0].rate()),
            over(self.logins[1].rate(), self.logins[0].rate()),
        ]
    }
}

/// `/api/me`, balance and logins on both sides, each interleaved A B B A.
pub(crate) async fn measure_pair(
    tool: &LoadTool,
    http: &reqwest::Client,
    sides: [&Side; 2],
) -> Result<Pair> {
    let spec = |side: &Side, path: &str| {
        Spec::new(
            &format!("{}{path}", side.base),
            Some(&side.cookie),
            Target::Keyhole,
        )
        .on(side.pids)
    };
    let [a, b] = sides;
    let balance = format!("/api/me/{PROVIDER}/balance");
    let me = tool
        .interleaved([spec(a, "/api/me"), spec(b, "/api/me")], a.pids)
        .await?;
    let balance = tool
        .interleaved([spec(a, &balance), spec(b, &balance)], a.pids)
        .await?;

    // Logins: half the login load per run, in the order A B B A.
    let half = LOGIN_LOAD / 2;
    let mut runs = Vec::with_capacity(4);
    for side in [a, b, b, a] {
        let meter = Meter::start(side.pids)?;
        let logins = login_load(http, &side.base, LOGIN_WORKERS, half, u64::MAX).await;
        let cpu = meter.finish(logins.ok)?;
        runs.push((logins, cpu));
    }
    let [(a1, ca1), (b1, cb1), (b2, cb2), (a2, ca2)] =
        <[_; 4]>::try_from(runs).map_err(|_| anyhow::anyhow!("lost a login run"))?;
    let cpu = |c1: CpuUse, l1: &Logins, c2: CpuUse, l2: &Logins| {
        c1.merge(
            l1.ok,
            l1.elapsed.as_secs_f64(),
            &c2,
            l2.ok,
            l2.elapsed.as_secs_f64(),
        )
    };
    let logins_cpu = [cpu(ca1, &a1, ca2, &a2), cpu(cb1, &b1, cb2, &b2)];
    Ok(Pair {
        me,
        balance,
        logins: [a1.merge(a2), b1.merge(b2)],
        logins_cpu,
    })
}

/// SQLite (the default store) against the memory store: one instance of
/// each, with its own simulator, running at once.
pub(crate) async fn measure_versus(
    bin: &Path,
    tool: &LoadTool,
    http: &reqwest::Client,
) -> Result<Pair> {
    let mut instances = Vec::new();
    let mut sides = Vec::new();
    for store in [Store::Memory, Store::Sqlite] {
        let instance = Instance::start(bin, http, store, "bench/versus", false).await?;
        let session = login(http, &instance.base)
            .await
            .with_context(|| format!("first login, {} store", store.name()))?;
        sides.push(Side::of(&instance, &session));
        instances.push(instance);
    }
    let [memory, sqlite] = sides.as_slice() else {
        anyhow::bail!("two sides expected");
    };
    let pair = measure_pair(tool, http, [memory, sqlite]).await?;
    for instance in &mut instances {
        instance.check_alive()?;
    }
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn two_login_runs_merge_into_one_and_ratios_are_b_over_a() {
        let run = |ok, secs, ms: &[u64]| Logins {
            ok,
            elapsed: Duration::from_secs(secs),
            latencies: ms.iter().copied().map(Duration::from_millis).collect(),
            ..Logins::default()
        };
        let merged = run(30, 2, &[5, 9]).merge(run(10, 2, &[1, 7]));
        assert_eq!((merged.ok, merged.elapsed.as_secs()), (40, 4));
        assert_eq!(merged.rate(), 10.0);
        assert_eq!(
            merged.latencies,
            [1, 5, 7, 9].map(Duration::from_millis).to_vec()
        );

        let load = |ok| Load {
            ok,
            secs: 1.0,
            ..Load::default()
        };
        let pair = Pair {
            me: [load(100), load(80)],
            balance: [load(50), load(25)],
            logins: [run(10, 1, &[]), run(10, 2, &[])],
            logins_cpu: [CpuUse::default(); 2],
        };
        assert_eq!(pair.ratios(), [0.8, 0.5, 0.5]);
    }
}
