//! Token, verify and revoke endpoints, and both kinds of ID token.

use super::*;

/// The code exchange returns the documented shape and an HS256 ID token
/// verifiable with the channel secret, carrying nonce, auth_time, profile and email.
#[tokio::test]
async fn code_exchange_with_hs256_id_token() {
    let h = &Harness::start().await;
    let body = h
        .tokens(&[
            ("scope", "openid profile email"),
            ("nonce", "n-0S6"),
            ("max_age", "600"),
        ])
        .await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 2_592_000);
    assert_eq!(
        body["scope"], "profile",
        "never email, openid only by option"
    );
    let id_token = body["id_token"].as_str().expect("id_token");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[dev::LINE_LOGIN_CHANNEL_ID]);
    validation.set_issuer(&["https://access.line.me"]);
    let key = DecodingKey::from_secret(dev::LINE_LOGIN_CHANNEL_SECRET.as_bytes());
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("verifies")
        .claims;
    assert_eq!(claims["sub"], XIAOMING);
    assert_eq!(claims["nonce"], "n-0S6");
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["name"], "王小明");
    assert_eq!(claims["email"], "wang.xiaoming@example.com");
    assert!(
        claims["picture"]
            .as_str()
            .expect("picture")
            .ends_with("/avatars/12345.svg")
    );
    assert!(claims["auth_time"].is_u64());
    assert_eq!(
        claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat"),
        3600
    );
    // Without openid: no ID token at all.
    let body = h.tokens(&[("scope", "profile")]).await;
    assert!(body.get("id_token").is_none());
    assert_eq!(body["scope"], "profile");
}

/// A native channel gets ES256 ID tokens with a `kid` found in the JWKS, and
/// may refresh without its secret; PKCE (S256) is enforced at the exchange.
#[tokio::test]
async fn native_channel_es256_and_pkce() {
    let h = &Harness::start().await;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER));
    let extra = [
        ("client_id", native().0),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = h.consent(&extra, "12346", &[]).await["code"].clone();
    let (status, body) = h.exchange(&code, native(), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let code = h.consent(&extra, "12346", &[]).await["code"].clone();
    let (status, body) = h.exchange(&code, native(), Some(VERIFIER)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id_token = body["id_token"].as_str().expect("id_token");
    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.alg, Algorithm::ES256);
    let jwks: JwkSet = h
        .get(&h.url("/line/oauth2/v2.1/certs"))
        .await
        .json()
        .await
        .expect("JWKS");
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("kid in JWKS");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[dev::LINE_LOGIN_NATIVE_CHANNEL_ID]);
    let claims = jsonwebtoken::decode::<Value>(
        id_token,
        &DecodingKey::from_jwk(jwk).expect("key"),
        &validation,
    )
    .expect("verifies")
    .claims;
    assert_eq!(claims["sub"], SOMCHAI);
    let (status, verified) = h
        .post_form(
            "/line/oauth2/v2.1/verify",
            &[("id_token", id_token), ("client_id", native().0)],
        )
        .await;
    assert_eq!(
        (status, &verified["sub"]),
        (StatusCode::OK, &json!(SOMCHAI))
    );
    let refresh = body["refresh_token"].as_str().expect("refresh");
    let (status, _) = h
        .post_form(
            "/line/oauth2/v2.1/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", native().0),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// A refresh returns the same refresh token, a new access token, no ID token;
/// the refresh token dies 90 days after the first issue, refreshes or not.
#[tokio::test]
async fn refresh_keeps_the_refresh_token_with_a_fixed_expiry() {
    let h = &Harness::start().await;
    let first = h.tokens(&[]).await;
    let refresh_token = first["refresh_token"].as_str().expect("refresh");
    let refresh = |secret: Option<&'static str>| {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", web().0),
        ];
        form.extend(secret.map(|s| ("client_secret", s)));
        async move { h.post_form("/line/oauth2/v2.1/token", &form).await }
    };
    let (status, _) = refresh(None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "web channels need the secret"
    );
    h.advance(80 * DAY).await;
    let (status, body) = refresh(Some(web().1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["refresh_token"], refresh_token);
    assert_ne!(body["access_token"], first["access_token"]);
    assert!(body.get("id_token").is_none());
    assert_eq!(body["expires_in"], 2_592_000);
    h.advance(11 * DAY).await;
    let (status, body) = refresh(Some(web().1)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "invalid refresh token"})
    );
}

