//! Two `keyhole` instances on one Redis, with the simulator: a session
//! started on one is usable on the other, a token that expired is refreshed
//! once for all of them (also with one, the binary, a minute behind), a
//! logout anywhere ends it everywhere, and a Redis outage is a quick 503
//! that heals by itself.

#![allow(clippy::unwrap_used)]

mod common;
mod keyhole_binary;
mod redis_server;

use axum::{Router, body::Body, http::StatusCode};
use base64::{Engine, engine::general_purpose::STANDARD};
use common::{Decision, Harness, Jar, Reply, config_text, config_with, dev_secret, spawn_sim};
use keyhole::{Keyhole, config::Config};
use keyhole_binary::{KeyholeBinary, faketime_env};
use redis_server::RedisServer;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};
use time::{OffsetDateTime, format_description::well_known::Rfc2822};

/// The sealing key both instances share (as `KEYHOLE_SESSION_KEY`).
fn shared_key() -> String {
    STANDARD.encode([42u8; 32])
}

/// The instance a request goes to, as a load balancer would pick it.
#[derive(Debug, Clone, Copy)]
enum On {
    A,
    B,
}

/// Instance A and B behind one Redis; the harness drives either.
struct Cluster {
    h: Harness,
    a: Router,
    b: Router,
    redis: RedisServer,
}

async fn instance(sim: &str, redis: &RedisServer, key: Option<String>) -> anyhow::Result<Keyhole> {
    instance_with(sim, redis, key, "").await
}

/// An instance with `session` added to its `[session]` table.
async fn instance_with(
    sim: &str,
    redis: &RedisServer,
    key: Option<String>,
    session: &str,
) -> anyhow::Result<Keyhole> {
    let top = session_table(redis, session);
    let env = move |name: &str| {
        (name == "KEYHOLE_SESSION_KEY")
            .then(|| key.clone())
            .flatten()
    };
    Ok(Keyhole::open(config_with(sim, &top, ""), &env).await?)
}

/// The `[session]` table of every instance here: one Redis, one prefix,
/// and `session` added.
fn session_table(redis: &RedisServer, session: &str) -> String {
    format!(
        "[session]\nstore = \"{}\"\nredis_prefix = \"scale-out:\"\nredis_timeout_ms = 1000\n{session}",
        redis.url()
    )
}

impl Cluster {
    async fn start() -> Self {
        Self::start_with("").await
    }

    /// Both instances with `session` added to their `[session]` table.
    async fn start_with(session: &str) -> Self {
        let redis = RedisServer::start().await;
        let sim = spawn_sim().await;
        let a = instance_with(&sim.base_url, &redis, Some(shared_key()), session)
            .await
            .unwrap();
        let b = instance_with(&sim.base_url, &redis, Some(shared_key()), session)
            .await
            .unwrap();
        let b = keyhole::router(b);
        let h = Harness::with_state(sim, a);
        Self {
            a: h.app.clone(),
            b,
            h,
            redis,
        }
    }

    /// 100 balance requests with `cookie` at once, every other one to B.
    async fn balance_storm(&self, cookie: &str) -> Vec<StatusCode> {
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..100 {
            let app = if i % 2 == 0 {
                self.a.clone()
            } else {
                self.b.clone()
            };
            calls.spawn(status_of(
                app,
                "/api/me/aihubmix/balance",
                cookie.to_owned(),
            ));
        }
        calls.join_all().await
    }

    /// The harness, aimed at `on`.
    fn at(&mut self, on: On) -> &Harness {
        self.h.app = match on {
            On::A => self.a.clone(),
            On::B => self.b.clone(),
        };
        &self.h
    }

    async fn get(&mut self, on: On, uri: &str, jar: &mut Jar) -> Reply {
        self.at(on).get(uri, jar).await
    }
}

/// A GET through `app` with only the session cookie: for many at once.
async fn status_of(app: Router, uri: &'static str, cookie: String) -> StatusCode {
    let request = axum::http::Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    tower::ServiceExt::oneshot(app, request)
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_sessions_one_refresh_and_logout() {
    let mut c = Cluster::start().await;
    let mut jar = Jar::default();

    // Signed in through A, known to B.
    let signed_in = c.at(On::A).sign_in(&mut jar).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let me = c.get(On::B, "/api/me", &mut jar).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["connections"][0]["provider"], "aihubmix");

    // The access token expires at the provider; keyhole's copy looks valid,
    // so each instance learns it from a 401. 100 requests across both end
    // in one refresh: one instance refreshes under the Redis lock, the other
    // re-reads the grant it stored.
    c.h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    let cookie = format!("keyhole_session={}", jar.get("keyhole_session").unwrap());
    let statuses = c.balance_storm(&cookie).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(c.h.counter("aihubmix.token.refresh_token").await, 1);
    assert!(c.h.state.tokens.locks().is_empty(), "in-process locks leak");

    // Logout on B ends the session on A too.
    let out = c.at(On::B).post_app("/api/auth/logout", &mut jar).await;
    assert!(out.status.is_success(), "{}: {}", out.status, out.body);
    let mut old = Jar::default();
    old.0.insert(
        "keyhole_session".to_owned(),
        cookie.trim_start_matches("keyhole_session=").to_owned(),
    );
    let after = c.get(On::A, "/api/me", &mut old).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.body);
}

