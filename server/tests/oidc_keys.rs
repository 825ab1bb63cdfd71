//! OpenID Connect signing-key rotation: the provider signs with a new key
//! (`kid`) and retires the old one. Keyhole refetches the key set when an ID
//! token names a key it has not seen (at most once a minute), and a key
//! that left the set is no longer trusted.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Callback, Decision, Harness, Jar, query_param};
use provider_sim::dev;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// An OIDC login started with `jar`: keyhole's authorize URL at the provider.
async fn start_login(h: &Harness, jar: &mut Jar) -> String {
    let start = h.get("/api/auth/oidc/login?mode=popup", jar).await;
    assert_eq!(start.status, StatusCode::FOUND, "{}", start.body);
    start.location().to_owned()
}

/// A real token response of the dev client for `nonce`, fetched from the
/// simulator by the test itself (so signed with the key active now).
async fn token_response(h: &Harness, nonce: &str) -> Value {
    let base = &h.sim.base_url;
    let mut authorize = url::Url::parse(&format!("{base}/oidc/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", dev::OIDC_CLIENT_ID)
        .append_pair(
            "redirect_uri",
            &format!("{}{}", common::APP, dev::OIDC_REDIRECT_PATH),
        )
        .append_pair("state", "direct")
        .append_pair("scope", "openid profile email")
        .append_pair("nonce", nonce);
    common::direct_token_response(
        h,
        authorize.as_str(),
        &format!("{base}/oidc/token"),
        (dev::OIDC_CLIENT_ID, dev::OIDC_CLIENT_SECRET),
    )
    .await
}

/// The `kid` in an ID token's header.
fn kid(response: &Value) -> String {
    let id_token = response["id_token"].as_str().unwrap();
    let header = id_token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

/// A login started earlier (its `jar` and authorize URL) completed now,
/// with the token endpoint answering `response` (replayed by a fault);
/// whether it signed in.
async fn finish_with(h: &Harness, (jar, url): &mut (Jar, String), response: &Value) -> bool {
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "oidc.token", "status": 200, "body": response.to_string()}),
    )
    .await;
    let Callback::Get(callback) = h.round_trip(url, Decision::Allow).await else {
        panic!("the provider answers with a redirect");
    };
    let page = h.get(&callback, jar).await;
    let ok = page.body.contains(r#""ok":true"#);
    assert_eq!(ok, jar.get("keyhole_session").is_some(), "{}", page.body);
    ok
}

/// Tokens of two logins (B and C) are fetched while the first key signs.
/// C's is accepted then. The provider rotates to a new key and retires the
/// old one; a minute later on keyhole's clock a login signed with the new
/// `kid` makes keyhole fetch the key set again and succeeds. B's token,
/// signed with the retired key, is then refused.
#[tokio::test]
async fn a_new_signing_key_is_fetched_and_a_retired_one_no_longer_trusted() {
    let h = Harness::start_all().await;
    let mut jar = Jar::default();
    let done = h.login("oidc", "popup", Decision::Allow, &mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    assert_eq!(h.counter("oidc.jwks").await, 1);

    let mut pending = Vec::new();
    let mut responses = Vec::new();
    for _ in 0..2 {
        let mut jar = Jar::default();
        let url = start_login(&h, &mut jar).await;
        let nonce = query_param(&url, "nonce").unwrap();
        responses.push(token_response(&h, &nonce).await);
        pending.push((jar, url));
    }
    let old_kid = kid(&responses[0]);
    assert!(finish_with(&h, &mut pending[1], &responses[1]).await);

    let keys = h
        .admin(
            Method::POST,
            "/oidc/rotate-keys",
            json!({"retire_previous": true}),
        )
        .await;
    let published = keys["published"].to_string();
    assert!(!published.contains(&old_kid), "{keys}");

    // Keyhole refetches for an unknown kid at most once a minute.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(61)).await;
    tokio::time::resume();
    let mut jar = Jar::default();
    let done = h.login("oidc", "popup", Decision::Allow, &mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    assert_eq!(
        h.counter("oidc.jwks").await,
        2,
        "the key set was fetched again"
    );

    assert!(
        !finish_with(&h, &mut pending[0], &responses[0]).await,
        "a token signed with the retired key {old_kid} was accepted"
    );
}
