//! The JSON API after sign-in: balance, top-up, refresh on expiry, provider
//! failures, and the error contract.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{Decision, Harness, Jar};
use keyhole::{providers::ProviderError, session::SessionId};
use keyhole_api::ErrorCode;
use reqwest::Method;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sets the signed-in AIHubMix user's quota and usage at the simulator.
async fn set_quota(h: &Harness, jar: &mut Jar, quota: u64, used: u64) {
    let user = h.get("/api/me", jar).await.json()["connections"][0]["profile"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.admin(
        Method::PUT,
        &format!("/users/{user}/aihubmix"),
        json!({"quota": quota, "used_quota": used}),
    )
    .await;
}

#[tokio::test]
async fn balance_is_read_fresh_from_the_provider() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    set_quota(&h, &mut jar, 1_500_000, 10).await;

    let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
    let balance = balance.json();
    assert_eq!(balance["remaining"], "1500000");
    assert_eq!(balance["used"], "10");
    assert_eq!(balance["formatted"], "3.00");
    // /api/me remembers the last balance read.
    let me = h.get("/api/me", &mut jar).await.json();
    assert_eq!(me["connections"][0]["balance"]["formatted"], "3.00");
}

/// A balance read again unchanged writes nothing to the store (its sealed
/// state would carry a new nonce); a changed one is written and shown.
#[tokio::test]
async fn an_unchanged_balance_is_not_written_again() {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use keyhole::session::{Backend, Keyring, MemoryBackend, SessionStore};
    use sha2::{Digest, Sha256};
    use std::sync::Arc;

    let sim = common::spawn_sim().await;
    let config = common::config(&sim.base_url, "");
    let backend = Arc::new(MemoryBackend::new());
    let store = SessionStore::new(backend.clone(), Keyring::ephemeral(), config.session.idle);
    let h = Harness::with_state(sim, keyhole::Keyhole::new(config, store).unwrap());
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    // The store's row key: the SHA-256 of the cookie's secret.
    let sid = URL_SAFE_NO_PAD.encode(Sha256::digest(jar.get("keyhole_session").unwrap()));
    let stored_state = || async {
        let row = backend.load(&sid).await.unwrap().expect("the session row");
        row.connections[0].state.clone()
    };

    assert_eq!(
        h.get("/api/me/aihubmix/balance", &mut jar).await.status,
        StatusCode::OK
    );
    let first = stored_state().await;
    let again = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(
        stored_state().await,
        first,
        "an unchanged balance was written again"
    );

    set_quota(&h, &mut jar, 1_500_000, 10).await;
    let changed = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(changed.json()["formatted"], "3.00");
    assert_ne!(
        stored_state().await,
        first,
        "a changed balance was not written"
    );
    let me = h.get("/api/me", &mut jar).await.json();
    assert_eq!(me["connections"][0]["balance"]["formatted"], "3.00");
}

#[tokio::test]
async fn topup_returns_the_provider_page() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    let topup = h.get("/api/me/aihubmix/topup", &mut jar).await;
    assert_eq!(topup.status, StatusCode::OK, "{}", topup.body);
    let url = topup.json()["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&h.sim.base_url), "{url}");
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_the_call_retried() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    // The simulator's clock moves past the 2-hour token; keyhole still thinks
    // it is valid, so the provider's 401 triggers the reactive refresh.
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, 1);
    // The rotated refresh token was stored: a second expiry refreshes again.
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    let again = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, 2);
    assert!(
        h.state.tokens.locks().is_empty(),
        "refresh locks must not leak"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_after_expiry_share_one_refresh() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    let statuses = h
        .concurrent_gets("/api/me/aihubmix/balance", &jar, 50)
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, 1);
}

#[tokio::test]
async fn a_revoked_grant_turns_the_connection_to_reauth_required() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    // Every token of the user is revoked at the provider: the refresh after
    // the 401 gets invalid_grant.
    let user: u64 = h.get("/api/me", &mut jar).await.json()["connections"][0]["profile"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    h.admin(Method::POST, "/tokens/revoke", json!({"user_id": user}))
        .await;
    let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(balance.status, StatusCode::UNAUTHORIZED, "{}", balance.body);
    assert_eq!(balance.json()["code"], "reauth_required");
    assert_eq!(balance.json()["provider"], "aihubmix");
    let me = h.get("/api/me", &mut jar).await.json();
    assert_eq!(me["connections"][0]["status"], "reauth_required");
}

/// Each connection's status in `GET /api/me`, by provider id.
async fn statuses(h: &Harness, jar: &mut Jar) -> serde_json::Map<String, serde_json::Value> {
    let me = h.get("/api/me", jar).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.json()["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["provider"].as_str().unwrap().to_owned(),
                c["status"].clone(),
            )
        })
        .collect()
}

