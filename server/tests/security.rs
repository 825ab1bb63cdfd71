//! The security model end to end: `form_post` callbacks without cookies,
//! expired states, https cookie flags, body limits, disconnect, and
//! durable sessions.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use common::{APP, Harness, Jar, config, config_with, spawn_sim};
use keyhole::{
    Keyhole,
    cookies::binding_hash,
    session::{LoginMode, PendingLogin},
};

/// Callback query → form fields.
fn fields_of(callback: &str) -> (String, Vec<(String, String)>) {
    let url = url::Url::parse(&format!("{APP}{callback}")).unwrap();
    let fields = url.query_pairs().into_owned().collect();
    (url.path().to_owned(), fields)
}

#[tokio::test]
async fn a_form_post_callback_without_cookies_is_resent_same_site_and_completes() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let callback = h.approved_callback(&mut jar, "redirect").await;
    let (path, fields) = fields_of(&callback);

    // The provider's cross-site POST: the browser sends no Lax cookie.
    let mut no_cookies = Jar::default();
    let page = h.post_form(&path, &fields, &mut no_cookies).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"name="keyhole_resubmitted""#),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(r#"action="{path}""#)) || page.body.contains("&#x2F;api"));
    assert!(page.set_cookie("keyhole_session").is_none());
    assert!(
        page.header("content-security-policy")
            .contains("form-action 'self'")
    );

    // Our page re-sends it from our origin: now the cookies come along.
    let mut resent = fields.clone();
    resent.push(("keyhole_resubmitted".into(), "1".into()));
    let done = h.post_form(&path, &resent, &mut jar).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().contains("login=ok"), "{}", done.location());
    assert_eq!(h.get("/api/me", &mut jar).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_resent_form_post_without_cookies_is_refused_not_looped() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let callback = h.approved_callback(&mut jar, "redirect").await;
    let (path, mut fields) = fields_of(&callback);
    fields.push(("keyhole_resubmitted".into(), "1".into()));
    let reply = h.post_form(&path, &fields, &mut Jar::default()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains(r#""error":"csrf""#), "{}", reply.body);
}

#[tokio::test]
async fn an_expired_login_state_is_refused() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    jar.0.insert("keyhole_login".into(), "binding".into());
    h.state
        .sessions
        .put_pending(&PendingLogin {
            state: "expired-state".into(),
            provider: "aihubmix".into(),
            mode: LoginMode::Redirect,
            return_to: "/".into(),
            pkce_verifier: "v".into(),
            nonce: "n".into(),
            binding_hash: binding_hash("binding"),
            expires_at: keyhole::clock::now() - time::Duration::seconds(1),
        })
        .await
        .unwrap();
    let reply = h
        .get(
            "/api/auth/aihubmix/callback?state=expired-state&code=x",
            &mut jar,
        )
        .await;
    assert!(reply.body.contains(r#""error":"csrf""#), "{}", reply.body);
}

#[tokio::test]
async fn https_deployments_use_host_prefixed_secure_cookies() {
    let sim = spawn_sim().await;
    let mut config = config(&sim.base_url, "");
    config.public_url = url::Url::parse("https://app.example.com").unwrap();
    let h = Harness::with_state(sim, Keyhole::in_memory(config).unwrap());
    let start = h
        .get("/api/auth/aihubmix/login?mode=popup", &mut Jar::default())
        .await;
    let cookie = start.set_cookie("__Host-keyhole_login").unwrap();
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag}: {cookie}");
    }
    assert!(!cookie.contains("Domain="));
    let redirect_uri = url::Url::parse(start.location())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(
        redirect_uri,
        "https://app.example.com/api/auth/aihubmix/callback"
    );
    // HSTS on https, on Keyhole's routes and the rest alike.
    for reply in [&start, &h.get("/healthz", &mut Jar::default()).await] {
        assert_eq!(
            reply.header("strict-transport-security"),
            "max-age=31536000; includeSubDomains"
        );
    }
}

#[tokio::test]
async fn http_deployments_send_no_hsts_and_a_clients_request_id_is_not_trusted() {
    let h = Harness::start("").await;
    let request = Request::get("/api/me")
        .header("x-request-id", "forged-id")
        .body(Body::empty())
        .unwrap();
    let reply = h.send(request).await;
    assert!(reply.header("strict-transport-security").is_empty());
    let id = reply.header("x-request-id").to_owned();
    assert!(!id.is_empty() && id != "forged-id", "{id}");
    assert_eq!(reply.json()["request_id"], id);
}

/// Every login start re-issues the binding cookie, so it outlives the
/// newest pending login rather than the first.
#[tokio::test]
async fn each_login_start_renews_the_binding_cookie() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let first = h.get("/api/auth/aihubmix/login?mode=popup", &mut jar).await;
    let binding = jar.get("keyhole_login").unwrap().to_owned();
    assert!(first.set_cookie("keyhole_login").is_some());
    let again = h.get("/api/auth/aihubmix/login?mode=popup", &mut jar).await;
    let cookie = again.set_cookie("keyhole_login").unwrap();
    assert!(
        cookie.starts_with(&format!("keyhole_login={binding};")),
        "{cookie}"
    );
    assert!(cookie.contains("Max-Age=600"), "{cookie}");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let h = Harness::start("").await;
    let request = Request::post("/api/auth/logout")
        .header(keyhole_api::CSRF_HEADER, "1")
        .header("content-length", 200 * 1024)
        .body(Body::from(vec![b'x'; 200 * 1024]))
        .unwrap();
    let reply = h.send(request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // In the contract's shape, like every other error.
    let body = reply.json();
    assert_eq!(body["code"], "invalid_request", "{body}");
    assert!(
        body["request_id"].as_str().is_some_and(|id| id.len() > 8),
        "{body}"
    );
    assert_eq!(
        reply.header("x-request-id"),
        body["request_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn a_cross_origin_logout_is_refused_even_with_the_header() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    let request = Request::post("/api/auth/logout")
        .header(keyhole_api::CSRF_HEADER, "1")
        .header("origin", "https://evil.example")
        .header(
            "cookie",
            format!("keyhole_session={}", jar.get("keyhole_session").unwrap()),
        )
        .body(Body::empty())
        .unwrap();
    let reply = h.send(request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["code"], "csrf");
    assert_eq!(h.get("/api/me", &mut jar).await.status, StatusCode::OK);
}

#[tokio::test]
async fn disconnecting_the_last_provider_ends_the_session() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    let missing = h.post_app("/api/auth/nope/disconnect", &mut jar).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let done = h.post_app("/api/auth/aihubmix/disconnect", &mut jar).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.get("/api/me", &mut jar).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = h.post_app("/api/auth/aihubmix/disconnect", &mut jar).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sqlite_sessions_survive_a_server_restart() {
    let dir = std::env::temp_dir().join(format!(
        "keyhole-restart-{}-{}",
        std::process::id(),
        &keyhole::session::random_token()[..8]
    ));
    let store = format!(
        "[session]\nstore = \"sqlite://{}\"",
        dir.join("k.db").display()
    );
    let sim = spawn_sim().await;
    let env = |_: &str| None;
    let first = Keyhole::open(config_with(&sim.base_url, &store, ""), &env)
        .await
        .unwrap();
    let h = Harness::with_state(sim, first);
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    assert!(
        dir.join("session.key").is_file(),
        "key generated beside the db"
    );

    let second = Keyhole::open(config_with(&h.sim.base_url, &store, ""), &env)
        .await
        .unwrap();
    let restarted = keyhole::router(second);
    let request = Request::get("/api/me")
        .header(
            "cookie",
            format!("keyhole_session={}", jar.get("keyhole_session").unwrap()),
        )
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(restarted, request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let _ = std::fs::remove_dir_all(dir);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever a provider (or an attacker) puts in a callback's query or
    /// form, the answer is never a server error.
    #[test]
    fn arbitrary_callbacks_never_answer_5xx(
        query in "[A-Za-z0-9_=&%.~+-]{0,120}",
        form in "[A-Za-z0-9_=&%.~+-]{0,120}",
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let sim = spawn_sim().await;
            let h = Harness::with_state(sim, Keyhole::in_memory(config("http://127.0.0.1:9", "")).unwrap());
            let get = Request::get(format!("/api/auth/aihubmix/callback?{query}"))
                .body(Body::empty())
                .unwrap();
            let post = Request::post("/api/auth/aihubmix/callback")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", "keyhole_login=b")
                .body(Body::from(form.clone()))
                .unwrap();
            for request in [get, post] {
                let reply = h.send(request).await;
                assert!(!reply.status.is_server_error(), "{}: {}", reply.status, reply.body);
            }
        });
    }
}
