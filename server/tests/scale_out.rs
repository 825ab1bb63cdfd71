//! Two `keyhole` instances on one Redis, with the simulator: a session
//! started on one is usable on the other, a token that expired is refreshed
//! once for all of them, a logout anywhere ends it everywhere, and a Redis
//! outage is a quick 503 that heals by itself.

#![allow(clippy::unwrap_used)]

mod common;
mod redis_server;

use axum::{Router, body::Body, http::StatusCode};
use base64::{Engine, engine::general_purpose::STANDARD};
use common::{Harness, Jar, Reply, config_with, spawn_sim};
use keyhole::Keyhole;
use redis_server::RedisServer;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

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
    let top = format!(
        "[session]\nstore = \"{}\"\nredis_prefix = \"scale-out:\"\nredis_timeout_ms = 1000\n{session}",
        redis.url()
    );
    let env = move |name: &str| {
        (name == "KEYHOLE_SESSION_KEY")
            .then(|| key.clone())
            .flatten()
    };
    Ok(Keyhole::open(config_with(sim, &top, ""), &env).await?)
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