#[tokio::test]
async fn a_redis_outage_is_a_quick_503_and_heals_without_a_restart() {
    let mut c = Cluster::start().await;
    let mut jar = Jar::default();
    c.at(On::B).sign_in(&mut jar).await;
    assert_eq!(
        c.get(On::A, "/api/me", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(
        c.get(On::A, "/readyz", &mut jar).await.status,
        StatusCode::OK
    );

    // Persist the data, as a production Redis would, so the same session
    // can be used again after the restart.
    let client = redis::Client::open(c.redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SAVE")
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    drop(conn);
    c.redis.stop();

    for uri in ["/api/me", "/api/me", "/readyz"] {
        let started = Instant::now();
        let reply = c.get(On::A, uri, &mut jar).await;
        let took = started.elapsed();
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            reply.body
        );
        assert_eq!(reply.json()["code"], "store_unavailable", "{uri}");
        assert_eq!(reply.header("retry-after"), "2", "{uri}");
        assert!(took < Duration::from_millis(1000), "{uri} took {took:?}");
        eprintln!("{uri} with Redis down: 503 in {took:?}");
    }

    // Same port, same state objects: service resumes on the next request.
    c.redis.restart().await;
    let started = Instant::now();
    let me = c.get(On::A, "/api/me", &mut jar).await;
    eprintln!(
        "first /api/me after the restart: {} in {:?}",
        me.status,
        started.elapsed()
    );
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        c.get(On::B, "/api/me", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(
        c.get(On::A, "/readyz", &mut jar).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_redis_store_requires_the_shared_session_key() {
    let redis = RedisServer::start().await;
    let sim = spawn_sim().await;
    let err = instance(&sim.base_url, &redis, None).await.unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("KEYHOLE_SESSION_KEY"), "{text}");
}

#[tokio::test]
async fn keyhole_starts_while_redis_is_down_and_serves_once_it_is_up() {
    let mut redis = RedisServer::start().await;
    redis.stop();
    let sim = spawn_sim().await;
    // Start-up does not wait for Redis: readiness says it instead.
    let state = instance(&sim.base_url, &redis, Some(shared_key()))
        .await
        .unwrap();
    let h = Harness::with_state(sim, state);
    let mut jar = Jar::default();
    let down = h.get("/readyz", &mut jar).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.json()["code"], "store_unavailable");
    redis.restart().await;
    assert_eq!(h.get("/readyz", &mut jar).await.status, StatusCode::OK);
    let signed_in = h.sign_in(&mut jar).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
}

/// A refresh slower than the store lock's lifetime keeps the lock (it is
/// renewed while the refresh runs): 100 requests over both instances still
/// end in one refresh, and nobody is signed out by a second instance
/// spending the same rotating refresh token.
#[tokio::test]
async fn a_refresh_slower_than_its_lock_is_not_repeated_by_the_other_instance() {
    let mut c = Cluster::start_with("refresh_lock_ms = 300").await;
    let mut jar = Jar::default();
    let signed_in = c.at(On::A).sign_in(&mut jar).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    c.h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    // The refresh takes 1 s: more than three lifetimes of the lock.
    c.h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "aihubmix.token", "latency_ms": 1000}),
    )
    .await;
    let cookie = format!("keyhole_session={}", jar.get("keyhole_session").unwrap());
    let statuses = c.balance_storm(&cookie).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(c.h.counter("aihubmix.token.refresh_token").await, 1);
    let me = c.get(On::B, "/api/me", &mut jar).await.json();
    assert_eq!(me["connections"][0]["status"], "active");
}

