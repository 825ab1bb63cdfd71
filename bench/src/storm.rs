//! The refresh storm: many balance requests at once on a session whose access token has expired.

use anyhow::{Result, ensure};
use reqwest::header;
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{PROVIDER, REFRESH_COUNTER, SESSION_COOKIE, STORM, STORM_ADVANCE_SECS, login::drain};

#[derive(Debug)]
pub(crate) struct Storm {
    pub(crate) refreshes: u64,
    /// HTTP status → count; 0 is a transport error.
    pub(crate) statuses: BTreeMap<u16, usize>,
    pub(crate) latencies: Vec<Duration>,
}

/// Expires the session's access token at the simulator, then sends
/// [`STORM`] balance requests at once on that session: keyhole must refresh
/// exactly once and answer all of them.
pub(crate) async fn storm(
    http: &reqwest::Client,
    base: &str,
    sim_url: &str,
    session: &str,
) -> Result<Storm> {
    let before = counter(http, sim_url, REFRESH_COUNTER).await?;
    let advanced = http
        .post(format!("{sim_url}/_sim/clock/advance"))
        .json(&json!({ "seconds": STORM_ADVANCE_SECS }))
        .send()
        .await?;
    ensure!(
        advanced.status().is_success(),
        "clock/advance answered {}",
        advanced.status()
    );

    let gate = Arc::new(tokio::sync::Barrier::new(STORM));
    let url = format!("{base}/api/me/{PROVIDER}/balance");
    let cookie = format!("{SESSION_COOKIE}={session}");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..STORM {
        let (http, gate, url, cookie) =
            (http.clone(), Arc::clone(&gate), url.clone(), cookie.clone());
        tasks.spawn(async move {
            gate.wait().await;
            let t = Instant::now();
            let status = match http.get(&url).header(header::COOKIE, cookie).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    drain(r).await;
                    status
                }
                Err(_) => 0,
            };
            (status, t.elapsed())
        });
    }
    let mut statuses = BTreeMap::new();
    let mut latencies = Vec::with_capacity(STORM);
    while let Some(done) = tasks.join_next().await {
        let (status, took) = done.unwrap_or((0, Duration::ZERO));
        *statuses.entry(status).or_default() += 1;
        latencies.push(took);
    }
    latencies.sort();
    let refreshes = counter(http, sim_url, REFRESH_COUNTER).await? - before;
    eprintln!("xtask bench: storm: {refreshes} refresh(es), statuses {statuses:?}");
    Ok(Storm {
        refreshes,
        statuses,
        latencies,
    })
}

/// One of the simulator's call counters.
async fn counter(http: &reqwest::Client, sim_url: &str, name: &str) -> Result<u64> {
    let counters: Value = http
        .get(format!("{sim_url}/_sim/counters"))
        .send()
        .await?
        .json()
        .await?;
    Ok(counters[name].as_u64().unwrap_or(0))
}
