//! Contract tests of the Elice dialect (docs/providers.md), over real HTTP against `spawn`.

mod common;

use common::{Harness, hidden_fields};

use std::collections::HashMap;

use provider_sim::dev;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/auth/elice/callback";
const STATE: &str = "om22bsq0jz & more";

impl Harness {
    /// The authorize URL; `extra` overrides or adds parameters (empty value removes).
    fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let defaults = [
            ("client_id", dev::ELICE_CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("state", STATE),
        ];
        self.url_with("/elice/oauth/authorize", &defaults, extra)
    }

    async fn page(&self, extra: &[(&str, &str)]) -> String {
        let response = self
            .http
            .get(self.authorize_url(extra))
            .send()
            .await
            .expect("page");
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.expect("body")
    }

    /// Submits the consent form in `html` as a browser would.
    async fn decide(&self, html: &str, user_id: &str, decision: &str) -> reqwest::Response {
        let fields = [("user_id", user_id), ("decision", decision)];
        self.submit_form(html, &fields).await
    }

    /// A code for `user_id` through the consent page.
    async fn code(&self, user_id: &str) -> String {
        let html = self.page(&[]).await;
        let response = self.decide(&html, user_id, "allow").await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let query = query_of(&response);
        assert_eq!(query["state"], STATE);
        query["code"].clone()
    }

    async fn token(&self, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/elice/oauth/token"))
            .json(&body)
            .send()
            .await
            .expect("token answered");
        (response.status(), response.json().await.expect("JSON"))
    }

    async fn exchange(&self, code: &str) -> (StatusCode, Value) {
        self.token(json!({
            "client_id": dev::ELICE_CLIENT_ID,
            "client_secret": dev::ELICE_CLIENT_SECRET,
            "code": code,
        }))
        .await
    }

    async fn access_token(&self, user_id: &str) -> String {
        let code = self.code(user_id).await;
        let (status, body) = self.exchange(&code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    async fn account(&self, token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/elice/oauth/account"))
            .bearer_auth(token)
            .send()
            .await
            .expect("account answered")
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.admin_json(method, path, body).await
    }
}

fn query_of(response: &reqwest::Response) -> HashMap<String, String> {
    common::redirect_query(response, REDIRECT_URI)
}

/// The consent page speaks `lang` (Korean by default) and keeps "Allow"/"Deny"
/// as the buttons' accessible names in every language.
#[tokio::test]
async fn consent_page_is_localised() {
    let h = Harness::start().await;
    let korean = h.page(&[]).await;
    assert!(korean.contains("<html lang=\"ko\">"));
    assert!(korean.contains("Elice에 로그인"));
    assert!(korean.contains("aria-label=\"Allow\">허용</button>"));
    assert!(korean.contains("aria-label=\"Deny\">거부</button>"));
    for name in ["王小明", "สมชาย ใจดี", "김민준", "Alice Example"] {
        assert!(korean.contains(name));
    }
    let english = h.page(&[("lang", "en")]).await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains(">Allow</button>"));
    assert!(!english.contains("aria-label"));
    let japanese = h.page(&[("lang", "ja")]).await;
    assert!(japanese.contains("aria-label=\"Allow\">許可</button>"));
    let thai = h.page(&[("lang", "th")]).await;
    assert!(thai.contains("aria-label=\"Allow\">อนุญาต</button>"));
    // The language survives the form round trip.
    let hidden: HashMap<String, String> = hidden_fields(&thai).into_iter().collect();
    assert_eq!(hidden["lang"], "th");
    assert_eq!(hidden["scope"], "read");
    assert_eq!(hidden["state"], STATE);
}

/// Code → JSON token request without grant_type → `{"access_token"}` only → account.
#[tokio::test]
async fn happy_path() {
    let h = Harness::start().await;
    let code = h.code("12347").await;
    let (status, body) = h.exchange(&code).await;
    assert_eq!(status, StatusCode::OK);
    let fields: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(fields, ["access_token"]);
    let response = h
        .account(body["access_token"].as_str().expect("token"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let account: Value = response.json().await.expect("JSON");
    assert_eq!(account["id"], 12347);
    assert_eq!(account["fullname"], "김민준");
    assert_eq!(account["email"], "kim.minjun@example.com");
    assert_eq!(account["phone"], "010-1234-5678");
    assert_eq!(account["locale"], "ko");
    let profile = account["profile_url"].as_str().expect("url");
    assert_eq!(profile, h.url("/avatars/12347.svg"));
    let avatar = h.http.get(profile).send().await.expect("avatar");
    assert_eq!(avatar.status(), StatusCode::OK);
}

/// `id` follows the `id_format` option (the docs disagree with themselves).
#[tokio::test]
async fn id_can_be_a_string() {
    let h = Harness::start().await;
    let token = h.access_token("12345").await;
    let options = h
        .admin(
            reqwest::Method::PUT,
            "/_sim/elice/options",
            json!({"id_format": "string"}),
        )
        .await;
    assert_eq!(options["id_format"], "string");
    let account: Value = h.account(&token).await.json().await.expect("JSON");
    assert_eq!(account["id"], "12345");
}

/// Token errors: not JSON, bad client, bad or reused code.
#[tokio::test]
async fn token_errors() {
    let h = Harness::start().await;
    let code = h.code("12345").await;
    let form = h
        .http
        .post(h.url("/elice/oauth/token"))
        .form(&[
            ("client_id", dev::ELICE_CLIENT_ID),
            ("client_secret", dev::ELICE_CLIENT_SECRET),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        form.json::<Value>().await.expect("JSON"),
        json!({"error": "invalid_request"})
    );

    let (status, body) = h
        .token(json!({"client_id": dev::ELICE_CLIENT_ID, "client_secret": "wrong", "code": code}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}))
    );

    let (status, body) = h
        .token(json!({"client_id": dev::ELICE_CLIENT_ID, "code": code}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_request"}))
    );

    // Extra fields (as an RFC client would send) are ignored; the code still works once.
    let (status, _) = h
        .token(json!({
            "grant_type": "authorization_code",
            "client_id": dev::ELICE_CLIENT_ID,
            "client_secret": dev::ELICE_CLIENT_SECRET,
            "code": code,
        }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = h.exchange(&code).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}))
    );
    let (status, body) = h.exchange("no-such-code").await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}))
    );
}