/// The store lock's lifetime is Redis's to measure, not the instances':
/// with B the `keyhole` binary running a minute behind (libfaketime), a
/// lock B takes and renews holds as long as one A takes. Twice the token
/// expires and the refresh (1 s) outlasts the lock's lifetime (300 ms):
/// B's requests go first and refresh, A's arrive half-way and wait; then
/// the other way round. Each time, 100 requests end in one refresh and the
/// connection stays active on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_a_minute_behind_does_not_repeat_the_refresh() {
    let redis = RedisServer::start().await;
    let sim = spawn_sim().await;
    // Two storms of 50 calls per instance within a minute: above the
    // default limit of calls per session and minute.
    let session = "refresh_lock_ms = 300\n[limits]\ncalls_per_minute = 1000";
    let a = instance_with(&sim.base_url, &redis, Some(shared_key()), session)
        .await
        .unwrap();
    let b = skewed_binary(&sim.base_url, &redis, session, "-60s");
    let h = Harness::with_state(sim, a);

    // The skew took (without it the rest would pass vacuously).
    let behind = seconds_behind(&h.http, &b).await;
    assert!(
        (50..=70).contains(&behind),
        "B is {behind} s behind us, not about 60: did libfaketime load? Its log:\n{}",
        b.log_tail()
    );

    let mut jar = Jar::default();
    let signed_in = h.sign_in(&mut jar).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let cookie = format!("keyhole_session={}", jar.get("keyhole_session").unwrap());
    let mut before = refreshed(&h, &b).await;
    for (round, lead) in [(1, On::B), (2, On::A)] {
        let started = Instant::now();
        let statuses = staggered_storm(&h, &b, &cookie, lead).await;
        eprintln!("round {round}, {lead:?} first: {:?}", started.elapsed());
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "round {round}: {statuses:?}; B's log:\n{}",
            b.log_tail()
        );
        assert_eq!(h.counter("aihubmix.token.refresh_token").await, round);
        // The leader refreshed; the other reused its grant.
        let after = refreshed(&h, &b).await;
        let by = match lead {
            On::A => [1, 0],
            On::B => [0, 1],
        };
        assert_eq!(
            [after[0] - before[0], after[1] - before[1]],
            by,
            "round {round}"
        );
        before = after;
    }

    let on_a = h.get("/api/me", &mut jar).await.json();
    assert_eq!(on_a["connections"][0]["status"], "active");
    let on_b = me_on(&h.http, &b, &cookie).await;
    assert_eq!(on_b["connections"][0]["status"], "active");
}

