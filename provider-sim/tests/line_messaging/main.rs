//! Contract tests of the LINE Messaging API dialect, over real HTTP against `spawn`.
//!
//! This file holds the harness, short-lived channel-token and push tests;
//! `channel_tokens` the v2.1 and stateless tokens (`assertion` signs their
//! JWTs); `webhook` the webhook tests with their local bot server; `attempts`
//! the record of every push call.

#[path = "../common/mod.rs"]
mod common;

use common::Harness;

mod assertion;
mod attempts;
mod channel_tokens;
mod webhook;

use provider_sim::dev;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// 王小明 is a friend of the dev bot; สมชาย is not.
const XIAOMING: &str = "U37c8bc5bb5c665ca86d4475462737587";
const SOMCHAI: &str = "Ub6ad5bd613e5bcfd6ff2bbb8ce336f13";
const RETRY_KEY: &str = "123e4567-e89b-12d3-a456-426614174000";

impl Harness {
    async fn form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let response = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("answered");
        (response.status(), response.text().await.expect("body"))
    }

    async fn channel_token(&self) -> String {
        let (status, body) = self
            .form(
                "/line-bot/v2/oauth/accessToken",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", dev::LINE_BOT_CHANNEL_ID),
                    ("client_secret", dev::LINE_BOT_CHANNEL_SECRET),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let body: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(
            (body["expires_in"].as_u64(), body["token_type"].as_str()),
            (Some(2_592_000), Some("Bearer"))
        );
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// POSTs JSON `body` to a bot endpoint; `retry_key` adds `X-Line-Retry-Key`.
    async fn send(
        &self,
        path: &str,
        token: &str,
        body: &Value,
        retry_key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.post(self.url(path)).bearer_auth(token).json(body);
        if let Some(key) = retry_key {
            request = request.header("X-Line-Retry-Key", key);
        }
        request.send().await.expect("answered")
    }

    /// `POST /v2/bot/message/push` with `send`.
    async fn push(&self, token: &str, body: &Value, retry_key: Option<&str>) -> reqwest::Response {
        self.send("/line-bot/v2/bot/message/push", token, body, retry_key)
            .await
    }

    async fn admin(&self, method: Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, self.url(path))
            .json(&body)
            .send()
            .await
            .expect("answered");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }
}

fn text(to: &str, text: &str) -> Value {
    json!({ "to": to, "messages": [{ "type": "text", "text": text }] })
}

/// Short-lived channel tokens: issue, verify, revoke, and the documented errors.
#[tokio::test]
async fn channel_token_lifecycle() {
    let h = &Harness::start().await;
    let token = h.channel_token().await;
    assert_eq!(token.len(), 172);
    let (status, body) = h
        .form("/line-bot/v2/oauth/verify", &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["client_id"], dev::LINE_BOT_CHANNEL_ID);
    assert!(body["expires_in"].as_u64().expect("expires_in") <= 2_592_000);
    let (status, body) = h
        .form("/line-bot/v2/oauth/revoke", &[("access_token", &token)])
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    let (status, body) = h
        .form("/line-bot/v2/oauth/verify", &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        json!({"error": "invalid_request", "error_description": "access_token invalid"})
    );
    let (_, body) = h
        .form(
            "/line-bot/v2/oauth/verify",
            &[("access_token", "not a token!")],
        )
        .await;
    assert!(body.contains("access_token in invalid format"));
    let issue = |id: &'static str, secret: &'static str| async move {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ];
        h.form("/line-bot/v2/oauth/accessToken", &form).await
    };
    let (status, body) = issue(dev::LINE_BOT_CHANNEL_ID, "wrong").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        json!({"error": "invalid_client", "error_description": "invalid client_secret"})
    );
    assert!(issue("42", "x").await.1.contains("invalid client_id"));
    let push = h.push(&token, &text(XIAOMING, "hi"), None).await;
    assert_eq!(push.status(), StatusCode::UNAUTHORIZED);
    assert!(
        push.json::<Value>().await.expect("JSON")["message"]
            .as_str()
            .expect("message")
            .starts_with("Authentication failed")
    );
}

/// Past the per-channel cap the oldest token is revoked without notice.
#[tokio::test]
async fn token_cap_evicts_the_oldest() {
    let h = &Harness::start().await;
    h.admin(
        Method::PUT,
        "/_sim/line-bot/options",
        json!({"max_tokens_per_channel": 2}),
    )
    .await;
    let first = h.channel_token().await;
    let second = h.channel_token().await;
    let third = h.channel_token().await;
    let verify = |token: String| async move {
        h.form("/line-bot/v2/oauth/verify", &[("access_token", &token)])
            .await
            .0
    };
    assert_eq!(verify(first).await, StatusCode::BAD_REQUEST);
    assert_eq!(verify(second).await, StatusCode::OK);
    assert_eq!(verify(third).await, StatusCode::OK);
}