/// Access tokens live one hour on the simulated clock; codes ten minutes.
#[tokio::test]
async fn token_expires_after_one_hour() {
    let h = Harness::start().await;
    let token = h.access_token("12345").await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 3599}),
    )
    .await;
    assert_eq!(h.account(&token).await.status(), StatusCode::OK);
    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 1}),
    )
    .await;
    let expired = h.account(&token).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(expired.headers().contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(
        h.account("unknown").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let code = h.code("12345").await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 600}),
    )
    .await;
    assert_eq!(h.exchange(&code).await.0, StatusCode::BAD_REQUEST);
}

/// `report_expires_in` adds the configured lifetime as `expires_in` (a test
/// seam; Elice sends only `access_token`), and the token lives that long.
#[tokio::test]
async fn a_short_lifetime_can_be_reported() {
    let h = Harness::start().await;
    let options = h
        .admin(
            reqwest::Method::PUT,
            "/_sim/elice/options",
            json!({"access_token_ttl_secs": 5, "report_expires_in": true}),
        )
        .await;
    assert_eq!(options["report_expires_in"], true);
    let code = h.code("12347").await;
    let (status, body) = h.exchange(&code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expires_in"], 5);
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(h.account(token).await.status(), StatusCode::OK);
    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 5}),
    )
    .await;
    assert_eq!(h.account(token).await.status(), StatusCode::UNAUTHORIZED);
}

