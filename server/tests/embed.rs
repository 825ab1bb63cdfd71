//! Keyhole as a library: the embed example (`server/examples/embed.rs`) —
//! an axum app with its own routes and fallback that mounts Keyhole under
//! `/auth` — driven against the simulator.

#![allow(clippy::unwrap_used)]

mod common;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/embed.rs"]
mod embed;

use axum::http::StatusCode;
use common::{APP, Harness, Jar, spawn_sim};
use keyhole::Keyhole;
use reqwest::Method;
use serde_json::json;

/// The example's app aimed at a fresh simulator, with its client registered
/// there under the example's redirect URI.
async fn start() -> Harness {
    start_with(None).await
}

/// [`start`], serving the built app in `site` at `/` when given.
async fn start_with(site: Option<&std::path::Path>) -> Harness {
    let sim = spawn_sim().await;
    let env =
        |name: &str| (name == "KEYHOLE_AIHUBMIX_CLIENT_SECRET").then(|| "embed-secret".to_owned());
    let config = embed::config(&sim.base_url, APP, &env).unwrap();
    let keyhole = Keyhole::open(config, &env).await.unwrap();
    let userinfo =
        url::Url::parse(&format!("{}/aihubmix/api/oauth2/userinfo", sim.base_url)).unwrap();
    let mut h = Harness::with_state(sim, keyhole.clone());
    h.app = embed::app(keyhole, userinfo, site);
    assert_eq!(h.base, "/auth");
    h.admin(
        Method::POST,
        "/clients",
        json!({"dialect": "aihubmix", "client_id": "embed", "client_secret": "embed-secret",
               "redirect_uri": format!("{APP}/auth/auth/aihubmix/callback")}),
    )
    .await;
    h
}

/// A login under `/auth` completes through the popup page; the host's own
/// pages and fallback stay the host's, and Keyhole's routes keep their JSON,
/// their CSRF check and their headers under the new prefix.
#[tokio::test]
async fn keyhole_mounted_under_auth_signs_in_beside_the_hosts_routes() {
    let h = start().await;
    let mut jar = Jar::default();
    let home = h.get("/", &mut jar).await;
    assert!(
        home.body.contains("/auth/auth/aihubmix/login"),
        "{}",
        home.body
    );
    let lost = h.get("/nope", &mut jar).await;
    assert_eq!(lost.status, StatusCode::NOT_FOUND);
    assert_eq!(lost.body, "The host has no such page.");
    // A host route is not Keyhole's: no CSRF refusal, no JSON.
    let post = h.post_form("/nope", &[], &mut jar).await;
    assert_eq!(
        (post.status, post.body.as_str()),
        (StatusCode::NOT_FOUND, "The host has no such page.")
    );

    let me = h.get("/auth/me", &mut jar).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.json()["code"], "unauthenticated");
    assert_eq!(
        h.get("/auth/me/nope/x", &mut jar).await.json()["code"],
        "not_found"
    );

    let done = h.sign_in(&mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    assert!(!done.header("content-security-policy").is_empty());
    let me = h.get("/auth/me", &mut jar).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["connections"][0]["provider"], "aihubmix");
    let home = h.get("/", &mut jar).await;
    assert!(home.body.contains("Signed in as"), "{}", home.body);

    let no_header = h.post_form("/auth/auth/logout", &[], &mut jar).await;
    assert_eq!(no_header.status, StatusCode::FORBIDDEN);
    assert_eq!(no_header.json()["code"], "csrf");
    let out = h.post_app("/auth/auth/logout", &mut jar).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);

    // The probes are a router of their own, for whichever listener.
    let ops: axum::Router = h.state.ops_router();
    for probe in ["/healthz", "/readyz", "/metrics"] {
        let request = axum::http::Request::get(probe)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = tower::ServiceExt::oneshot(ops.clone(), request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{probe}");
    }
    assert_eq!(
        h.get("/healthz", &mut jar).await.status,
        StatusCode::NOT_FOUND,
        "not the host's"
    );
}

/// With a built app (the example host of `examples/host-app`), the host
/// serves it at `/` and its files beside it; Keyhole keeps its routes under
/// `/auth`, and unknown paths are still the host's 404.
#[tokio::test]
async fn the_host_serves_its_leptos_app_beside_keyhole() {
    let site = std::env::temp_dir().join(format!(
        "keyhole-embed-site-{}-{}",
        std::process::id(),
        &keyhole::session::random_token()[..8]
    ));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>Host</title>",
    )
    .unwrap();
    std::fs::write(site.join("host-1a2b.js"), "export default 1;").unwrap();
    let h = start_with(Some(&site)).await;
    let mut jar = Jar::default();
    let index = h.get("/", &mut jar).await;
    assert_eq!(
        (index.status, index.body.as_str()),
        (StatusCode::OK, "<!doctype html><title>Host</title>")
    );
    let script = h.get("/host-1a2b.js", &mut jar).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.header("content-type").contains("javascript"));
    let lost = h.get("/nope.js", &mut jar).await;
    assert_eq!(
        (lost.status, lost.body.as_str()),
        (StatusCode::NOT_FOUND, "The host has no such page.")
    );
    let providers = h.get("/auth/providers", &mut jar).await;
    assert_eq!(providers.json()[0]["id"], "aihubmix");
    let done = h.sign_in(&mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    _ = std::fs::remove_dir_all(&site);
}

/// The extractor answers the contract's 401 JSON without a session, and a
/// fresh token with one.
#[tokio::test]
async fn the_session_extractor_is_401_json_without_a_session() {
    let h = start().await;
    let mut jar = Jar::default();
    let refused = h.get("/usage", &mut jar).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let body = refused.json();
    assert_eq!(body["code"], "unauthenticated");
    assert!(body["request_id"].is_string(), "{body}");
    assert_eq!(refused.header("cache-control"), "no-store");
    // A cookie naming no session is the same 401.
    jar.0
        .insert("keyhole_session".to_owned(), "forged".to_owned());
    assert_eq!(
        h.get("/usage", &mut jar).await.status,
        StatusCode::UNAUTHORIZED
    );

    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    let usage = h.get("/usage", &mut jar).await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.body);
    assert!(usage.json()["quota"].is_i64(), "{}", usage.body);
}

/// After the token expires, fifty host requests at once all succeed with
/// one refresh at the provider; a token that expires at Keyhole's clock is
/// refreshed before use.
#[tokio::test]
async fn host_requests_after_expiry_share_one_refresh() {
    let h = start().await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7300}))
        .await;
    let statuses = h.concurrent_gets("/usage", &jar, 50).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, 1);

    // Proactive: a one-second token is past Keyhole's refresh skew at once.
    let mut jar = Jar::default();
    h.sign_in_with_token_ttl(&mut jar, 1).await;
    let before = h.counter("aihubmix.token.refresh_token").await;
    assert_eq!(h.get("/usage", &mut jar).await.status, StatusCode::OK);
    assert_eq!(h.get("/usage", &mut jar).await.status, StatusCode::OK);
    assert_eq!(h.counter("aihubmix.token.refresh_token").await, before + 1);
}
