//! Contract tests of the AIHubMix dialect, over real HTTP against `spawn`.
//!
//! This file holds the harness; `authorize`, `tokens`, `api`, `apps` and `simulator` hold
//! the tests.

#[path = "../common/mod.rs"]
mod common;

use common::{Harness, hidden_fields};

mod api;
mod apps;
mod authorize;
mod simulator;
mod tokens;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use provider_sim::dev;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/auth/aihubmix/callback";
const STATE: &str = "state-123 with spaces & symbols";
const VERIFIER: &str = "a-pkce-verifier-that-is-long-enough-0123456789abcdef";

impl Harness {
    /// The authorize URL with the dev client's defaults, overridden or extended by `extra`
    /// (an empty value removes the parameter).
    fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let defaults = [
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "profile balance"),
            ("state", STATE),
        ];
        self.url_with("/aihubmix/api/oauth2/authorize", &defaults, extra)
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.http
            .get(url)
            .send()
            .await
            .expect("request is answered")
    }

    /// Submits the consent form in `html` the way a browser would.
    async fn decide(&self, html: &str, user_id: &str, decision: &str) -> reqwest::Response {
        let fields = [("user_id", user_id), ("decision", decision)];
        self.submit_form(html, &fields).await
    }

    /// Runs authorize with `auto_authorize=true` and returns the code.
    async fn code(&self, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("auto_authorize", "true")];
        params.extend_from_slice(extra);
        let response = self.get(&self.authorize_url(&params)).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let query = redirect_query(&response);
        assert_eq!(query.get("state").map(String::as_str), Some(STATE));
        query.get("code").expect("code in redirect").clone()
    }

    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/aihubmix/api/oauth2/token"))
            .form(form)
            .send()
            .await
            .expect("token endpoint answers");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    async fn exchange(&self, code: &str, verifier: Option<&str>) -> (StatusCode, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier));
        }
        self.token(&form).await
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await
    }

    /// A full login with `scope`; returns the token response.
    async fn tokens(&self, scope: &str) -> Value {
        let code = self.code(&[("scope", scope)]).await;
        let (status, body) = self.exchange(&code, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn bearer_get(&self, path: &str, access_token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("request is answered")
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
        self.admin_call(method, path, body).await
    }

    async fn counters(&self) -> Value {
        self.get(&self.url("/_sim/counters"))
            .await
            .json()
            .await
            .expect("JSON counters")
    }
}

fn location(response: &reqwest::Response) -> Url {
    let value = response
        .headers()
        .get(header::LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ASCII Location");
    Url::parse(value).expect("absolute Location")
}

fn redirect_query(response: &reqwest::Response) -> HashMap<String, String> {
    common::redirect_query(response, REDIRECT_URI)
}

fn challenge(verifier: &str) -> String {
    common::s256(verifier)
}
