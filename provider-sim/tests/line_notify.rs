//! Contract tests of the LINE Notify dialect, over real HTTP against `spawn`.

mod common;

use common::{Harness, attribute, hidden_fields};

use std::collections::HashMap;

use provider_sim::dev;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/auth/line-notify/callback";
const STATE: &str = "12345";

impl Harness {
    fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let defaults = [
            ("response_type", "code"),
            ("client_id", dev::LINE_NOTIFY_CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "notify"),
            ("state", STATE),
        ];
        self.url_with("/line-notify/oauth/authorize", &defaults, extra)
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.expect("answered")
    }

    /// Submits the consent form in `html` with `fields`.
    async fn submit(&self, html: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.submit_form(html, fields).await
    }

    /// Consent as `user` for `target`; the code.
    async fn code(&self, user: &str, target: &str) -> String {
        let html = self
            .get(&self.authorize_url(&[]))
            .await
            .text()
            .await
            .expect("body");
        let response = self
            .submit(
                &html,
                &[("user_id", user), ("target", target), ("decision", "allow")],
            )
            .await;
        let query = redirect_query(&response);
        assert_eq!(query["state"], STATE);
        query["code"].clone()
    }

    async fn exchange(&self, code: &str, secret: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/line-notify/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", dev::LINE_NOTIFY_CLIENT_ID),
                ("client_secret", secret),
            ])
            .send()
            .await
            .expect("answered");
        (response.status(), response.json().await.expect("JSON"))
    }

    async fn token(&self, user: &str, target: &str) -> String {
        let code = self.code(user, target).await;
        let (status, body) = self.exchange(&code, dev::LINE_NOTIFY_CLIENT_SECRET).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    async fn notify(&self, token: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = self.url("/line-notify/api/notify");
        self.http
            .post(url)
            .bearer_auth(token)
            .form(form)
            .send()
            .await
            .expect("answered")
    }

    async fn admin(&self, method: Method, path: &str, body: Value) -> Value {
        self.admin_json(method, path, body).await
    }
}

fn redirect_query(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND);
    common::redirect_query(response, REDIRECT_URI)
}

fn header_u64(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number")
}

/// The consent page offers the 1:1 chat and every group; a group's token
/// reports `GROUP` and the group's name, a user's `USER` and the user's name.
#[tokio::test]
async fn consent_token_and_status() {
    let h = &Harness::start().await;
    let html = h
        .get(&h.authorize_url(&[]))
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("1:1 chat with LINE Notify"));
    let groups = h
        .admin(Method::GET, "/_sim/line-notify/groups", Value::Null)
        .await;
    let group = groups[0]["id"].as_str().expect("group id");
    assert!(html.contains("Keyhole 開發者") && html.contains(group));
    let code = h.code("12345", group).await;
    let (status, body) = h.exchange(&code, dev::LINE_NOTIFY_CLIENT_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["status"].as_u64(), body["message"].as_str()),
        (Some(200), Some("access_token is issued"))
    );
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(token.len(), 43);
    assert!(body.get("refresh_token").is_none() && body.get("expires_in").is_none());
    let response = h
        .http
        .get(h.url("/line-notify/api/status"))
        .bearer_auth(token)
        .send()
        .await
        .expect("answered");
    assert_eq!(header_u64(&response, "x-ratelimit-remaining"), 999);
    let status: Value = response.json().await.expect("JSON");
    assert_eq!(
        status,
        json!({"status": 200, "message": "ok", "targetType": "GROUP", "target": "Keyhole 開發者"})
    );
    let token = h.token("12346", "user").await;
    let status: Value = h
        .http
        .get(h.url("/line-notify/api/status"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        (status["targetType"].as_str(), status["target"].as_str()),
        (Some("USER"), Some("สมชาย ใจดี"))
    );
}