/// Elice tokens last an hour and cannot be refreshed. Once keyhole's clock
/// is past that hour, `/api/me` says `reauth_required` for Elice — and only
/// Elice — without calling any provider, and a call with the token (what
/// the balance route does) is not attempted.
#[tokio::test]
async fn an_elice_sign_in_reads_as_reauth_required_once_its_hour_is_over() {
    let h = Harness::start_all().await;
    let mut jar = Jar::default();
    for provider in ["aihubmix", "elice"] {
        let done = h.login(provider, "popup", Decision::Allow, &mut jar).await;
        assert!(
            done.body.contains(r#""ok":true"#),
            "{provider}: {}",
            done.body
        );
    }
    let before = statuses(&h, &mut jar).await;
    assert_eq!(before["elice"], "active");
    assert_eq!(before["aihubmix"], "active");

    // Keyhole reads the real clock (`keyhole::clock::now`) and has no test
    // clock to move. For keyhole, "an hour later" is exactly "the grant was
    // issued an hour earlier": so the stored grant is written back as a
    // sign-in one hour and one second ago would have left it, through the
    // session store's public API. Elice's token response itself is left as
    // Elice sends it (no `expires_in`: keyhole assumed the hour). The
    // simulator's clock moves on too, so Elice also refuses the token.
    let id = SessionId::from_cookie(jar.get("keyhole_session").unwrap());
    let mut elice = h
        .state
        .sessions
        .load_connection(&id, "elice")
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(elice.grant.refresh_token.is_none());
    let expires_at = elice.grant.expires_at.unwrap();
    let left = expires_at - keyhole::clock::now();
    assert!(left > time::Duration::minutes(59), "{left}");
    elice.grant.expires_at = Some(expires_at - time::Duration::seconds(3601));
    assert!(h.state.sessions.put_connection(&id, &elice).await.unwrap());
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 3601}))
        .await;

    let upstream = h.admin(Method::GET, "/counters", json!(null)).await;
    let after = statuses(&h, &mut jar).await;
    assert_eq!(after["elice"], "reauth_required");
    assert_eq!(after["aihubmix"], "active", "AIHubMix can still refresh");
    assert_eq!(
        h.admin(Method::GET, "/counters", json!(null)).await,
        upstream,
        "/api/me called a provider"
    );

    // What the balance route does with a connection: no provider call with
    // a token known to be dead; the stored status follows.
    let calls = AtomicUsize::new(0);
    let provider = h.state.providers.get("elice").unwrap();
    let refused = h
        .state
        .tokens
        .with_token(&id, provider, |_token| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, ProviderError>(()) }
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ReauthRequired);
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the dead token was used");
    assert_eq!(h.counter("elice.account").await, 1, "only the sign-in's");
    assert_eq!(statuses(&h, &mut jar).await["elice"], "reauth_required");

    // The other connection still works.
    let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
}

