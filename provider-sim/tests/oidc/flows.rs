//! Discovery, the code flow with both client-auth styles and PKCE methods, and the error paths.

use super::*;

/// Discovery names this issuer and its endpoints.
#[tokio::test]
async fn discovery_document() {
    let h = Harness::start().await;
    let doc: Value = h
        .http
        .get(h.url("/oidc/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("JSON");
    let issuer = h.issuer();
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(doc["authorization_endpoint"], format!("{issuer}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{issuer}/userinfo"));
    assert_eq!(doc["revocation_endpoint"], format!("{issuer}/revoke"));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        json!(["S256", "plain"])
    );
    let jwks = h.jwks().await;
    assert_eq!(jwks.keys.len(), 1);
}

/// The code flow with client_secret_basic and S256: an ID token that verifies
/// against the JWKS, with nonce, auth_time, at_hash and the profile claims.
#[tokio::test]
async fn code_flow_id_token_verifies() {
    let h = Harness::start().await;
    let tokens = h.login("12345").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "openid profile email");
    assert!(tokens["refresh_token"].is_string());
    let claims = h
        .verify(tokens["id_token"].as_str().expect("id_token"))
        .await;
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["aud"], dev::OIDC_CLIENT_ID);
    assert_eq!(claims["name"], "王小明");
    assert_eq!(claims["email"], "wang.xiaoming@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["locale"], "zh-CN");
    assert_eq!(claims["picture"], h.url("/avatars/12345.svg").as_str());
    let (iat, exp, auth_time) = (&claims["iat"], &claims["exp"], &claims["auth_time"]);
    assert_eq!(
        exp.as_u64().expect("exp") - iat.as_u64().expect("iat"),
        3600
    );
    assert!(auth_time.as_u64().expect("auth_time") <= iat.as_u64().expect("iat"));
    let access = tokens["access_token"].as_str().expect("token");
    let digest = Sha256::digest(access.as_bytes());
    let at_hash = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    };
    assert_eq!(claims["at_hash"], at_hash);

    let info: Value = h.userinfo(access).await.json().await.expect("JSON");
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["name"], "王小明");
    assert_ne!(info["sub"], "12345", "sub is opaque, not the numeric id");
}

/// client_secret_post with a plain challenge (the RFC 7636 default method);
/// profile claims follow the scope.
#[tokio::test]
async fn client_secret_post_and_plain_pkce() {
    let h = Harness::start().await;
    let code = h
        .code(
            &[
                ("code_challenge", VERIFIER),
                ("code_challenge_method", ""),
                ("scope", "openid"),
            ],
            "12348",
        )
        .await;
    let (status, tokens) = h.exchange(Auth::Post, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let claims = h
        .verify(tokens["id_token"].as_str().expect("id_token"))
        .await;
    assert!(claims.get("email").is_none());
    assert!(claims.get("name").is_none());
    let info: Value = h
        .userinfo(tokens["access_token"].as_str().expect("token"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        info.as_object().map(|object| object.len()),
        Some(1),
        "{info}"
    );
}

/// Token endpoint errors: client auth, PKCE, redirect URI, code reuse.
#[tokio::test]
async fn token_errors() {
    let h = Harness::start().await;
    let code = h.code(&[], "12345").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    let wrong = h
        .http
        .post(h.url("/oidc/token"))
        .basic_auth(dev::OIDC_CLIENT_ID, Some("wrong"))
        .form(&form)
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .expect("ASCII")
            .starts_with("Basic")
    );
    assert_eq!(
        wrong.json::<Value>().await.expect("JSON")["error"],
        "invalid_client"
    );
    let anonymous = h
        .http
        .post(h.url("/oidc/token"))
        .form(&form)
        .send()
        .await
        .expect("answered");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let mut both = form.to_vec();
    both.push(("client_secret", dev::OIDC_CLIENT_SECRET));
    let both = h.token(Auth::Basic, &both).await;
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        both.json::<Value>().await.expect("JSON")["error"],
        "invalid_request"
    );

    let (status, body) = h
        .exchange(
            Auth::Basic,
            &code,
            "x-wrong-verifier-of-the-right-length-0123456789",
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let other_uri = h
        .token(
            Auth::Basic,
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1:8080/other"),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(
        other_uri.json::<Value>().await.expect("JSON")["error"],
        "invalid_grant"
    );

    // The code still works once; a replay revokes what it issued.
    let (status, tokens) = h.exchange(Auth::Basic, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.exchange(Auth::Basic, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let access = tokens["access_token"].as_str().expect("token");
    assert_eq!(h.userinfo(access).await.status(), StatusCode::UNAUTHORIZED);

    let unsupported = h.token(Auth::Basic, &[("grant_type", "password")]).await;
    assert_eq!(
        unsupported.json::<Value>().await.expect("JSON")["error"],
        "unsupported_grant_type"
    );
}

/// Authorization errors go back with state and iss; untrusted ones get a page.
#[tokio::test]
async fn authorize_errors() {
    let h = Harness::start().await;
    for (extra, error) in [
        (vec![("scope", "profile email")], "invalid_scope"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("code_challenge_method", "S512")], "invalid_request"),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("prompt", "none")], "login_required"),
    ] {
        let response = h
            .http
            .get(h.authorize_url(&extra))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::FOUND, "{extra:?}");
        let query = query_of(&response);
        assert_eq!(query["error"], error, "{extra:?}");
        assert_eq!(query["state"], STATE);
        assert_eq!(query["iss"], h.issuer());
    }
    let response = h
        .http
        .get(h.authorize_url(&[(
            "redirect_uri",
            "http://127.0.0.1:8080/api/auth/oidc/callback/",
        )]))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let denied = query_of(&h.consent(&[], "12345", "deny").await);
    assert_eq!(denied["error"], "access_denied");
}

/// After consent, prompt=none signs the user in silently (session cookie);
/// max_age forces a new login once the session is too old.
#[tokio::test]
async fn prompt_none_uses_the_session() {
    let h = Harness::start().await;
    let response = h.consent(&[], "12346", "allow").await;
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .expect("ASCII");
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    let silent = h
        .http
        .get(h.authorize_url(&[("prompt", "none")]))
        .header(header::COOKIE, &pair)
        .send()
        .await
        .expect("answered");
    assert_eq!(silent.status(), StatusCode::FOUND);
    let code = query_of(&silent)["code"].clone();
    let (_, tokens) = h.exchange(Auth::Basic, &code, VERIFIER).await;
    let claims = h
        .verify(tokens["id_token"].as_str().expect("id_token"))
        .await;
    assert_eq!(claims["name"], "สมชาย ใจดี");

    h.admin(Method::POST, "/_sim/clock/advance", json!({"seconds": 120}))
        .await;
    let stale = h
        .http
        .get(h.authorize_url(&[("prompt", "none"), ("max_age", "60")]))
        .header(header::COOKIE, &pair)
        .send()
        .await
        .expect("answered");
    assert_eq!(query_of(&stale)["error"], "login_required");
}
