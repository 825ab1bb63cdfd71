//! Tests of the server-less `router`, driven with `oneshot` as the server's own tests are.

use axum::{
    body::{Body, to_bytes},
    http::{Request, StatusCode, header},
};
use provider_sim::{SimConfig, router};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn send(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (
        status,
        headers,
        String::from_utf8(body.to_vec()).expect("UTF-8"),
    )
}

fn post_json(uri: &str, body: Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// The index page and the admin API work without a server.
#[tokio::test]
async fn index_and_admin_without_a_server() {
    let app = router(SimConfig::default());
    let (status, _, body) = send(
        &app,
        Request::get("/").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("keyhole-dev-aihubmix"));

    let (status, _, body) = send(
        &app,
        Request::get("/_sim/users")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let users: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(users[0]["aihubmix"]["balance_formatted"], "2.00");
    assert_eq!(users.as_array().map(Vec::len), Some(4));
}

/// With no connection to drop, a drop fault answers 500 marked `x-sim-fault: drop`.
#[tokio::test]
async fn drop_fault_without_a_connection() {
    let app = router(SimConfig::default());
    let (status, _, _) = send(
        &app,
        post_json(
            "/_sim/faults",
            json!({"endpoint": "aihubmix.userinfo", "drop": true}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, headers, _) = send(
        &app,
        Request::get("/aihubmix/api/oauth2/userinfo")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(headers["x-sim-fault"], "drop");
}

/// Without a server the top-up URL is built from the `Host` header.
#[tokio::test]
async fn topup_url_uses_host_without_a_server() {
    let app = router(SimConfig {
        app_url: "http://app.test/".to_owned(),
    });
    // The dev client's redirect URI follows the configured app URL (trailing slash trimmed).
    let authorize = "/aihubmix/api/oauth2/authorize?client_id=keyhole-dev-aihubmix\
        &redirect_uri=http%3A%2F%2Fapp.test%2Fapi%2Fauth%2Faihubmix%2Fcallback\
        &response_type=code&scope=balance&state=s&auto_authorize=true";
    let (status, headers, _) = send(
        &app,
        Request::get(authorize)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().expect("ASCII");
    let code = url::Url::parse(location)
        .expect("URL")
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, value)| value.into_owned())
        .expect("code");

    let form = format!(
        "grant_type=authorization_code&code={code}\
         &redirect_uri=http%3A%2F%2Fapp.test%2Fapi%2Fauth%2Faihubmix%2Fcallback\
         &client_id=keyhole-dev-aihubmix&client_secret=sim-secret-aihubmix"
    );
    let request = Request::post("/aihubmix/api/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let (status, headers, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let tokens: Value = serde_json::from_str(&body).expect("JSON");
    let access = tokens["access_token"].as_str().expect("token");

    let request = Request::get("/aihubmix/api/oauth2/topup")
        .header(header::HOST, "sim.test:9000")
        .header(header::AUTHORIZATION, format!("Bearer {access}"))
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    let topup: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(topup["topup_url"], "http://sim.test:9000/aihubmix/topup");
}

/// `POST /_sim/clock/reset` takes simulated time back to real time, so ID
/// tokens and rate-limit windows stop sitting in the caller's future.
#[tokio::test]
async fn clock_reset_returns_to_real_time() {
    let app = router(SimConfig::default());
    let now = |body: &str| -> u64 {
        let value: Value = serde_json::from_str(body).expect("JSON");
        value["now"].as_u64().expect("now")
    };
    let (_, _, before) = send(
        &app,
        Request::get("/_sim/clock")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let (_, _, advanced) = send(
        &app,
        post_json("/_sim/clock/advance", json!({"seconds": 86_400})),
    )
    .await;
    assert!(now(&advanced) >= now(&before) + 86_400);
    let (status, _, reset) = send(&app, post_json("/_sim/clock/reset", json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(now(&reset) < now(&before) + 600, "{reset}");
}
