//! The soak's timeline: refresh storms, webhook bursts, floods over the limits, a Redis restart and an instance restart, one at a time.

use anyhow::{Context, Result, ensure};
use futures_util::future::join_all;
use rand::{SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use super::{
    client::address,
    cluster::{BOT, Cluster},
    tally::Class,
    traffic::Traffic,
};
use crate::{PROVIDER, REFRESH_COUNTER, STORM, STORM_ADVANCE_SECS, login::drain};

/// Time between two events of the timeline.
const TICK: Duration = Duration::from_secs(12);
/// How long Redis stays down, and how long after it is back failures
/// still count as the outage's (keyhole reconnects by itself).
const REDIS_OUTAGE: Duration = Duration::from_secs(3);
const REDIS_HEAL: Duration = Duration::from_secs(5);
/// Webhooks per burst (each then redelivered to the other instance).
const WEBHOOKS: usize = 10;
/// Login starts of the login flood, and balance calls of the call flood:
/// each far over its per-minute limit on both instances together.
const FLOOD_LOGINS: usize = 100;
const FLOOD_CALLS: usize = 200;
/// Seeded LINE users of the simulator who send messages.
const LINE_USERS: [u64; 2] = [12346, 12347];

/// What the timeline measured itself.
#[derive(Debug, Default)]
pub(crate) struct Events {
    /// Refreshes the simulator saw in each storm (each must be 1).
    pub(crate) storms: Vec<u64>,
    /// From Redis answering again to keyhole's `/readyz` answering 200.
    pub(crate) redis_heal: Option<Duration>,
    /// From SIGTERM to the restarted instance being ready.
    pub(crate) instance_restart: Option<Duration>,
}

/// Runs the timeline until `traffic.until`.
pub(crate) async fn direct(cluster: &mut Cluster, traffic: &Arc<Traffic>) -> Result<Events> {
    let start = Instant::now();
    let length = traffic.until.saturating_duration_since(start);
    let (redis_at, restart_at) = (start + length * 2 / 5, start + length * 7 / 10);
    let mut events = Events::default();
    let mut rng = StdRng::seed_from_u64(7);
    for step in 0.. {
        let now = Instant::now();
        if now + TICK > traffic.until {
            break;
        }
        if events.redis_heal.is_none() && now >= redis_at {
            events.redis_heal = Some(restart_redis(cluster, traffic).await?);
        } else if events.instance_restart.is_none() && now >= restart_at {
            events.instance_restart = Some(restart_instance(cluster, traffic)?);
        } else {
            match step % 4 {
                0 => webhooks(cluster, traffic).await?,
                1 => flood_logins(traffic, &address(&mut rng)).await,
                2 => events
                    .storms
                    .push(storm(cluster, traffic, &address(&mut rng)).await?),
                _ => flood_calls(traffic, &address(&mut rng)).await?,
            }
        }
        tokio::time::sleep_until((now + TICK).into()).await;
    }
    Ok(events)
}

/// A session signs in, its access token expires at the provider, and
/// [`STORM`] balance requests arrive at once, every other one at each
/// instance: the provider must see one refresh. The steady load pauses
/// meanwhile, so the simulator's count is the storm's alone.
async fn storm(cluster: &Cluster, traffic: &Traffic, from: &str) -> Result<u64> {
    let _alone = traffic.gate.write().await;
    let lb = &traffic.lb;
    let session = lb
        .login(Class::Storm, from)
        .await?
        .context("the storm's login was refused")?;
    let before = counter(cluster, &lb.http).await?;
    let advanced = lb
        .http
        .post(format!("{}/_sim/clock/advance", cluster.sim_url))
        .json(&json!({ "seconds": STORM_ADVANCE_SECS }))
        .send()
        .await?;
    ensure!(
        advanced.status().is_success(),
        "clock/advance: {}",
        advanced.status()
    );
    let path = format!("/api/me/{PROVIDER}/balance");
    let calls = (0..STORM).map(|i| lb.get(Class::Storm, Some(i % 2), &path, &session));
    join_all(calls).await;
    let refreshes = counter(cluster, &lb.http).await? - before;
    traffic.sessions.park(session);
    Ok(refreshes)
}

/// The simulator's refresh-grant counter.
async fn counter(cluster: &Cluster, http: &reqwest::Client) -> Result<u64> {
    let counters: Value = http
        .get(format!("{}/_sim/counters", cluster.sim_url))
        .send()
        .await?
        .json()
        .await?;
    Ok(counters[REFRESH_COUNTER].as_u64().unwrap_or(0))
}

/// [`WEBHOOKS`] signed webhooks from the simulator (as LINE sends them),
/// alternating between the instances, each followed by a redelivery to
/// the other instance.
async fn webhooks(cluster: &Cluster, traffic: &Traffic) -> Result<()> {
    let lb = &traffic.lb;
    for i in 0..WEBHOOKS {
        let user = LINE_USERS[i % LINE_USERS.len()];
        let first = json!({
            "target_url": format!("{}/api/webhooks/{BOT}", lb.bases[i % 2]),
            "events": [{"type": "message", "user_id": user, "text": format!("soak {i}")}],
        });
        let again = json!({
            "target_url": format!("{}/api/webhooks/{BOT}", lb.bases[1 - i % 2]),
            "redelivery": true,
        });
        for request in [first, again] {
            let started = Instant::now();
            let answer = lb
                .http
                .post(format!("{}/_sim/line-bot/webhook", cluster.sim_url))
                .json(&request)
                .send()
                .await?;
            // The simulator answers keyhole's status, or 502 if it got none.
            let status = match answer.json::<Value>().await {
                Ok(v) => v["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(0),
                Err(_) => 0,
            };
            lb.tally.record(Class::Webhook, status, started);
        }
    }
    Ok(())
}

/// [`FLOOD_LOGINS`] login starts from one address, ten at a time: past
/// the per-address limit keyhole must answer 429.
async fn flood_logins(traffic: &Traffic, from: &str) {
    let lb = &traffic.lb;
    for _ in 0..FLOOD_LOGINS / 10 {
        let starts = (0..10).map(|_| async {
            let answer = lb
                .send(Class::AbuseLogins, None, |base| {
                    lb.http
                        .get(format!("{base}/api/auth/{PROVIDER}/login?mode=redirect"))
                        .header("x-forwarded-for", from)
                })
                .await;
            if let Some(r) = answer {
                drain(r).await;
            }
        });
        join_all(starts).await;
    }
}

/// One session (a fresh one) calls its balance [`FLOOD_CALLS`] times,
/// twenty at a time: past the per-session limit keyhole must answer 429.
async fn flood_calls(traffic: &Traffic, from: &str) -> Result<()> {
    let lb = &traffic.lb;
    let Some(session) = lb.login(Class::AbuseCalls, from).await? else {
        return Ok(());
    };
    let path = format!("/api/me/{PROVIDER}/balance");
    for _ in 0..FLOOD_CALLS / 20 {
        join_all((0..20).map(|_| lb.get(Class::AbuseCalls, None, &path, &session))).await;
    }
    traffic.sessions.park(session);
    Ok(())
}

/// Redis stops gracefully, stays down for [`REDIS_OUTAGE`] and comes back
/// with its data; returns how long keyhole took to be ready again.
async fn restart_redis(cluster: &mut Cluster, traffic: &Traffic) -> Result<Duration> {
    eprintln!("xtask soak: restarting Redis");
    let down = Instant::now();
    tokio::task::block_in_place(|| cluster.redis.restart(REDIS_OUTAGE))?;
    let up = Instant::now();
    let ready = format!("{}/readyz", traffic.lb.bases[0]);
    let healed = loop {
        if let Ok(r) = traffic.lb.http.get(&ready).send().await
            && r.status().is_success()
        {
            break up.elapsed();
        }
        ensure!(
            up.elapsed() < Duration::from_secs(30),
            "keyhole not ready 30 s after Redis returned"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    traffic
        .lb
        .tally
        .window("Redis restart", down, up + healed.max(REDIS_HEAL));
    Ok(healed)
}

/// Instance B drains on SIGTERM and starts again on its port; the
/// balancer sends what B refuses meanwhile to A.
fn restart_instance(cluster: &mut Cluster, traffic: &Traffic) -> Result<Duration> {
    eprintln!("xtask soak: restarting keyhole B");
    let down = Instant::now();
    let bin = cluster.bin.clone();
    tokio::task::block_in_place(|| cluster.instances[1].restart(&bin))?;
    let took = down.elapsed();
    traffic
        .lb
        .tally
        .window("keyhole B restart", down, Instant::now());
    Ok(took)
}
