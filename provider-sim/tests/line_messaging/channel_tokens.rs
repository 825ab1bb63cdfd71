//! Channel access tokens v2.1 (JWT assertion) and stateless ones: issue, use on
//! push, verify, list kids, revoke, and the documented limits.

use super::{
    assertion::{self, claims, forge, sign},
    *,
};

impl Harness {
    /// Registers the test key for the dev Messaging API channel; its `kid`.
    async fn register_key(&self) -> String {
        let path = format!(
            "/_sim/line-bot/channels/{}/assertion-keys",
            dev::LINE_BOT_CHANNEL_ID
        );
        let body = self
            .admin(Method::POST, &path, assertion::public_jwk())
            .await;
        body["kid"].as_str().expect("kid").to_owned()
    }

    /// POSTs `form` to `path`; the status and the JSON body (`null` if empty).
    async fn json_form(&self, path: &str, form: &[(&str, String)]) -> (StatusCode, Value) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = self.form(path, &form).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    async fn v21(&self, assertion: &str) -> (StatusCode, Value) {
        let form = assertion::token_form(assertion);
        self.json_form("/line-bot/oauth2/v2.1/token", &form).await
    }

    async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .query(query)
            .send()
            .await
            .expect("answered");
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    async fn push_status(&self, token: &str) -> StatusCode {
        self.push(token, &text(XIAOMING, "hi"), None).await.status()
    }

    async fn revoke_v21(&self, token: &str) -> (StatusCode, String) {
        let form = [
            ("client_id", dev::LINE_BOT_CHANNEL_ID),
            ("client_secret", dev::LINE_BOT_CHANNEL_SECRET),
            ("access_token", token),
        ];
        self.form("/line-bot/oauth2/v2.1/revoke", &form).await
    }
}

fn bot_claims(token_exp: u64) -> Value {
    claims(dev::LINE_BOT_CHANNEL_ID, token_exp)
}

/// A v2.1 token lives `token_exp`, pushes, verifies, is listed by its key id,
/// and stops working once revoked or expired.
#[tokio::test]
async fn v21_token_lifecycle() {
    let h = &Harness::start().await;
    let kid = h.register_key().await;
    let assertion = sign(&kid, &bot_claims(3600));
    let (status, body) = h.v21(&assertion).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["token_type"].as_str(), body["expires_in"].as_u64()),
        (Some("Bearer"), Some(3600))
    );
    let token = body["access_token"].as_str().expect("token").to_owned();
    let key_id = body["key_id"].as_str().expect("key_id").to_owned();
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(h.push_status(&token).await, StatusCode::OK);
    let (status, verified) = h
        .get_json("/line-bot/oauth2/v2.1/verify", &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["client_id"], dev::LINE_BOT_CHANNEL_ID);
    assert!(
        verified["expires_in"]
            .as_u64()
            .is_some_and(|left| left <= 3600)
    );
    let kids_query = [
        ("client_assertion_type", assertion::ASSERTION_TYPE),
        ("client_assertion", &assertion),
    ];
    let (_, kids) = h
        .get_json("/line-bot/oauth2/v2.1/tokens/kid", &kids_query)
        .await;
    assert_eq!(kids, json!({ "kids": [key_id] }));
    assert_eq!(h.revoke_v21(&token).await, (StatusCode::OK, String::new()));
    assert_eq!(h.push_status(&token).await, StatusCode::UNAUTHORIZED);
    let (_, kids) = h
        .get_json("/line-bot/oauth2/v2.1/tokens/kid", &kids_query)
        .await;
    assert_eq!(kids, json!({ "kids": [] }));
    // Revoking an unknown token is no error; a malformed one is.
    assert_eq!(h.revoke_v21(&token).await.0, StatusCode::OK);
    assert!(
        h.revoke_v21("opaque")
            .await
            .1
            .contains("The access token not JWS")
    );
    let (_, body) = h.v21(&sign(&kid, &bot_claims(60))).await;
    let short = body["access_token"].as_str().expect("token").to_owned();
    h.admin(Method::POST, "/_sim/clock/advance", json!({"seconds": 60}))
        .await;
    assert_eq!(h.push_status(&short).await, StatusCode::UNAUTHORIZED);
    let (status, body) = h
        .get_json("/line-bot/oauth2/v2.1/verify", &[("access_token", &short)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_description"], "The access token expired");
}

/// 30 live v2.1 tokens per channel; the 31st is refused until one is revoked.
#[tokio::test]
async fn the_31st_v21_token_is_refused() {
    let h = &Harness::start().await;
    let kid = h.register_key().await;
    let assertion = sign(&kid, &bot_claims(3600));
    let mut first = String::new();
    for index in 0..30 {
        let (status, body) = h.v21(&assertion).await;
        assert_eq!(status, StatusCode::OK, "token {index}: {body}");
        if index == 0 {
            first = body["access_token"].as_str().expect("token").to_owned();
        }
    }
    let (status, body) = h.v21(&assertion).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"message": "The maximum number of access tokens has already been issued"})
    );
    assert_eq!(h.revoke_v21(&first).await.0, StatusCode::OK);
    assert_eq!(h.v21(&assertion).await.0, StatusCode::OK);
    // Short-lived tokens have their own cap (the oldest goes) and still issue.
    h.channel_token().await;
}

