//! The v2 OAuth flow: PKCE, flat bodies with real HTTP statuses, single-use refresh tokens.

use super::*;

/// The v2 flow: PKCE (S256), offline_access, flat bodies, single-use refresh.
#[tokio::test]
async fn v2_flow_with_pkce_and_rotation() {
    let h = Harness::start().await;
    let challenge = base64url_sha256(VERIFIER);
    let params = [
        ("client_id", dev::FEISHU_APP_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "contact:user.base:readonly offline_access"),
        ("state", STATE),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let response = h
        .consent(
            "/feishu/open-apis/authen/v1/authorize",
            &params,
            "12346",
            "allow",
        )
        .await;
    let code = query_of(&response)["code"].clone();
    let path = "/feishu/open-apis/authen/v2/oauth/token";
    let mut body = json!({
        "grant_type": "authorization_code",
        "client_id": dev::FEISHU_APP_ID,
        "client_secret": dev::FEISHU_APP_SECRET,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "wrong-verifier-wrong-verifier-wrong-verifier-0000",
    });
    let (status, error) = h.post_json(path, None, body.clone()).await;
    assert_eq!(
        (status, &error["code"]),
        (StatusCode::BAD_REQUEST, &json!(20049))
    );
    assert_eq!(error["error"], "invalid_grant");
    body["code_verifier"] = VERIFIER.into();
    let (status, tokens) = h.post_json(path, None, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["code"], 0);
    assert!(tokens.get("data").is_none());
    assert_eq!(tokens["refresh_token_expires_in"], 604_800);
    assert_eq!(tokens["scope"], "contact:user.base:readonly offline_access");
    let (status, reused) = h.post_json(path, None, body).await;
    assert_eq!(
        (status, &reused["code"]),
        (StatusCode::BAD_REQUEST, &json!(20065))
    );

    let access = tokens["access_token"].as_str().expect("token");
    assert_eq!(h.user_info(access).await.1["data"]["name"], "สมชาย ใจดี");

    let refresh = json!({
        "grant_type": "refresh_token",
        "client_id": dev::FEISHU_APP_ID,
        "client_secret": dev::FEISHU_APP_SECRET,
        "refresh_token": tokens["refresh_token"],
    });
    let (status, rotated) = h.post_json(path, None, refresh.clone()).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);
    let (status, again) = h.post_json(path, None, refresh).await;
    assert_eq!(
        (status, &again["code"]),
        (StatusCode::BAD_REQUEST, &json!(20064))
    );

    // A v1 refresh token is not accepted here.
    let v1 = h.v1_login("12345").await;
    let (_, refused) = h
        .post_json(
            path,
            None,
            json!({
                "grant_type": "refresh_token",
                "client_id": dev::FEISHU_APP_ID,
                "client_secret": dev::FEISHU_APP_SECRET,
                "refresh_token": v1["refresh_token"],
            }),
        )
        .await;
    assert_eq!(refused["code"], 20026);
}

