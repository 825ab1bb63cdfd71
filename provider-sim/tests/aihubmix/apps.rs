//! `POST /api/oauth_apps`: app registration with a developer token, and a sign-in
//! with the app it registers.

use super::*;

const APP_REDIRECT: &str = "https://app.example.com/auth/aihubmix/callback";

impl Harness {
    /// Registers an app with `authorization` as the header (none when `None`).
    async fn register(&self, authorization: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.url("/aihubmix/api/oauth_apps"))
            .json(&body);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        let response = request.send().await.expect("registration is answered");
        let status = response.status();
        (status, response.json().await.expect("JSON envelope"))
    }

    /// Registers `name` with the dev developer token; returns the envelope's `data`.
    async fn register_ok(&self, name: &str) -> Value {
        let (status, body) = self
            .register(
                Some(&developer()),
                json!({"name": name, "description": "test app", "redirect_uri": APP_REDIRECT}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["success"], true, "{body}");
        body["data"].clone()
    }
}

fn developer() -> String {
    format!("Bearer {}", dev::AIHUBMIX_DEVELOPER_TOKEN)
}

/// A registration answers the seed's envelope with fresh credentials.
#[tokio::test]
async fn registration_answers_the_documented_envelope() {
    let h = Harness::start().await;
    let (status, body) = h
        .register(
            Some(&developer()),
            json!({"name": "我的第三方應用", "description": "應用描述資訊", "redirect_uri": APP_REDIRECT}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "應用建立成功");
    let data = &body["data"];
    assert_eq!(data["name"], "我的第三方應用");
    assert_eq!(data["redirect_uri"], APP_REDIRECT);
    assert!(data["id"].as_u64().expect("numeric id") >= 1);
    assert!(data["created_time"].as_u64().expect("unix seconds") > 0);
    let client_id = data["client_id"].as_str().expect("client_id");
    let secret = data["client_secret"].as_str().expect("client_secret");
    assert!(client_id.starts_with("client_") && secret.starts_with("secret_"));

    let other = h.register_ok("another app").await;
    assert_ne!(other["client_id"], data["client_id"]);
    assert_ne!(other["client_secret"], data["client_secret"]);
    assert_eq!(h.counters().await["aihubmix.oauth_apps"], 2);
}

/// No token, a wrong one, or the token without `Bearer` is 401 with the envelope,
/// and registers nothing.
#[tokio::test]
async fn missing_or_wrong_developer_token_is_401() {
    let h = Harness::start().await;
    let body = json!({"name": "app", "redirect_uri": APP_REDIRECT});
    for header in [
        None,
        Some("Bearer wrong-token".to_owned()),
        Some(dev::AIHUBMIX_DEVELOPER_TOKEN.to_owned()),
        Some(format!("Basic {}", dev::AIHUBMIX_DEVELOPER_TOKEN)),
    ] {
        let (status, answer) = h.register(header.as_deref(), body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(answer["success"], false);
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(answer.get("data").is_none());
    }
    // Nothing was registered: the name is still free.
    h.register_ok("app").await;
}

/// A name already taken is `success: false` with a message, on HTTP 200.
#[tokio::test]
async fn duplicate_name_is_refused() {
    let h = Harness::start().await;
    let first = h.register_ok("Keyhole staging").await;
    let (status, body) = h
        .register(
            Some(&developer()),
            json!({"name": "Keyhole staging", "redirect_uri": "http://127.0.0.1:3000/cb"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], false);
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("already exists"), "{message}");
    assert!(body.get("data").is_none());
    // The first app is untouched: it still signs in at its own redirect URI.
    sign_in_with(&h, &first).await;
}

/// Missing or invalid fields are `success: false`, naming the field.
#[tokio::test]
async fn missing_or_invalid_fields_are_refused() {
    let h = Harness::start().await;
    let cases = [
        (json!({"redirect_uri": APP_REDIRECT}), "name"),
        (json!({"name": "", "redirect_uri": APP_REDIRECT}), "name"),
        (json!({"name": "app"}), "redirect_uri"),
        (
            json!({"name": "app", "redirect_uri": "/relative"}),
            "redirect_uri",
        ),
        (json!(["not", "an", "object"]), "JSON"),
    ];
    for (body, needle) in cases {
        let (status, answer) = h.register(Some(&developer()), body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(answer["success"], false, "{body}");
        let message = answer["message"].as_str().expect("message");
        assert!(message.contains(needle), "{body}: {message}");
    }
    // The description is optional.
    let (_, answer) = h
        .register(
            Some(&developer()),
            json!({"name": "app", "redirect_uri": APP_REDIRECT}),
        )
        .await;
    assert_eq!(answer["success"], true, "{answer}");
}

/// The registered app signs a person in through authorize and token, with its
/// own credentials and only its own redirect URI.
#[tokio::test]
async fn a_registered_app_signs_in() {
    let h = Harness::start().await;
    let app = h.register_ok("Sign-in app").await;
    let tokens = sign_in_with(&h, &app).await;
    let access = tokens["access_token"].as_str().expect("token");
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::OK);

    // The dev client's redirect URI is not this app's.
    let client_id = app["client_id"].as_str().expect("client_id");
    let response = h
        .get(&h.authorize_url(&[("client_id", client_id), ("auto_authorize", "true")]))
        .await;
    assert!(!response.status().is_redirection(), "{}", response.status());
}

/// Authorize (one-click) and exchange the code with `app`'s credentials.
async fn sign_in_with(h: &Harness, app: &Value) -> Value {
    let client_id = app["client_id"].as_str().expect("client_id");
    let secret = app["client_secret"].as_str().expect("client_secret");
    let redirect_uri = app["redirect_uri"].as_str().expect("redirect_uri");
    let url = h.authorize_url(&[
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("auto_authorize", "true"),
    ]);
    let response = h.get(&url).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let target = location(&response);
    assert_eq!(target[..url::Position::AfterPath], *redirect_uri);
    let code = target
        .query_pairs()
        .find(|(key, _)| key == "code")
        .expect("code")
        .1
        .into_owned();
    let (status, tokens) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}