/// Assertions are refused when expired, too long-lived, under an unknown
/// `kid`, forged, of another channel or asking too long a token.
#[tokio::test]
async fn bad_assertions_are_refused() {
    let h = &Harness::start().await;
    let kid = h.register_key().await;
    let prepared = sign(&kid, &bot_claims(3600));
    let refusal = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            json!({"error": error, "error_description": description}),
        )
    };
    let mut stale = bot_claims(3600);
    stale["exp"] = json!(assertion::now() - 1);
    assert_eq!(
        h.v21(&sign(&kid, &stale)).await,
        refusal(StatusCode::BAD_REQUEST, "invalid_client", "Invalid exp")
    );
    let mut far = bot_claims(3600);
    far["exp"] = json!(assertion::now() + 1900);
    assert_eq!(
        h.v21(&sign(&kid, &far)).await.1["error_description"],
        "Invalid exp"
    );
    let unknown = sign("no-such-kid", &bot_claims(3600));
    assert_eq!(
        h.v21(&unknown).await,
        (
            StatusCode::NOT_FOUND,
            json!({"message": "Cannot find channel key that satisfies the conditions"})
        )
    );
    let forged = forge(&prepared, &bot_claims(2_592_000));
    assert_eq!(
        h.v21(&forged).await,
        refusal(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "Invalid signature"
        )
    );
    let other = claims("42", 3600);
    assert_eq!(
        h.v21(&sign(&kid, &other)).await.1["error_description"],
        "iss and clientId of key do not match"
    );
    let (status, _) = h.v21(&sign(&kid, &bot_claims(2_592_001))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Thirty-one minutes on, the assertion made at the start has expired.
    assert_eq!(h.v21(&prepared).await.0, StatusCode::OK);
    h.admin(
        Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 1860}),
    )
    .await;
    assert_eq!(h.v21(&prepared).await.1["error_description"], "Invalid exp");
    // A body that is no form is refused as such, as by the short-lived endpoint.
    for path in [
        "/line-bot/oauth2/v2.1/token",
        "/line-bot/v2/oauth/accessToken",
    ] {
        let response = h
            .http
            .post(h.url(path))
            .json(&json!({}))
            .send()
            .await
            .expect("answered");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(
            body["error_description"], "the body must be a form",
            "{path}"
        );
    }
    // The console refuses a key that already has a `kid`, and unknown channels.
    let mut with_kid = assertion::public_jwk();
    with_kid["kid"] = json!("mine");
    let path = format!(
        "/_sim/line-bot/channels/{}/assertion-keys",
        dev::LINE_BOT_CHANNEL_ID
    );
    let post = |path: String, body: Value| async move {
        h.http
            .post(h.url(&path))
            .json(&body)
            .send()
            .await
            .expect("answered")
            .status()
    };
    assert_eq!(post(path, with_kid).await, StatusCode::BAD_REQUEST);
    let unknown_channel = "/_sim/line-bot/channels/42/assertion-keys".to_owned();
    assert_eq!(
        post(unknown_channel, assertion::public_jwk()).await,
        StatusCode::NOT_FOUND
    );
}

/// Stateless tokens: 15 minutes, by secret or assertion, unlimited in number,
/// and a revoke leaves them working.
#[tokio::test]
async fn stateless_tokens_cannot_be_revoked() {
    let h = &Harness::start().await;
    let by_secret = [
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", dev::LINE_BOT_CHANNEL_ID.to_owned()),
        ("client_secret", dev::LINE_BOT_CHANNEL_SECRET.to_owned()),
    ];
    let mut tokens = Vec::new();
    for _ in 0..31 {
        let (status, body) = h.json_form("/line-bot/oauth2/v3/token", &by_secret).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["token_type"].as_str(), body["expires_in"].as_u64()),
            (Some("Bearer"), Some(900))
        );
        tokens.push(body["access_token"].as_str().expect("token").to_owned());
    }
    assert_eq!(h.push_status(&tokens[0]).await, StatusCode::OK);
    assert_eq!(
        h.revoke_v21(&tokens[0]).await,
        (StatusCode::OK, String::new())
    );
    assert_eq!(h.push_status(&tokens[0]).await, StatusCode::OK);
    let kid = h.register_key().await;
    let form = assertion::token_form(&sign(&kid, &bot_claims(60)));
    let (status, body) = h.json_form("/line-bot/oauth2/v3/token", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut wrong = by_secret.clone();
    wrong[2].1 = "wrong".to_owned();
    assert_eq!(
        h.json_form("/line-bot/oauth2/v3/token", &wrong).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "error_description": "Invalid 'client_credentials'."})
        )
    );
    h.admin(Method::POST, "/_sim/clock/advance", json!({"seconds": 900}))
        .await;
    assert_eq!(h.push_status(&tokens[30]).await, StatusCode::UNAUTHORIZED);
}