/// A notification is recorded with its optional fields; `message` also works
/// as a query parameter (a known quirk).
#[tokio::test]
async fn notify_records_messages() {
    let h = &Harness::start().await;
    let token = h.token("12345", "user").await;
    let response = h
        .notify(
            &token,
            &[
                ("message", "部署完成 ✅"),
                ("stickerPackageId", "446"),
                ("stickerId", "1988"),
                ("notificationDisabled", "true"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-imagelimit",
        "x-ratelimit-imageremaining",
        "x-ratelimit-reset",
    ] {
        assert!(response.headers().contains_key(name), "{name}");
    }
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"status": 200, "message": "ok"})
    );
    let url = format!(
        "{}?message=from%20the%20query",
        h.url("/line-notify/api/notify")
    );
    let response = h
        .http
        .post(url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let messages = h
        .admin(Method::GET, "/_sim/line-notify/messages", Value::Null)
        .await;
    assert_eq!(messages[0]["message"], "部署完成 ✅");
    assert_eq!(
        (
            messages[0]["sticker_id"].as_u64(),
            messages[0]["notification_disabled"].as_bool()
        ),
        (Some(1988), Some(true))
    );
    assert_eq!(
        (
            messages[0]["target_type"].as_str(),
            messages[0]["target"].as_str()
        ),
        (Some("USER"), Some("王小明"))
    );
    assert_eq!(messages[1]["message"], "from the query");
}