/// `GET verify` reports scope, channel and remaining lifetime, or LINE's errors.
#[tokio::test]
async fn verify_access_token() {
    let h = &Harness::start().await;
    let access = h.tokens(&[]).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let verify = |token: String| async move { h.verify_access(&token).await };
    h.advance(1000).await;
    let (status, body) = verify(access.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["client_id"].as_str(), body["scope"].as_str()),
        (Some(dev::LINE_LOGIN_CHANNEL_ID), Some("profile"))
    );
    h.admin(
        Method::PUT,
        "/_sim/line/options",
        json!({"scope_lists_openid": true}),
    )
    .await;
    let (_, body) = verify(access.clone()).await;
    assert_eq!(body["scope"], "profile openid");
    assert!(body["expires_in"].as_u64().expect("expires_in") <= 2_592_000 - 1000);
    let (status, body) = verify("not-a-token".to_owned()).await;
    assert_eq!(
        (status, &body["error_description"]),
        (StatusCode::BAD_REQUEST, &json!("The access token not JWS"))
    );
    h.advance(30 * DAY).await;
    let (_, body) = verify(access).await;
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "The access token expired"})
    );
}

/// `POST verify` returns the claims or the documented description of the first failed check.
#[tokio::test]
async fn verify_id_token_errors() {
    let h = &Harness::start().await;
    let id_token = h.tokens(&[("nonce", "abc")]).await["id_token"]
        .as_str()
        .expect("id")
        .to_owned();
    let verify = |fields: Vec<(&'static str, String)>| async move {
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        h.post_form("/line/oauth2/v2.1/verify", &form).await
    };
    let base = |extra: &[(&'static str, &str)]| {
        let mut fields = vec![
            ("id_token", id_token.clone()),
            ("client_id", web().0.to_owned()),
        ];
        for (key, value) in extra {
            fields.retain(|(k, _)| k != key);
            fields.push((*key, (*value).to_owned()));
        }
        fields
    };
    let (status, claims) = verify(base(&[("nonce", "abc"), ("user_id", XIAOMING)])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (claims["sub"].as_str(), claims["iss"].as_str()),
        (Some(XIAOMING), Some("https://access.line.me"))
    );
    // A different first signature character: a well-formed token with a bad signature.
    let signature_at = id_token.rfind('.').expect("signature") + 1;
    let mut tampered = id_token.clone();
    let replacement = if id_token[signature_at..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(signature_at..=signature_at, replacement);
    for (extra, description) in [
        (vec![("client_id", native().0)], "Invalid IdToken Audience."),
        (vec![("nonce", "xyz")], "Invalid IdToken Nonce."),
        (
            vec![("user_id", SOMCHAI)],
            "Invalid IdToken Subject Identifier.",
        ),
        (vec![("id_token", tampered.as_str())], "Invalid IdToken."),
        (vec![("id_token", "garbage")], "Invalid IdToken."),
    ] {
        let (status, body) = verify(base(&extra)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"error": "invalid_request", "error_description": description})
        );
    }
    h.advance(3600).await;
    let (_, body) = verify(base(&[])).await;
    assert_eq!(body["error_description"], "IdToken expired.");
}

/// Revoke answers 200 with no body; the access and refresh tokens stay dead.
#[tokio::test]
async fn revoke_sticks() {
    let h = &Harness::start().await;
    let tokens = h.tokens(&[]).await;
    let access = tokens["access_token"].as_str().expect("access");
    let response = h
        .http
        .post(h.url("/line/oauth2/v2.1/revoke"))
        .form(&[
            ("access_token", access),
            ("client_id", web().0),
            ("client_secret", web().1),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-line-request-id"));
    assert_eq!(response.text().await.expect("body"), "");
    assert_eq!(
        h.bearer(Method::GET, "/line/v2/profile", access).await.0,
        StatusCode::UNAUTHORIZED
    );
    let refresh = tokens["refresh_token"].as_str().expect("r");
    let (_, body) = h.refresh_web(refresh).await;
    assert_eq!(body["error"], "invalid_grant");
    let response = h
        .http
        .get(h.url("/line/oauth2/v2.1/verify"))
        .query(&[("access_token", access)])
        .send()
        .await
        .expect("answered");
    assert_eq!(
        response.json::<Value>().await.expect("JSON")["error_description"],
        "The access token revoked"
    );
}

/// The admin API's revoke reaches LINE Login grants: a user's tokens all stop.
#[tokio::test]
async fn admin_revoke_by_user() {
    let h = &Harness::start().await;
    let tokens = h.tokens(&[]).await;
    let revoked = h
        .admin(
            Method::POST,
            "/_sim/tokens/revoke",
            json!({"user_id": 12345}),
        )
        .await;
    assert_eq!(revoked["revoked"], 1);
    let access = tokens["access_token"].as_str().expect("access");
    let (status, body) = h.bearer(Method::GET, "/line/v2/profile", access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "The access token revoked");
}