/// Push answers `sentMessages` and `x-line-request-id`; a non-friend gets 200
/// but nothing is delivered.
#[tokio::test]
async fn push_delivers_only_to_friends() {
    let h = &Harness::start().await;
    let token = h.channel_token().await;
    for (to, delivered) in [(XIAOMING, true), (SOMCHAI, false)] {
        let response = h.push(&token, &text(to, "你好"), None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-line-request-id"].len(), 36);
        let body: Value = response.json().await.expect("JSON");
        assert!(body["sentMessages"][0]["id"].is_string());
        assert!(body["sentMessages"][0]["quoteToken"].is_string());
        let messages = h
            .admin(Method::GET, "/_sim/line-bot/messages", Value::Null)
            .await;
        let last = messages
            .as_array()
            .and_then(|all| all.last())
            .expect("recorded");
        assert_eq!(
            (
                last["to"].as_str(),
                last["text"].as_str(),
                last["delivered"].as_bool()
            ),
            (Some(to), Some("你好"), Some(delivered))
        );
    }
    h.admin(
        Method::PUT,
        "/_sim/line-bot/options",
        json!({"push_response": "empty"}),
    )
    .await;
    let response = h.push(&token, &text(XIAOMING, "x"), None).await;
    assert_eq!(response.json::<Value>().await.expect("JSON"), json!({}));
}

/// A replayed retry key is 409 with the original request id and sentMessages,
/// for 24 hours; after that it is a new request.
#[tokio::test]
async fn retry_key_replay_is_409() {
    let h = &Harness::start().await;
    let token = h.channel_token().await;
    let body = text(XIAOMING, "once");
    let first = h.push(&token, &body, Some(RETRY_KEY)).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first_id = first.headers()["x-line-request-id"]
        .to_str()
        .expect("id")
        .to_owned();
    let first_body: Value = first.json().await.expect("JSON");
    let replay = h.push(&token, &body, Some(RETRY_KEY)).await;
    assert_eq!(replay.status(), StatusCode::CONFLICT);
    assert_eq!(
        replay.headers()["x-line-accepted-request-id"],
        first_id.as_str()
    );
    assert_ne!(replay.headers()["x-line-request-id"], first_id.as_str());
    let replay_body: Value = replay.json().await.expect("JSON");
    assert_eq!(replay_body["message"], "The retry key is already accepted");
    assert_eq!(replay_body["sentMessages"], first_body["sentMessages"]);
    let messages = h
        .admin(Method::GET, "/_sim/line-bot/messages", Value::Null)
        .await;
    assert_eq!(messages.as_array().map(Vec::len), Some(1));
    assert_eq!(messages[0]["retry_key"], RETRY_KEY);
    h.admin(
        Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 86_400}),
    )
    .await;
    assert_eq!(
        h.push(&token, &body, Some(RETRY_KEY)).await.status(),
        StatusCode::OK
    );
    let bad = h.push(&token, &body, Some("not-a-uuid")).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

/// Validation errors use `{message, details}`; other failures `{message}` only.
#[tokio::test]
async fn push_validation_errors() {
    let h = &Harness::start().await;
    let token = &h.channel_token().await;
    let push = |body: Value| async move {
        let response = h.push(token, &body, None).await;
        (
            response.status(),
            response.json::<Value>().await.expect("JSON"),
        )
    };
    assert_eq!(
        push(text(XIAOMING, &"字".repeat(5000))).await.0,
        StatusCode::OK
    );
    let (status, body) = push(text(XIAOMING, &"字".repeat(5001))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"message": "The request body has 1 error(s)", "details": [{"message": "Length must be between 0 and 5000", "property": "messages[0].text"}]})
    );
    let six: Vec<Value> = (0..6)
        .map(|i| json!({"type": "text", "text": i.to_string()}))
        .collect();
    let (_, body) = push(json!({"to": XIAOMING, "messages": six})).await;
    assert_eq!(
        body["details"][0]["message"],
        "Size must be between 1 and 5"
    );
    let (_, body) = push(json!({"messages": [{"type": "text", "text": ""}]})).await;
    assert_eq!(body["message"], "The request body has 2 error(s)");
    let (_, body) = push(text("someone", "hi")).await;
    assert_eq!(
        body,
        json!({"message": "The property, 'to', in the request body is invalid (line: -, column: -)"})
    );
    let response = h
        .http
        .post(h.url("/line-bot/v2/bot/message/push"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{\"to\":")
        .send()
        .await
        .expect("answered");
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .starts_with("The request body could not be parsed as JSON (line: 1")
    );
    h.admin(
        Method::PUT,
        "/_sim/line-bot/options",
        json!({"monthly_limit_reached": true}),
    )
    .await;
    assert_eq!(
        push(text(XIAOMING, "hi")).await,
        (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"message": "You have reached your monthly limit."})
        )
    );
}

/// Faults hit bot endpoints like any other; calls are counted.
#[tokio::test]
async fn faults_and_counters() {
    let h = &Harness::start().await;
    let token = h.channel_token().await;
    h.admin(
        Method::POST,
        "/_sim/faults",
        json!({"endpoint": "line-bot.push", "status": 500}),
    )
    .await;
    let body = text(XIAOMING, "hi");
    assert_eq!(
        h.push(&token, &body, Some(RETRY_KEY)).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // The failed attempt did not accept the key: the retry goes through.
    assert_eq!(
        h.push(&token, &body, Some(RETRY_KEY)).await.status(),
        StatusCode::OK
    );
    let counters = h.admin(Method::GET, "/_sim/counters", Value::Null).await;
    assert_eq!(
        (
            counters["line-bot.push"].as_u64(),
            counters["line-bot.token"].as_u64()
        ),
        (Some(2), Some(1))
    );
}
