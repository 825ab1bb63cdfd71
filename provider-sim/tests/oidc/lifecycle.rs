//! After login: refresh rotation, revocation, key rotation, options, faults and counters.

use super::*;

/// Refresh rotates; reusing a rotated token revokes the whole grant. The new
/// ID token keeps sub and auth_time and has no nonce.
#[tokio::test]
async fn refresh_rotation_and_reuse_detection() {
    let h = Harness::start().await;
    let tokens = h.login("12347").await;
    let first = h
        .verify(tokens["id_token"].as_str().expect("id_token"))
        .await;
    let old_refresh = tokens["refresh_token"].as_str().expect("refresh");
    h.admin(
        Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 3601}),
    )
    .await;
    let access = tokens["access_token"].as_str().expect("token");
    assert_eq!(h.userinfo(access).await.status(), StatusCode::UNAUTHORIZED);

    let (status, refreshed) = h.refresh(old_refresh).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    let second = h
        .verify(refreshed["id_token"].as_str().expect("id_token"))
        .await;
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["auth_time"], first["auth_time"]);
    assert!(second.get("nonce").is_none());
    let new_access = refreshed["access_token"].as_str().expect("token");
    assert_eq!(h.userinfo(new_access).await.status(), StatusCode::OK);

    let (status, reused) = h.refresh(old_refresh).await;
    assert_eq!(
        (status, &reused["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    assert_eq!(
        h.userinfo(new_access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let new_refresh = refreshed["refresh_token"].as_str().expect("refresh");
    assert_eq!(h.refresh(new_refresh).await.0, StatusCode::BAD_REQUEST);
}

/// RFC 7009: revocation sticks, unknown tokens are fine, clients must authenticate.
#[tokio::test]
async fn revocation_sticks() {
    let h = Harness::start().await;
    let tokens = h.login("12345").await;
    let access = tokens["access_token"].as_str().expect("token");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let response = h
        .revoke(&[("token", access), ("token_type_hint", "access_token")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(h.userinfo(access).await.status(), StatusCode::UNAUTHORIZED);
    let (status, refreshed) = h.refresh(refresh).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "revoking an access token leaves the refresh token"
    );

    let new_access = refreshed["access_token"].as_str().expect("token");
    let new_refresh = refreshed["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        h.revoke(&[("token", new_refresh)]).await.status(),
        StatusCode::OK
    );
    assert_eq!(h.refresh(new_refresh).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.userinfo(new_access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.revoke(&[("token", "never-issued")]).await.status(),
        StatusCode::OK
    );

    let anonymous = h
        .http
        .post(h.url("/oidc/revoke"))
        .form(&[("token", access)])
        .send()
        .await
        .expect("answered");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// Key rotation: new tokens carry the new kid, old ones still verify until the
/// old key is retired.
#[tokio::test]
async fn key_rotation() {
    let h = Harness::start().await;
    let before = h.login("12345").await;
    let old_token = before["id_token"].as_str().expect("id_token").to_owned();
    assert_eq!(
        jsonwebtoken::decode_header(&old_token)
            .expect("header")
            .kid
            .as_deref(),
        Some("sim-rsa-1")
    );

    let keys = h
        .admin(Method::POST, "/_sim/oidc/rotate-keys", json!({}))
        .await;
    assert_eq!(keys["active"], "sim-rsa-2");
    assert_eq!(keys["published"], json!(["sim-rsa-1", "sim-rsa-2"]));
    let after = h.login("12345").await;
    let new_token = after["id_token"].as_str().expect("id_token");
    assert_eq!(
        jsonwebtoken::decode_header(new_token)
            .expect("header")
            .kid
            .as_deref(),
        Some("sim-rsa-2")
    );
    h.verify(new_token).await;
    h.verify(&old_token).await;

    let keys = h
        .admin(
            Method::POST,
            "/_sim/oidc/rotate-keys",
            json!({"retire_previous": true}),
        )
        .await;
    assert_eq!(keys["published"], json!(["sim-rsa-3"]));
    assert!(h.jwks().await.find("sim-rsa-1").is_none());
    let listed = h.admin(Method::GET, "/_sim/oidc/keys", Value::Null).await;
    assert_eq!(listed["active"], "sim-rsa-3");
}

/// Options, faults and counters.
#[tokio::test]
async fn options_faults_and_counters() {
    let h = Harness::start().await;
    let options = h
        .admin(
            Method::PUT,
            "/_sim/oidc/options",
            json!({"refresh_requires_offline_access": true, "auto_approve_user_id": 12348}),
        )
        .await;
    assert_eq!(options["rotate_refresh_tokens"], true);
    let response = h
        .http
        .get(h.authorize_url(&[]))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::FOUND);
    let code = query_of(&response)["code"].clone();
    let (_, tokens) = h.exchange(Auth::Post, &code, VERIFIER).await;
    assert!(
        tokens.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );

    h.admin(
        Method::POST,
        "/_sim/faults",
        json!({"endpoint": "oidc.token", "status": 502}),
    )
    .await;
    assert_eq!(h.refresh("whatever").await.0, StatusCode::BAD_GATEWAY);
    let counters = h.admin(Method::GET, "/_sim/counters", Value::Null).await;
    assert_eq!(counters["oidc.token"], 2);
    assert_eq!(counters["oidc.token.authorization_code"], 1);
    assert_eq!(counters["oidc.token.refresh_token"], 1);
    assert_eq!(counters["oidc.authorize"], 1);
    assert_eq!(counters["oidc.userinfo"], 0);
}
