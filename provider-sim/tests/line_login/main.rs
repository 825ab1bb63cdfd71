//! Contract tests of the LINE Login v2.1 dialect, over real HTTP against `spawn`.
//!
//! This file holds the harness and the resource-endpoint tests; `authorize`,
//! `tokens` and `deauthorize` (the channel's own tokens) hold the rest.

#[path = "../common/mod.rs"]
mod common;

use common::{Harness, attribute, hidden_fields};

#[path = "../line_messaging/assertion.rs"]
mod assertion;
mod authorize;
mod deauthorize;
mod tokens;

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use provider_sim::dev;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/auth/line/callback";
const STATE: &str = "0987poi";
const VERIFIER: &str = "wJKN8qz5t8SSI9lMFhBB6qwNkQBkuPZoCxzRhwLRUo1";
/// The seeded LINE user ids of 王小明 (a friend of the dev bot) and สมชาย (not a friend).
const XIAOMING: &str = "U37c8bc5bb5c665ca86d4475462737587";
const SOMCHAI: &str = "Ub6ad5bd613e5bcfd6ff2bbb8ce336f13";
const DAY: u64 = 86_400;

impl Harness {
    /// The dev channel's authorize URL; `extra` overrides (an empty value removes).
    fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let defaults = [
            ("response_type", "code"),
            ("client_id", dev::LINE_LOGIN_CHANNEL_ID),
            ("redirect_uri", REDIRECT_URI),
            ("state", STATE),
            ("scope", "profile openid"),
        ];
        self.url_with("/line/oauth2/v2.1/authorize", &defaults, extra)
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.expect("answered")
    }

    async fn page(&self, extra: &[(&str, &str)]) -> String {
        let response = self.get(&self.authorize_url(extra)).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.expect("body")
    }

    /// Submits the form in `html` with its hidden fields plus `fields`.
    async fn submit(&self, html: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = hidden_fields(html);
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let action = attribute(html, "<form", "action").expect("form action");
        let url = if action.starts_with("http") {
            action
        } else {
            self.url(&action)
        };
        self.http
            .post(url)
            .form(&form)
            .send()
            .await
            .expect("answered")
    }

    /// Consent as `user` (with `fields` such as the add-friend checkbox); the redirect query.
    async fn consent(
        &self,
        extra: &[(&str, &str)],
        user: &str,
        fields: &[(&str, &str)],
    ) -> HashMap<String, String> {
        let html = self.page(extra).await;
        let mut all = vec![("user_id", user), ("decision", "allow")];
        all.extend_from_slice(fields);
        let response = self.submit(&html, &all).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        redirect_query(&response)
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("answered");
        answer(response).await
    }

    /// `GET /oauth2/v2.1/verify?access_token=`.
    async fn verify_access(&self, token: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url("/line/oauth2/v2.1/verify"))
            .query(&[("access_token", token)])
            .send()
            .await
            .expect("answered");
        answer(response).await
    }

    /// A refresh on the web channel, with its secret.
    async fn refresh_web(&self, refresh_token: &str) -> (StatusCode, Value) {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", web().0),
            ("client_secret", web().1),
        ];
        self.post_form("/line/oauth2/v2.1/token", &form).await
    }

    async fn exchange(
        &self,
        code: &str,
        channel: (&str, &str),
        verifier: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", channel.0),
            ("client_secret", channel.1),
        ];
        form.extend(verifier.map(|v| ("code_verifier", v)));
        self.post_form("/line/oauth2/v2.1/token", &form).await
    }

    /// A full login of 王小明 on the web channel with `extra`; the token response.
    async fn tokens(&self, extra: &[(&str, &str)]) -> Value {
        let code = self.consent(extra, "12345", &[]).await["code"].clone();
        let (status, body) = self.exchange(&code, web(), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn bearer(&self, method: Method, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("answered");
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
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

    async fn advance(&self, seconds: u64) {
        self.admin(
            Method::POST,
            "/_sim/clock/advance",
            json!({ "seconds": seconds }),
        )
        .await;
    }
}

fn web() -> (&'static str, &'static str) {
    (dev::LINE_LOGIN_CHANNEL_ID, dev::LINE_LOGIN_CHANNEL_SECRET)
}

fn native() -> (&'static str, &'static str) {
    (
        dev::LINE_LOGIN_NATIVE_CHANNEL_ID,
        dev::LINE_LOGIN_NATIVE_CHANNEL_SECRET,
    )
}

/// The status and the JSON body of `response` (its text where it is no JSON).
async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn redirect_query(response: &reqwest::Response) -> HashMap<String, String> {
    let location = response
        .headers()
        .get(header::LOCATION)
        .expect("Location")
        .to_str()
        .expect("ASCII");
    let url = Url::parse(location).expect("absolute");
    assert_eq!(url[..url::Position::AfterPath], *REDIRECT_URI);
    url.query_pairs().into_owned().collect()
}

fn decode_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// Profile, friendship and userinfo shapes, and their scope requirements.
#[tokio::test]
async fn profile_friendship_and_userinfo() {
    let h = &Harness::start().await;
    let access = h.tokens(&[]).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (status, profile) = h.bearer(Method::GET, "/line/v2/profile", &access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (profile["userId"].as_str(), profile["displayName"].as_str()),
        (Some(XIAOMING), Some("王小明"))
    );
    assert!(
        profile["pictureUrl"]
            .as_str()
            .expect("picture")
            .starts_with("http://")
    );
    assert_eq!(profile["statusMessage"], "今天也要加油！");
    assert_eq!(
        h.bearer(Method::GET, "/line/friendship/v1/status", &access)
            .await
            .1,
        json!({"friendFlag": true})
    );
    for method in [Method::GET, Method::POST] {
        let (status, info) = h
            .bearer(method, "/line/oauth2/v2.1/userinfo", &access)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (info["sub"].as_str(), info["name"].as_str()),
            (Some(XIAOMING), Some("王小明"))
        );
    }
    let profile_only = h.tokens(&[("scope", "profile")]).await["access_token"]
        .as_str()
        .expect("t")
        .to_owned();
    assert_eq!(
        h.bearer(Method::GET, "/line/oauth2/v2.1/userinfo", &profile_only)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let openid_only = h.tokens(&[("scope", "openid")]).await["access_token"]
        .as_str()
        .expect("t")
        .to_owned();
    assert_eq!(
        h.bearer(Method::GET, "/line/v2/profile", &openid_only)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.bearer(Method::GET, "/line/v2/profile", "x.y.z").await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// Discovery points at the simulator and advertises only ES256, as LINE's does.
#[tokio::test]
async fn discovery_document() {
    let h = &Harness::start().await;
    let doc: Value = h
        .get(&h.url("/line/.well-known/openid-configuration"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(doc["issuer"], "https://access.line.me");
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["token_endpoint"], h.url("/line/oauth2/v2.1/token"));
    assert_eq!(doc["jwks_uri"], h.url("/line/oauth2/v2.1/certs"));
}

/// Faults hit LINE endpoints like any other; calls are counted per grant type.
#[tokio::test]
async fn faults_and_counters() {
    let h = &Harness::start().await;
    h.admin(
        Method::POST,
        "/_sim/faults",
        json!({"endpoint": "line.profile", "status": 503}),
    )
    .await;
    let tokens = h.tokens(&[]).await;
    let access = tokens["access_token"].as_str().expect("token");
    assert_eq!(
        h.bearer(Method::GET, "/line/v2/profile", access).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        h.bearer(Method::GET, "/line/v2/profile", access).await.0,
        StatusCode::OK
    );
    let counters = h.admin(Method::GET, "/_sim/counters", Value::Null).await;
    assert_eq!(counters["line.profile"], 2);
    assert_eq!(counters["line.token.authorization_code"], 1);
    assert_eq!(counters["line.token.refresh_token"], 0);
    assert_eq!(counters["line.decision"], 1);
}
