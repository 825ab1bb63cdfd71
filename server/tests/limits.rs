//! Rate limits: login starts and callbacks per client address (behind
//! trusted proxies too), login starts per browser, provider calls per
//! session — each over its limit a 429 `rate_limited` with `Retry-After`.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode},
};
use common::{Harness, Jar, Reply};
use keyhole::Keyhole;
use std::net::SocketAddr;

/// A harness whose config has `limits` under `[limits]`.
async fn start(limits: &str) -> Harness {
    let sim = common::spawn_sim().await;
    let config = common::config_with(&sim.base_url, &format!("[limits]\n{limits}"), "");
    Harness::with_state(sim, Keyhole::in_memory(config).unwrap())
}

/// GET `uri` from the peer `from`, with `headers`.
async fn get_from(h: &Harness, uri: &str, from: &str, headers: &[(&str, &str)]) -> Reply {
    let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
    let mut request = Request::get(uri).extension(ConnectInfo(peer));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    h.send(request.body(Body::empty()).unwrap()).await
}

fn assert_limited(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["code"], "rate_limited");
    let wait: u64 = reply.header("retry-after").parse().unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
}

const LOGIN: &str = "/api/auth/aihubmix/login?mode=popup";

#[tokio::test]
async fn login_starts_and_callbacks_are_limited_per_client_address() {
    let h = start("logins_per_minute = 2\nlogins_per_browser = 100").await;
    for _ in 0..2 {
        assert_eq!(
            get_from(&h, LOGIN, "192.0.2.1", &[]).await.status,
            StatusCode::FOUND
        );
    }
    assert_limited(&get_from(&h, LOGIN, "192.0.2.1", &[]).await);
    let callback = "/api/auth/aihubmix/callback?state=s&code=c";
    assert_limited(&get_from(&h, callback, "192.0.2.1", &[]).await);
    // Another address has its own allowance; a forwarded header from an
    // untrusted peer changes nothing.
    let other = get_from(
        &h,
        LOGIN,
        "192.0.2.2",
        &[("x-forwarded-for", "198.51.100.9")],
    )
    .await;
    assert_eq!(other.status, StatusCode::FOUND);
    let spoofed = get_from(
        &h,
        LOGIN,
        "192.0.2.1",
        &[("x-forwarded-for", "198.51.100.9")],
    )
    .await;
    assert_limited(&spoofed);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited() {
    let h =
        start("logins_per_minute = 1\nlogins_per_browser = 100\ntrusted_proxies = [\"10.0.0.1\"]")
            .await;
    let via = |client: &'static str| [("x-forwarded-for", client)];
    assert_eq!(
        get_from(&h, LOGIN, "10.0.0.1", &via("198.51.100.1"))
            .await
            .status,
        StatusCode::FOUND
    );
    assert_limited(&get_from(&h, LOGIN, "10.0.0.1", &via("198.51.100.1")).await);
    // The proxy itself is not the client: another client through it passes.
    let spoof_first = [("x-forwarded-for", "203.0.113.7, 198.51.100.2")];
    assert_eq!(
        get_from(&h, LOGIN, "10.0.0.1", &spoof_first).await.status,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn login_starts_are_limited_per_browser() {
    let h = start("logins_per_minute = 100\nlogins_per_browser = 2").await;
    let mut jar = Jar::default();
    for _ in 0..2 {
        assert_eq!(h.get(LOGIN, &mut jar).await.status, StatusCode::FOUND);
    }
    assert_limited(&h.get(LOGIN, &mut jar).await);
    // A fresh browser may start its own.
    assert_eq!(
        h.get(LOGIN, &mut Jar::default()).await.status,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn provider_calls_are_limited_per_session() {
    let h = start("calls_per_minute = 2").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    for _ in 0..2 {
        let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
        assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
    }
    assert_limited(&h.get("/api/me/aihubmix/topup", &mut jar).await);
    // Reading the session costs the provider nothing: never limited.
    assert_eq!(h.get("/api/me", &mut jar).await.status, StatusCode::OK);
    // Another session has its own allowance.
    let mut other = Jar::default();
    h.sign_in(&mut other).await;
    assert_eq!(
        h.get("/api/me/aihubmix/balance", &mut other).await.status,
        StatusCode::OK
    );
}
