//! The simulator around the dialect: faults, counters, registered clients, avatars, shutdown.

use super::*;

/// Status faults hit exactly the next N calls; every call is counted.
#[tokio::test]
async fn status_faults_and_counters() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.userinfo", "count": 2, "status": 503}),
    )
    .await;
    for _ in 0..2 {
        let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::OK);

    let counters = h.counters().await;
    assert_eq!(counters["aihubmix.authorize"], 1);
    assert_eq!(counters["aihubmix.token"], 1);
    assert_eq!(counters["aihubmix.token.authorization_code"], 1);
    assert_eq!(counters["aihubmix.token.refresh_token"], 0);
    assert_eq!(counters["aihubmix.userinfo"], 3);
    assert_eq!(counters["aihubmix.topup"], 0);

    let response = h
        .http
        .post(h.url("/_sim/faults"))
        .json(&json!({"endpoint": "aihubmix.nope"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// A malformed-body fault answers 200 with a body that is not JSON.
#[tokio::test]
async fn malformed_body_fault() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.token", "body": "not json"}),
    )
    .await;
    let response = h
        .http
        .post(h.url("/aihubmix/api/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("token"),
            ),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(response.text().await.expect("body"), "not json");
    // The faulted call was counted under its grant, and did not rotate the token.
    assert_eq!(h.counters().await["aihubmix.token.refresh_token"], 1);
    let (status, _) = h
        .refresh(tokens["refresh_token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// A latency fault delays the call, which then proceeds normally.
#[tokio::test]
async fn latency_fault_delays_the_call() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.userinfo", "latency_ms": 300}),
    )
    .await;
    let started = Instant::now();
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), StatusCode::OK);
}

/// A drop fault hangs up without any response; the next call works.
#[tokio::test]
async fn drop_fault_hangs_up() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.userinfo", "drop": true}),
    )
    .await;
    let result = h
        .http
        .get(h.url("/aihubmix/api/oauth2/userinfo"))
        .bearer_auth(access)
        .send()
        .await;
    let error = result.expect_err("connection dropped");
    assert!(error.is_request() && !error.is_timeout(), "{error:?}");
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// A client registered through the admin API works like the dev client, and
/// its codes do not work for another client.
#[tokio::test]
async fn registered_clients_are_separate() {
    let h = Harness::start().await;
    let second = "http://127.0.0.1:8080/api/auth/aihubmix-2/callback";
    let response = h
        .http
        .post(h.url("/_sim/clients"))
        .json(&json!({
            "dialect": "aihubmix",
            "client_id": "second",
            "client_secret": "second-secret",
            "redirect_uri": second,
            "name": "Second <instance>",
        }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::CREATED);

    let html = h
        .get(&h.authorize_url(&[("client_id", "second"), ("redirect_uri", second)]))
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("Second &lt;instance&gt;"));
    let response = h.decide(&html, "12346", "allow").await;
    let url = location(&response);
    assert!(url.as_str().starts_with(second));
    let code = url
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, value)| value.into_owned())
        .expect("code");

    // The dev client cannot redeem the second client's code.
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", second),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", second),
            ("client_id", "second"),
            ("client_secret", "second-secret"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Avatars are generated SVGs.
#[tokio::test]
async fn avatars_are_svg() {
    let h = Harness::start().await;
    let response = h.get(&h.url("/avatars/12346.svg")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/svg+xml");
    assert!(response.text().await.expect("body").starts_with("<svg"));
    let response = h.get(&h.url("/avatars/1.svg")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// `shutdown` stops the server: the port refuses connections afterwards.
#[tokio::test]
async fn shutdown_stops_the_server() {
    let h = Harness::start().await;
    let health = h.url("/_sim/health");
    assert_eq!(h.get(&health).await.status(), StatusCode::OK);
    let Harness { sim, http } = h;
    sim.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&health).send().await.is_err());
    drop(http);
}
