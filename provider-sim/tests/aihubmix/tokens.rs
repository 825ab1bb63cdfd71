//! The token endpoint: code exchange, client authentication, PKCE, refresh and lifetimes.

use super::*;

/// A code exchanges once for the documented token response.
#[tokio::test]
async fn code_exchange_happy_path() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["scope"], "profile balance");
    assert!(
        body["access_token"]
            .as_str()
            .expect("string")
            .starts_with("eyJ")
    );
    assert!(
        body["refresh_token"]
            .as_str()
            .expect("string")
            .starts_with("refresh_")
    );
}

/// A second use of a code fails and revokes what the first use issued.
#[tokio::test]
async fn code_reuse_is_invalid_grant_and_revokes_tokens() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (_, tokens) = h.exchange(&code, None).await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let access = tokens["access_token"].as_str().expect("token");
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = h
        .refresh(tokens["refresh_token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Wrong client credentials are `invalid_client` with 401; Basic auth is not accepted.
#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");

    let response = h
        .http
        .post(h.url("/aihubmix/api/oauth2/token"))
        .basic_auth(dev::AIHUBMIX_CLIENT_ID, Some(dev::AIHUBMIX_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_request");
}

/// Missing parameters and unknown grant types get their RFC 6749 codes.
#[tokio::test]
async fn malformed_token_requests() {
    let h = Harness::start().await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = h
        .token(&[
            ("grant_type", "password"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
    let (status, body) = h.exchange("no-such-code", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

/// The token request's redirect_uri must equal the authorize one.
#[tokio::test]
async fn redirect_uri_mismatch_at_token_is_invalid_grant() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8080/other"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

/// With a code_challenge, the exchange needs the matching verifier; without one,
/// a verifier is refused.
#[tokio::test]
async fn pkce_is_checked_when_sent() {
    let h = Harness::start().await;
    let pkce = challenge(VERIFIER);
    let pkce_params = [
        ("code_challenge", pkce.as_str()),
        ("code_challenge_method", "S256"),
    ];

    let code = h.code(&pkce_params).await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let (status, body) = h
        .exchange(
            &code,
            Some("wrong-verifier-wrong-verifier-wrong-verifier-00"),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let (status, _) = h.exchange(&code, Some(VERIFIER)).await;
    assert_eq!(status, StatusCode::OK);

    let code = h.code(&[]).await;
    let (status, body) = h.exchange(&code, Some(VERIFIER)).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
}

/// A refresh returns a new refresh token and invalidates the old one (by
/// default); with the option off the old one keeps working.
#[tokio::test]
async fn refresh_rotates_and_rejects_the_old_token() {
    let h = Harness::start().await;
    let first = h.tokens("profile balance").await;
    let old = first["refresh_token"].as_str().expect("token");
    let (status, second) = h.refresh(old).await;
    assert_eq!(status, StatusCode::OK);
    let new = second["refresh_token"].as_str().expect("token");
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["scope"], "profile balance");

    let (status, body) = h.refresh(old).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = h.refresh(new).await;
    assert_eq!(status, StatusCode::OK);

    h.admin(
        reqwest::Method::PUT,
        "/_sim/aihubmix/options",
        json!({"rotate_invalidates_old": false}),
    )
    .await;
    let tokens = h.tokens("profile").await;
    let old = tokens["refresh_token"].as_str().expect("token");
    let (status, _) = h.refresh(old).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.refresh(old).await;
    assert_eq!(status, StatusCode::OK);

    let counters = h.counters().await;
    assert_eq!(counters["aihubmix.token.refresh_token"], 5);
}

/// Shorter lifetimes set through the admin API apply to new codes and tokens.
#[tokio::test]
async fn lifetimes_are_configurable() {
    let h = Harness::start().await;
    h.admin(
        reqwest::Method::PUT,
        "/_sim/aihubmix/options",
        json!({"access_token_ttl_secs": 60, "code_ttl_secs": 5}),
    )
    .await;
    let code = h.code(&[]).await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 5}),
    )
    .await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let tokens = h.tokens("profile").await;
    assert_eq!(tokens["expires_in"], 60);
}
