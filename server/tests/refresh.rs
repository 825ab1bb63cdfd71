//! Token refresh seen from the provider: a token near its expiry is
//! refreshed before it is used (no 401 first), and a refresh the provider
//! refuses marks only that connection `reauth_required`.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{Decision, Harness, Jar};
use keyhole::{providers::Grant, session::SessionId};
use reqwest::Method;
use serde_json::json;

/// The stored grant of `provider` in the session of `jar`.
async fn grant(h: &Harness, jar: &Jar, provider: &str) -> Grant {
    let id = SessionId::from_cookie(jar.get("keyhole_session").unwrap());
    let record = h.state.sessions.load(&id).await.unwrap().unwrap();
    record.connections[provider].grant.clone()
}

/// A 30-second token is within the default 60-second skew of its expiry
/// as soon as it is issued: the balance call refreshes first and carries
/// the new token. The old token is revoked at the provider beforehand, so
/// a call made with it would be a 401 (and a second userinfo call).
#[tokio::test]
async fn a_token_near_expiry_is_refreshed_before_the_call() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in_with_token_ttl(&mut jar, 30).await;
    let old = grant(&h, &jar, "aihubmix").await;
    // Near, not past: this is the skew at work, not an expired token.
    let left = old.expires_at.unwrap() - keyhole::clock::now();
    assert!(
        left > time::Duration::ZERO && left <= time::Duration::seconds(30),
        "{left}"
    );
    let revoked = h
        .admin(
            Method::POST,
            "/tokens/revoke",
            json!({"access_token": old.access_token.secret()}),
        )
        .await;
    assert_eq!(revoked["revoked"], 1);
    let calls_before = h.counter("aihubmix.userinfo").await;

    let balance = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, 1);
    assert_eq!(
        h.counter("aihubmix.userinfo").await,
        calls_before + 1,
        "one call, with the refreshed token: no 401 first"
    );
    let new = grant(&h, &jar, "aihubmix").await;
    assert_ne!(new.access_token.secret(), old.access_token.secret());
    assert!(new.expires_at.unwrap() - keyhole::clock::now() > time::Duration::hours(1));

    // The fresh token is far from expiry: the next call refreshes nothing.
    let again = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, 1);
}

/// One session signed in with AIHubMix and LINE. AIHubMix's grant is
/// revoked at the provider, so its refresh after the 401 is refused
/// (`invalid_grant`): AIHubMix turns `reauth_required`, while LINE stays
/// `active` and keeps working — the session is not ended.
#[tokio::test]
async fn a_refused_refresh_marks_only_its_own_connection() {
    let h = Harness::start_all().await;
    let mut jar = Jar::default();
    for provider in ["aihubmix", "line"] {
        let done = h.login(provider, "popup", Decision::Allow, &mut jar).await;
        assert!(
            done.body.contains(r#""ok":true"#),
            "{provider}: {}",
            done.body
        );
    }
    let aihubmix = grant(&h, &jar, "aihubmix").await;
    let line = grant(&h, &jar, "line").await;
    h.admin(
        Method::POST,
        "/tokens/revoke",
        json!({
            "access_token": aihubmix.access_token.secret(),
            "refresh_token": aihubmix.refresh_token.as_ref().unwrap().secret(),
        }),
    )
    .await;

    let refused = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(refused.json()["code"], "reauth_required");
    assert_eq!(refused.json()["provider"], "aihubmix");
    assert_eq!(
        h.counter("aihubmix.token.refresh_token").await,
        1,
        "the refresh was tried and refused"
    );

    let me = h.get("/api/me", &mut jar).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let statuses: Vec<(String, String)> = me.json()["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["provider"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert!(
        statuses.contains(&("aihubmix".to_owned(), "reauth_required".to_owned())),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("line".to_owned(), "active".to_owned())),
        "{statuses:?}"
    );

    // LINE is untouched and usable: its call succeeds with its own grant.
    let friendship = h.get("/api/me/line/friendship", &mut jar).await;
    assert_eq!(friendship.status, StatusCode::OK, "{}", friendship.body);
    assert_eq!(
        grant(&h, &jar, "line").await.access_token.secret(),
        line.access_token.secret()
    );
    // AIHubMix stays refused without asking the provider again.
    let calls = h.counter("aihubmix.userinfo").await;
    let still = h.get("/api/me/aihubmix/balance", &mut jar).await;
    assert_eq!(still.json()["code"], "reauth_required");
    assert_eq!(h.counter("aihubmix.userinfo").await, calls);
}