/// v2 client authentication: Basic or body, not both; plain PKCE by default;
/// no refresh token without offline_access.
#[tokio::test]
async fn v2_client_auth_and_plain_pkce() {
    let h = Harness::start().await;
    let params = [
        ("client_id", dev::FEISHU_APP_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("code_challenge", VERIFIER),
    ];
    let response = h
        .consent(
            "/feishu/open-apis/authen/v1/authorize",
            &params,
            "12345",
            "allow",
        )
        .await;
    let code = query_of(&response)["code"].clone();
    let body = json!({
        "grant_type": "authorization_code",
        "client_id": dev::FEISHU_APP_ID,
        "client_secret": dev::FEISHU_APP_SECRET,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    });
    let both = h
        .http
        .post(h.url("/feishu/open-apis/authen/v2/oauth/token"))
        .basic_auth(dev::FEISHU_APP_ID, Some(dev::FEISHU_APP_SECRET))
        .json(&body)
        .send()
        .await
        .expect("answered");
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
    assert_eq!(both.json::<Value>().await.expect("JSON")["code"], 20070);
    let mut basic_body = body.clone();
    basic_body
        .as_object_mut()
        .expect("object")
        .remove("client_secret");
    let basic = h
        .http
        .post(h.url("/feishu/open-apis/authen/v2/oauth/token"))
        .basic_auth(dev::FEISHU_APP_ID, Some(dev::FEISHU_APP_SECRET))
        .json(&basic_body)
        .send()
        .await
        .expect("answered");
    assert_eq!(basic.status(), StatusCode::OK);
    let tokens: Value = basic.json().await.expect("JSON");
    assert_eq!(tokens["code"], 0);
    assert!(tokens.get("refresh_token").is_none());
}

/// A v2 code for user 12347 with an S256 challenge of [`VERIFIER`] and
/// `offline_access`.
async fn v2_code(h: &Harness) -> String {
    let challenge = base64url_sha256(VERIFIER);
    let params = [
        ("client_id", dev::FEISHU_APP_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "offline_access"),
        ("state", STATE),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let response = h
        .consent(
            "/feishu/open-apis/authen/v1/authorize",
            &params,
            "12347",
            "allow",
        )
        .await;
    query_of(&response)["code"].clone()
}

/// What a v2 client relies on beyond the happy path: JSON bodies only, the
/// redirect URI and the code's five minutes checked strictly, the old access
/// token's one-minute grace after a refresh, and refresh tokens that expire
/// (20037) — each with its real HTTP status.
#[tokio::test]
async fn v2_json_only_strict_redirect_grace_and_expiry() {
    let h = Harness::start().await;
    let path = "/feishu/open-apis/authen/v2/oauth/token";
    let code = v2_code(&h).await;
    let mut body = json!({
        "grant_type": "authorization_code",
        "client_id": dev::FEISHU_APP_ID,
        "client_secret": dev::FEISHU_APP_SECRET,
        "code": code,
        "redirect_uri": "http://127.0.0.1:8080/elsewhere",
        "code_verifier": VERIFIER,
    });
    let form = h
        .http
        .post(h.url(path))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    assert_eq!(form.json::<Value>().await.expect("JSON")["code"], 20063);
    let (status, mismatch) = h.post_json(path, None, body.clone()).await;
    assert_eq!(
        (status, &mismatch["code"], &mismatch["error"]),
        (
            StatusCode::BAD_REQUEST,
            &json!(20071),
            &json!("invalid_grant")
        )
    );
    // Refused attempts do not spend the code.
    body["redirect_uri"] = REDIRECT_URI.into();
    let (status, tokens) = h.post_json(path, None, body).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");

    let old_access = tokens["access_token"].as_str().expect("token");
    let refresh = json!({
        "grant_type": "refresh_token",
        "client_id": dev::FEISHU_APP_ID,
        "client_secret": dev::FEISHU_APP_SECRET,
        "refresh_token": tokens["refresh_token"],
    });
    let (status, rotated) = h.post_json(path, None, refresh).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(
        h.user_info(old_access).await.1["code"],
        0,
        "within the grace"
    );
    h.advance(61).await;
    assert_eq!(h.user_info(old_access).await.1["code"], 99_991_677);
    let new_access = rotated["access_token"].as_str().expect("token");
    assert_eq!(h.user_info(new_access).await.1["code"], 0);

    let late = v2_code(&h).await;
    h.advance(604_800).await;
    let (status, expired) = h
        .post_json(
            path,
            None,
            json!({
                "grant_type": "refresh_token",
                "client_id": dev::FEISHU_APP_ID,
                "client_secret": dev::FEISHU_APP_SECRET,
                "refresh_token": rotated["refresh_token"],
            }),
        )
        .await;
    assert_eq!(
        (status, &expired["code"]),
        (StatusCode::BAD_REQUEST, &json!(20037))
    );
    let (status, stale) = h
        .post_json(
            path,
            None,
            json!({
                "grant_type": "authorization_code",
                "client_id": dev::FEISHU_APP_ID,
                "client_secret": dev::FEISHU_APP_SECRET,
                "code": late,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": VERIFIER,
            }),
        )
        .await;
    assert_eq!(
        (status, &stale["code"]),
        (StatusCode::BAD_REQUEST, &json!(20004))
    );
}

fn base64url_sha256(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}
