//! `keyhole-bench soak --minutes N`: two keyhole instances on one Redis under a mixed load, with restarts (`cargo xtask soak`).
//!
//! The soak starts a persistent redis-server, the simulator and two
//! keyhole instances (release builds, loopback ports), then for N minutes
//! runs people signing in, reading their profile and balance and signing
//! out through a load balancer over both instances (`traffic`), slow
//! clients trickling headers, and a timeline (`director`) of refresh
//! storms, webhook bursts, a login flood from one address, a call flood
//! on one session, one Redis restart and one keyhole restart. At the end
//! every session that nobody signed out must still be signed in. The
//! report (`report`) says what held; the run fails when one of the
//! must-hold numbers does not: no 5xx outside the outage windows, no
//! session lost, one refresh per storm, every slow client cut.

mod client;
mod cluster;
mod director;
mod report;
mod tally;
mod traffic;

use anyhow::{Context, Result, bail};
use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};
use tokio::sync::RwLock;
use xtask::target_dir;

use client::{Balancer, Sessions};
use cluster::Cluster;
use report::{Report, Rss};
use tally::Tally;
use traffic::Traffic;

/// People stepping through the app at once.
const PEOPLE: u64 = 12;
/// Slow clients per instance at any time.
const SLOW_CLIENTS: usize = 10;

/// `keyhole-bench soak --minutes N`; whether every must-hold number held.
pub(crate) fn run(args: &[String]) -> Result<bool> {
    let minutes: u64 = match args {
        [flag, n] if flag == "--minutes" => n.parse().context("--minutes takes a number")?,
        _ => bail!("usage: keyhole-bench soak --minutes N"),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(soak(Duration::from_secs(minutes * 60)))
}

async fn soak(length: Duration) -> Result<bool> {
    let dir = target_dir().join("soak");
    std::fs::create_dir_all(&dir)?;
    let bin = target_dir().join("release");
    let mut cluster = tokio::task::block_in_place(|| Cluster::start(&bin, &dir))?;
    let rss_start = Rss::read(&cluster)?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let traffic = Arc::new(Traffic {
        lb: Balancer::new(
            http,
            cluster.bases(),
            cluster.public.clone(),
            Arc::clone(&tally),
        ),
        sessions: Sessions::default(),
        gate: RwLock::new(()),
        until: started + length,
    });

    let mut tasks = tokio::task::JoinSet::new();
    for seed in 0..PEOPLE {
        tasks.spawn(traffic::people(Arc::clone(&traffic), seed));
    }
    for instance in &cluster.instances {
        for _ in 0..SLOW_CLIENTS {
            tasks.spawn(traffic::slow_client(Arc::clone(&traffic), instance.port));
        }
    }
    let events = director::direct(&mut cluster, &traffic).await;
    // The tasks stop by themselves at `until`; a slow client waits at most
    // a second more.
    tasks.join_all().await;
    let events = events?;
    cluster.check_alive()?;
    let rss_end = Rss::read(&cluster)?;

    // Every session nobody signed out must still be signed in, with its
    // connection active, on either instance.
    let live = traffic.sessions.all();
    let mut lost = 0;
    for (i, session) in live.iter().enumerate() {
        if !signed_in(&traffic.lb, i % 2, session).await {
            lost += 1;
        }
    }
    let report = Report {
        length,
        took: started.elapsed(),
        outcomes: tally.outcomes(),
        windows: tally.windows(),
        started,
        events,
        sessions_checked: live.len(),
        lost_at_end: lost,
        lost_midway: tally.lost_midway.load(Ordering::Relaxed),
        failovers: tally.failovers.load(Ordering::Relaxed),
        slow: [
            tally.slow_opened.load(Ordering::Relaxed),
            tally.slow_cut.load(Ordering::Relaxed),
            tally.slow_survived.load(Ordering::Relaxed),
            tally.slow_longest_ms.load(Ordering::Relaxed),
        ],
        rss: [rss_start, rss_end],
    };
    let (text, held) = report.render();
    println!("\n{text}");
    let out = dir.join("RESULTS.md");
    std::fs::write(&out, &text).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("xtask soak: written to {}", out.display());
    Ok(held)
}

/// Whether `session` still reads `/api/me` with an active connection.
async fn signed_in(lb: &Balancer, on: usize, session: &str) -> bool {
    let cookie = format!("{}={session}", crate::SESSION_COOKIE);
    let answer = lb
        .http
        .get(format!("{}/api/me", lb.bases[on]))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await;
    let Ok(answer) = answer else { return false };
    if !answer.status().is_success() {
        return false;
    }
    let me: serde_json::Value = answer.json().await.unwrap_or_default();
    me["connections"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["status"] == "active"))
}