#[tokio::test]
async fn provider_outage_and_garbage_give_502_without_internals() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    for fault in [
        json!({"endpoint": "aihubmix.userinfo", "count": 1, "status": 503}),
        json!({"endpoint": "aihubmix.userinfo", "count": 1, "body": "<html>oops"}),
        json!({"endpoint": "aihubmix.userinfo", "count": 1, "latency_ms": 3000}),
        json!({"endpoint": "aihubmix.userinfo", "count": 1, "drop": true}),
    ] {
        h.admin(Method::POST, "/faults", fault.clone()).await;
        let reply = h.get("/api/me/aihubmix/balance", &mut jar).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_GATEWAY,
            "{fault}: {}",
            reply.body
        );
        let body = reply.json();
        assert_eq!(body["code"], "provider_unavailable", "{fault}");
        assert!(body["request_id"].as_str().is_some_and(|r| r.len() > 8));
        assert!(
            !reply.body.contains("127.0.0.1"),
            "no internals: {}",
            reply.body
        );
    }
    // The grant survived every failure.
    let ok = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn errors_follow_the_contract() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();

    let me = h.get("/api/me", &mut jar).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.json()["code"], "unauthenticated");
    assert_eq!(me.json()["request_id"], me.header("x-request-id"));

    let unknown = h.get("/api/auth/nope/login", &mut jar).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["code"], "not_found");

    let route = h.get("/api/does-not-exist", &mut jar).await;
    assert_eq!(route.status, StatusCode::NOT_FOUND);
    assert_eq!(route.json()["code"], "not_found");

    let mode = h
        .get("/api/auth/aihubmix/login?mode=iframe", &mut jar)
        .await;
    assert_eq!(mode.status, StatusCode::BAD_REQUEST);
    assert_eq!(mode.json()["code"], "invalid_request");

    for evil in ["//evil.example", "https://evil.example", "/%5Cevil.example"] {
        let reply = h
            .get(
                &format!("/api/auth/aihubmix/login?return_to={evil}"),
                &mut jar,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{evil}");
        assert_eq!(reply.json()["code"], "invalid_request");
    }

    let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(balance.status, StatusCode::UNAUTHORIZED);

    let providers = h.get("/api/providers", &mut jar).await;
    assert_eq!(providers.status, StatusCode::OK);
    assert_eq!(
        providers.json(),
        json!([{"id": "aihubmix", "name": "AIHubMix", "kind": "aihubmix",
                "capabilities": ["login", "profile", "balance", "topup"]}])
    );
    for header in [
        "x-content-type-options",
        "content-security-policy",
        "x-frame-options",
    ] {
        assert!(!providers.header(header).is_empty(), "{header} missing");
    }
    assert_eq!(h.get("/healthz", &mut jar).await.status, StatusCode::OK);
    assert_eq!(h.get("/readyz", &mut jar).await.status, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_logins_refreshes_upstream_calls_and_sessions() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    assert_eq!(
        h.get("/api/me/aihubmix/balance", &mut jar).await.status,
        StatusCode::OK
    );
    let metrics = h.get("/metrics", &mut jar).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.body;
    for line in [
        r#"keyhole_logins_started_total{provider="aihubmix",mode="popup"} 1"#,
        r#"keyhole_logins_finished_total{provider="aihubmix",mode="popup",outcome="ok"} 1"#,
        r#"keyhole_token_refreshes_total{provider="aihubmix",outcome="ok"} 1"#,
        r#"keyhole_upstream_request_seconds_count{provider="aihubmix",operation="exchange",outcome="ok"} 1"#,
        "keyhole_active_sessions 1",
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
    // The failed balance call before the refresh is counted as an error.
    assert!(
        text.contains(r#"operation="balance",outcome="error""#),
        "{text}"
    );
}

/// A provider id that is not configured is a JSON 404 on every auth route,
/// and never becomes a metric label (a label per URL would grow `/metrics`
/// without bound).
#[tokio::test]
async fn unknown_providers_are_404_on_every_auth_route_and_never_a_metric_label() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    let id = "no-such-provider-x1";
    let mut replies = vec![
        h.get(&format!("/api/auth/{id}/login?mode=popup"), &mut jar)
            .await,
        h.get(&format!("/api/auth/{id}/callback?state=s&code=c"), &mut jar)
            .await,
        h.post_form(
            &format!("/api/auth/{id}/callback"),
            &[
                ("state".to_owned(), "s".to_owned()),
                ("code".to_owned(), "c".to_owned()),
            ],
            &mut Jar::default(),
        )
        .await,
        h.post_form(
            &format!("/api/auth/{id}/callback"),
            &[("state".to_owned(), "s".to_owned())],
            &mut jar,
        )
        .await,
        h.post_app(&format!("/api/auth/{id}/disconnect"), &mut jar)
            .await,
    ];
    for path in ["balance", "topup", "friendship"] {
        replies.push(h.get(&format!("/api/me/{id}/{path}"), &mut jar).await);
    }
    for reply in replies {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
        assert_eq!(reply.json()["code"], "not_found");
    }
    let metrics = h.get("/metrics", &mut jar).await.body;
    assert!(
        metrics.contains("keyhole_logins_finished_total"),
        "{metrics}"
    );
    assert!(!metrics.contains(id), "{metrics}");
}

/// A path segment that is not text, and a key-set endpoint refusing keyhole
/// with 401, are answered in the contract's JSON, and the latter is a
/// provider outage (502), not a reason to sign the person out.
#[tokio::test]
async fn bad_segments_and_unauthenticated_discovery_answer_the_contract() {
    let h = Harness::start_all().await;
    let mut jar = Jar::default();
    let bad = h.get("/api/me/%FF/balance", &mut jar).await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND, "{}", bad.body);
    assert_eq!(bad.json()["code"], "not_found");

    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "oidc.discovery", "status": 401}),
    )
    .await;
    let refused = h.get("/api/auth/oidc/login?mode=popup", &mut jar).await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY, "{}", refused.body);
    assert_eq!(refused.json()["code"], "provider_unavailable");
}

/// A request that runs past `limits.request_timeout` answers 503 `timeout`
/// in the contract's JSON; a token refresh it started still completes and
/// is stored, so the next request uses it without refreshing again.
#[tokio::test]
async fn a_slow_request_times_out_and_its_refresh_is_not_lost() {
    let sim = common::spawn_sim().await;
    let config = common::config_with(&sim.base_url, "[limits]\nrequest_timeout_ms = 300", "");
    let h = Harness::with_state(sim, keyhole::Keyhole::in_memory(config).unwrap());
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "aihubmix.token", "latency_ms": 700}),
    )
    .await;
    let slow = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(
        slow.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        slow.body
    );
    assert_eq!(slow.json()["code"], "timeout");
    assert_eq!(slow.header("retry-after"), "2");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, 1);
}
