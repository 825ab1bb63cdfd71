//! The resource endpoints: userinfo, access-token checks, balances and top-up.

use super::*;

/// Userinfo is a bare object whose fields follow the granted scopes.
#[tokio::test]
async fn userinfo_shape_follows_scopes() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.expect("JSON");
    assert_eq!(
        info,
        json!({
            "id": 12345,
            "username": "xiaoming",
            "email": "wang.xiaoming@example.com",
            "quota": 1_000_000,
            "used_quota": 250_000,
            "balance_formatted": "2.00",
            "created_time": 1_640_995_200,
            "status": 1,
        })
    );

    let tokens = h.tokens("profile").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["username"], "xiaoming");
    for field in ["quota", "used_quota", "balance_formatted"] {
        assert!(info.get(field).is_none(), "{field} needs the balance scope");
    }

    let tokens = h.tokens("balance").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert!(info.get("username").is_none());
    assert!(info.get("email").is_none());
    assert_eq!(info["quota"], 1_000_000);
}

/// Missing, unknown, expired and revoked tokens all get 401 `invalid_token`
/// with a `WWW-Authenticate` challenge.
#[tokio::test]
async fn bad_access_tokens_are_rejected() {
    let h = Harness::start().await;
    let response = h.get(&h.url("/aihubmix/api/oauth2/userinfo")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()[header::WWW_AUTHENTICATE],
        "Bearer error=\"invalid_token\""
    );
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", "nope").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_token");

    let tokens = h.tokens("profile").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::POST,
        "/_sim/tokens/revoke",
        json!({"access_token": access}),
    )
    .await;
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// Advancing the simulated clock past `expires_in` expires the access token,
/// and a refresh still works.
#[tokio::test]
async fn expired_access_token_is_401_and_refresh_recovers() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let access = tokens["access_token"].as_str().expect("token");
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::OK);

    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 7200}),
    )
    .await;
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));

    let (status, fresh) = h
        .refresh(tokens["refresh_token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            fresh["access_token"].as_str().expect("token"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// A balance changed through the admin API shows in the next userinfo, in
/// either `balance_formatted` formula.
#[tokio::test]
async fn balance_change_shows_in_userinfo() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::PUT,
        "/_sim/users/12345/aihubmix",
        json!({"quota": 3_750_000, "used_quota": 1_000}),
    )
    .await;
    let info: Value = h
        .bearer_get("/aihubmix/api/oauth2/userinfo", access)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["quota"], 3_750_000);
    assert_eq!(info["used_quota"], 1_000);
    assert_eq!(info["balance_formatted"], "7.50");

    h.admin(
        reqwest::Method::PUT,
        "/_sim/aihubmix/options",
        json!({"balance_format": "seed"}),
    )
    .await;
    let info: Value = h
        .bearer_get("/aihubmix/api/oauth2/userinfo", access)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["balance_formatted"], "3749.00");

    // Reset restores the seeded balance and options, and forgets the tokens.
    let response = h
        .http
        .post(h.url("/_sim/reset"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let tokens = h.tokens("balance").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["balance_formatted"], "2.00");
}

/// Top-up answers a URL on the simulator, and that page exists.
#[tokio::test]
async fn topup_link_and_page() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/topup",
            tokens["access_token"].as_str().expect("token"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    let url = body["topup_url"].as_str().expect("topup_url");
    assert_eq!(url, format!("{}/aihubmix/topup", h.sim.base_url));
    let page = h.get(url).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("body").contains("top-up"));

    let response = h.get(&h.url("/aihubmix/api/oauth2/topup")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(h.counters().await["aihubmix.topup"], 2);
}