/// Elice tokens last an hour and cannot be refreshed. Signed in through A
/// (the real clock), the session read through B — the `keyhole` binary an
/// hour and a minute ahead (libfaketime), on the same Redis — shows Elice as
/// `reauth_required` and AIHubMix (refreshable) as `active`, without any
/// provider call; A, still within the hour, shows Elice `active`: the
/// status is each reader's clock against the stored expiry, never a write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_an_hour_ahead_reads_an_elice_sign_in_as_reauth_required() {
    let redis = RedisServer::start().await;
    let sim = spawn_sim().await;
    let top = session_table(&redis, "");
    let elice = format!(
        "[[providers]]\nid = \"elice\"\nkind = \"elice\"\nname = \"Elice\"\n\
         client_id = \"{}\"\nweb_url = \"{url}/elice\"\nserver_url = \"{url}/elice\"\n",
        provider_sim::dev::ELICE_CLIENT_ID,
        url = sim.base_url,
    );
    let config = Config::from_toml(&config_text(&sim.base_url, &top, &elice), &|name| {
        dev_secret(name).map(str::to_owned)
    })
    .unwrap();
    let key = |name: &str| (name == "KEYHOLE_SESSION_KEY").then(shared_key);
    let a = Keyhole::open(config, &key).await.unwrap();
    let mut env = faketime_env("+3660s");
    for name in [
        "KEYHOLE_SESSION_KEY",
        "KEYHOLE_AIHUBMIX_CLIENT_SECRET",
        "KEYHOLE_ELICE_CLIENT_SECRET",
    ] {
        let value = key(name).or_else(|| dev_secret(name).map(str::to_owned));
        env.push((name.to_owned(), value.unwrap()));
    }
    let b_top = format!("bind = \"127.0.0.1:0\"\n{top}");
    let b = KeyholeBinary::start(&config_text(&sim.base_url, &b_top, &elice), &env);
    let h = Harness::with_state(sim, a);
    let ahead = -seconds_behind(&h.http, &b).await;
    assert!(
        (3600..=3720).contains(&ahead),
        "B is {ahead} s ahead, not about 3660: did libfaketime load? Its log:\n{}",
        b.log_tail()
    );

    let mut jar = Jar::default();
    for provider in ["aihubmix", "elice"] {
        let done = h.login(provider, "popup", Decision::Allow, &mut jar).await;
        assert!(
            done.body.contains(r#""ok":true"#),
            "{provider}: {}",
            done.body
        );
    }
    let cookie = format!("keyhole_session={}", jar.get("keyhole_session").unwrap());
    let upstream = h.admin(Method::GET, "/counters", json!(null)).await;
    let on_b = me_on(&h.http, &b, &cookie).await;
    let status = |me: &serde_json::Value, provider: &str| {
        me["connections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["provider"] == provider)
            .map(|c| c["status"].clone())
            .unwrap()
    };
    assert_eq!(status(&on_b, "elice"), "reauth_required", "{on_b}");
    assert_eq!(status(&on_b, "aihubmix"), "active", "{on_b}");
    assert_eq!(
        h.admin(Method::GET, "/counters", json!(null)).await,
        upstream,
        "reading /api/me called a provider"
    );
    let on_a = h.get("/api/me", &mut jar).await.json();
    assert_eq!(status(&on_a, "elice"), "active", "{on_a}");
}

/// The `keyhole` binary as another instance on `redis`, its clock shifted
/// by `offset` (libfaketime's syntax), with the shared key and the
/// simulator's client secret in its environment.
fn skewed_binary(sim: &str, redis: &RedisServer, session: &str, offset: &str) -> KeyholeBinary {
    let top = format!("bind = \"127.0.0.1:0\"\n{}", session_table(redis, session));
    let mut env = faketime_env(offset);
    env.push(("KEYHOLE_SESSION_KEY".to_owned(), shared_key()));
    env.push((
        "KEYHOLE_AIHUBMIX_CLIENT_SECRET".to_owned(),
        provider_sim::dev::AIHUBMIX_CLIENT_SECRET.to_owned(),
    ));
    KeyholeBinary::start(&config_text(sim, &top, ""), &env)
}

/// How many seconds `b`'s clock is behind ours, by its `date` header.
async fn seconds_behind(http: &reqwest::Client, b: &KeyholeBinary) -> i64 {
    let response = http
        .get(format!("{}/healthz", b.url()))
        .send()
        .await
        .unwrap();
    let date = response.headers()["date"].to_str().unwrap().to_owned();
    let theirs = OffsetDateTime::parse(&date, &Rfc2822).unwrap();
    (OffsetDateTime::now_utc() - theirs).whole_seconds()
}

/// The token expires and its endpoint takes 1 s; 50 balance requests go to
/// `lead`, and once its refresh has run longer than the lock's lifetime,
/// 50 to the other instance (A in-process, B over HTTP).
async fn staggered_storm(
    h: &Harness,
    b: &KeyholeBinary,
    cookie: &str,
    lead: On,
) -> Vec<StatusCode> {
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "aihubmix.token", "latency_ms": 1000}),
    )
    .await;
    let refreshes_before = h.counter("aihubmix.token.refresh_token").await;
    let mut calls = tokio::task::JoinSet::new();
    let follow = match lead {
        On::A => On::B,
        On::B => On::A,
    };
    for _ in 0..50 {
        calls.spawn(balance(h, b, lead, cookie));
    }
    // The simulator counts a refresh as it arrives, before its latency.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.counter("aihubmix.token.refresh_token").await == refreshes_before {
        assert!(Instant::now() < deadline, "{lead:?} never refreshed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..50 {
        calls.spawn(balance(h, b, follow, cookie));
    }
    calls.join_all().await
}

/// A balance request with only the session cookie, on A (in-process) or
/// B (over HTTP), as a future to spawn.
fn balance(
    h: &Harness,
    b: &KeyholeBinary,
    on: On,
    cookie: &str,
) -> impl Future<Output = StatusCode> + Send + 'static {
    let (app, http, cookie) = (h.app.clone(), h.http.clone(), cookie.to_owned());
    let url = format!("{}/api/me/aihubmix/balance", b.url());
    async move {
        match on {
            On::A => status_of(app, "/api/me/aihubmix/balance", cookie).await,
            On::B => http
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status(),
        }
    }
}

/// Refreshes done by A and by B (`keyhole_token_refreshes_total`, outcome
/// `ok`, from each one's `/metrics`).
async fn refreshed(h: &Harness, b: &KeyholeBinary) -> [u64; 2] {
    let on_a = h.get("/metrics", &mut Jar::default()).await.body;
    let on_b = h
        .http
        .get(format!("{}/metrics", b.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    [refreshes_ok(&on_a), refreshes_ok(&on_b)]
}

/// `keyhole_token_refreshes_total{..., outcome="ok"}` in a `/metrics` text.
fn refreshes_ok(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("keyhole_token_refreshes_total{") && l.contains("outcome=\"ok\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// `GET /api/me` on the `keyhole` binary `b` with `cookie`, as JSON.
async fn me_on(http: &reqwest::Client, b: &KeyholeBinary, cookie: &str) -> serde_json::Value {
    http.get(format!("{}/api/me", b.url()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