/// `message` must be 1 to 1000 characters (not bytes); errors are `{status, message}`.
#[tokio::test]
async fn message_length_limit() {
    let h = &Harness::start().await;
    let token = h.token("12345", "user").await;
    let max = "通".repeat(1000);
    assert_eq!(
        h.notify(&token, &[("message", &max)]).await.status(),
        StatusCode::OK
    );
    for bad in [format!("{max}!"), String::new()] {
        let response = h.notify(&token, &[("message", &bad)]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["status"], 400);
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .starts_with("message:")
        );
    }
    let response = h
        .notify(&token, &[("message", "x"), ("stickerId", "1")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = h
        .notify(
            &token,
            &[
                ("message", "x"),
                ("imageThumbnail", "http://x/a.jpg"),
                ("imageFullsize", "http://x/b.jpg"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// Past the hourly limit: 429 with the headers; the next clock hour resets it.
#[tokio::test]
async fn rate_limit_and_reset() {
    let h = &Harness::start().await;
    h.admin(
        Method::PUT,
        "/_sim/line-notify/options",
        json!({"rate_limit_per_hour": 3}),
    )
    .await;
    let token = h.token("12345", "user").await;
    let mut reset = 0;
    for remaining in [2, 1, 0] {
        let response = h.notify(&token, &[("message", "hi")]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_u64(&response, "x-ratelimit-limit"), 3);
        assert_eq!(header_u64(&response, "x-ratelimit-remaining"), remaining);
        assert_eq!(header_u64(&response, "x-ratelimit-imagelimit"), 50);
        reset = header_u64(&response, "x-ratelimit-reset");
    }
    let now = h.admin(Method::GET, "/_sim/clock", Value::Null).await["now"]
        .as_u64()
        .expect("now");
    assert!(reset > now && reset <= now + 3600 && reset % 3600 == 0);
    let response = h
        .http
        .get(h.url("/line-notify/api/status"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_u64(&response, "x-ratelimit-remaining"), 0);
    assert_eq!(response.json::<Value>().await.expect("JSON")["status"], 429);
    h.admin(
        Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": reset - now}),
    )
    .await;
    let response = h.notify(&token, &[("message", "hi again")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_u64(&response, "x-ratelimit-remaining"), 2);
}

/// Revoke works once; the token is 401 from then on.
#[tokio::test]
async fn revoke_sticks() {
    let h = &Harness::start().await;
    let token = h.token("12345", "user").await;
    let revoke = || {
        h.http
            .post(h.url("/line-notify/api/revoke"))
            .bearer_auth(&token)
            .send()
    };
    let response = revoke().await.expect("answered");
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"status": 200, "message": "ok"})
    );
    let response = h.notify(&token, &[("message", "hi")]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.json::<Value>().await.expect("JSON")["status"], 401);
    assert_eq!(
        revoke().await.expect("answered").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.notify("unknown", &[("message", "hi")]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The admin API's revoke reaches Notify tokens too.
    let other = h.token("12346", "user").await;
    let revoked = h
        .admin(
            Method::POST,
            "/_sim/tokens/revoke",
            json!({"access_token": other}),
        )
        .await;
    assert_eq!(revoked["revoked"], 1);
    let response = h.notify(&other, &[("message", "hi")]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// Authorize errors: a page for untrusted clients, lower-case redirects otherwise.
#[tokio::test]
async fn authorize_errors_and_deny() {
    let h = &Harness::start().await;
    for extra in [
        [("client_id", "nobody")],
        [("redirect_uri", "http://evil.example/cb")],
    ] {
        let response = h.get(&h.authorize_url(&extra)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    for (extra, error) in [
        ([("state", "")], "invalid_request"),
        ([("scope", "profile")], "invalid_scope"),
        ([("response_type", "token")], "unsupported_response_type"),
    ] {
        let query = redirect_query(&h.get(&h.authorize_url(&extra)).await);
        assert_eq!(query["error"], error);
    }
    let html = h
        .get(&h.authorize_url(&[]))
        .await
        .text()
        .await
        .expect("body");
    let query = redirect_query(
        &h.submit(&html, &[("user_id", "12345"), ("decision", "deny")])
            .await,
    );
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("access_denied", STATE)
    );
}

/// `response_mode=form_post` answers with an auto-submitting form to the callback.
#[tokio::test]
async fn form_post_callback() {
    let h = &Harness::start().await;
    let html = h
        .get(&h.authorize_url(&[("response_mode", "form_post")]))
        .await
        .text()
        .await
        .expect("body");
    let response = h
        .submit(
            &html,
            &[
                ("user_id", "12345"),
                ("target", "user"),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("body");
    assert_eq!(
        attribute(&page, "<form", "action").as_deref(),
        Some(REDIRECT_URI)
    );
    let fields: HashMap<String, String> = hidden_fields(&page).into_iter().collect();
    assert_eq!(fields["state"], STATE);
    let (status, _) = h
        .exchange(&fields["code"], dev::LINE_NOTIFY_CLIENT_SECRET)
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Token errors are `{status, message}` with `status` mirroring HTTP; a code works once.
#[tokio::test]
async fn token_errors() {
    let h = &Harness::start().await;
    let code = h.code("12345", "user").await;
    let (status, body) = h.exchange(&code, "wrong").await;
    assert_eq!(
        (status, body["status"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(401))
    );
    assert_eq!(
        h.exchange(&code, dev::LINE_NOTIFY_CLIENT_SECRET).await.0,
        StatusCode::OK
    );
    let (status, body) = h.exchange(&code, dev::LINE_NOTIFY_CLIENT_SECRET).await;
    assert_eq!(
        (status, body["status"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(400))
    );
}

/// The service-ended option answers 410 everywhere; faults and counters work as elsewhere.
#[tokio::test]
async fn service_ended_faults_and_counters() {
    let h = &Harness::start().await;
    let token = h.token("12345", "user").await;
    h.admin(
        Method::POST,
        "/_sim/faults",
        json!({"endpoint": "line-notify.notify", "status": 500}),
    )
    .await;
    assert_eq!(
        h.notify(&token, &[("message", "hi")]).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        h.notify(&token, &[("message", "hi")]).await.status(),
        StatusCode::OK
    );
    let counters = h.admin(Method::GET, "/_sim/counters", Value::Null).await;
    assert_eq!(
        (
            counters["line-notify.notify"].as_u64(),
            counters["line-notify.token"].as_u64()
        ),
        (Some(2), Some(1))
    );
    h.admin(
        Method::PUT,
        "/_sim/line-notify/options",
        json!({"service_ended": true}),
    )
    .await;
    assert_eq!(
        h.notify(&token, &[("message", "hi")]).await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        h.get(&h.authorize_url(&[])).await.status(),
        StatusCode::GONE
    );
}