/// Scopes are comma-separated with `read` as the default; a space-separated
/// list is one unknown scope. Errors redirect as `error=…&state=…`.
#[tokio::test]
async fn comma_separated_scopes() {
    let h = Harness::start().await;
    for scope in ["read", "read,read", ""] {
        let response = h
            .http
            .get(h.authorize_url(&[("scope", scope)]))
            .send()
            .await
            .expect("ok");
        assert_eq!(response.status(), StatusCode::OK, "{scope:?}");
    }
    for scope in ["read profile", "read,write"] {
        let response = h
            .http
            .get(h.authorize_url(&[("scope", scope)]))
            .send()
            .await
            .expect("ok");
        assert_eq!(response.status(), StatusCode::FOUND, "{scope:?}");
        let query = query_of(&response);
        assert_eq!(query["error"], "invalid_scope");
        assert_eq!(query["state"], STATE);
    }
    h.admin(
        reqwest::Method::PUT,
        "/_sim/elice/options",
        json!({"reject_unknown_scopes": false}),
    )
    .await;
    let response = h
        .http
        .get(h.authorize_url(&[("scope", "read,write")]))
        .send()
        .await
        .expect("ok");
    assert_eq!(response.status(), StatusCode::OK);

    // No state: refused too (Elice marks it required).
    let response = h
        .http
        .get(h.authorize_url(&[("state", "")]))
        .send()
        .await
        .expect("ok");
    assert_eq!(query_of(&response)["error"], "invalid_request");
}

/// Deny: the error redirect's format is an option, default `error` and `state` only.
#[tokio::test]
async fn deny_formats() {
    let h = Harness::start().await;
    let html = h.page(&[]).await;
    let response = h.decide(&html, "12345", "deny").await;
    let location = response.headers()[header::LOCATION]
        .to_str()
        .expect("ASCII");
    assert_eq!(
        location,
        format!("{REDIRECT_URI}?error=access_denied&state=om22bsq0jz+%26+more")
    );

    h.admin(
        reqwest::Method::PUT,
        "/_sim/elice/options",
        json!({"error_redirect": "error_description"}),
    )
    .await;
    let query = query_of(&h.decide(&html, "12345", "deny").await);
    assert_eq!(query["error"], "access_denied");
    assert!(query.contains_key("error_description"));

    h.admin(
        reqwest::Method::PUT,
        "/_sim/elice/options",
        json!({"error_redirect": "page"}),
    )
    .await;
    let response = h.decide(&html, "12345", "deny").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::LOCATION).is_none());
}

/// Unknown clients and unregistered redirect URIs get a page, never a redirect.
#[tokio::test]
async fn untrusted_requests_get_a_page() {
    let h = Harness::start().await;
    for extra in [
        ("client_id", "nobody"),
        ("redirect_uri", "https://evil.example/cb"),
        ("redirect_uri", ""),
    ] {
        let response = h
            .http
            .get(h.authorize_url(&[extra]))
            .send()
            .await
            .expect("ok");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        assert!(response.headers().get(header::LOCATION).is_none());
    }
}

/// Auto-approval, admin revocation, faults and counters.
#[tokio::test]
async fn auto_approve_revoke_faults_and_counters() {
    let h = Harness::start().await;
    h.admin(
        reqwest::Method::PUT,
        "/_sim/elice/options",
        json!({"auto_approve_user_id": 12346}),
    )
    .await;
    let response = h.http.get(h.authorize_url(&[])).send().await.expect("ok");
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, body) = h.exchange(&query_of(&response)["code"]).await;
    let token = body["access_token"].as_str().expect("token").to_owned();
    let account: Value = h.account(&token).await.json().await.expect("JSON");
    assert_eq!(account["id"], 12346);
    assert_eq!(account["locale"], "th");

    let revoked = h
        .admin(
            reqwest::Method::POST,
            "/_sim/tokens/revoke",
            json!({"access_token": token}),
        )
        .await;
    assert_eq!(revoked["revoked"], 1);
    assert_eq!(h.account(&token).await.status(), StatusCode::UNAUTHORIZED);

    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "elice.token", "status": 503}),
    )
    .await;
    let (status, _) = h.exchange("anything").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let counters: Value = h
        .http
        .get(h.url("/_sim/counters"))
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("JSON");
    assert_eq!(counters["elice.authorize"], 1);
    assert_eq!(counters["elice.token"], 2);
    assert_eq!(counters["elice.account"], 2);
    assert_eq!(counters["elice.decision"], 0);
}
