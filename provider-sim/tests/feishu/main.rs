//! Contract tests of the Feishu dialect (docs/providers.md), over real HTTP against `spawn`.

#[path = "../common/mod.rs"]
mod common;

use common::{Harness, attribute, hidden_fields};

use std::collections::HashMap;

use provider_sim::dev;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/auth/feishu/callback";
const STATE: &str = "feishu-state";
const VERIFIER: &str = "a-pkce-verifier-that-is-long-enough-0123456789abcdef";

impl Harness {
    async fn post_json(
        &self,
        path: &str,
        bearer: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = self.http.post(self.url(path)).json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("answered");
        (response.status(), response.json().await.expect("JSON"))
    }

    async fn app_token(&self) -> Value {
        let (status, body) = self
            .post_json(
                "/feishu/open-apis/auth/v3/app_access_token/internal",
                None,
                json!({"app_id": dev::FEISHU_APP_ID, "app_secret": dev::FEISHU_APP_SECRET}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    async fn app_access_token(&self) -> String {
        self.app_token().await["app_access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Consent page of `path` with `params`, then `decision` for `user_id`.
    async fn consent(
        &self,
        path: &str,
        params: &[(&str, &str)],
        user_id: &str,
        decision: &str,
    ) -> reqwest::Response {
        let response = self
            .http
            .get(self.url_with(path, params, &[]))
            .send()
            .await
            .expect("page");
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.expect("body");
        let mut form = hidden_fields(&html);
        form.push(("user_id".to_owned(), user_id.to_owned()));
        form.push(("decision".to_owned(), decision.to_owned()));
        let action = attribute(&html, "<form", "action").expect("action");
        self.http
            .post(self.url(&action))
            .form(&form)
            .send()
            .await
            .expect("decision")
    }

    /// A v1 code for `user_id`.
    async fn v1_code(&self, user_id: &str) -> String {
        let params = [
            ("redirect_uri", REDIRECT_URI),
            ("app_id", dev::FEISHU_APP_ID),
            ("state", STATE),
        ];
        let response = self
            .consent(
                "/feishu/open-apis/authen/v1/index",
                &params,
                user_id,
                "allow",
            )
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let query = query_of(&response);
        assert_eq!(query["state"], STATE);
        query["code"].clone()
    }

    async fn v1_login(&self, user_id: &str) -> Value {
        let app = self.app_access_token().await;
        let code = self.v1_code(user_id).await;
        let (status, body) = self
            .post_json(
                "/feishu/open-apis/authen/v1/access_token",
                Some(&app),
                json!({"grant_type": "authorization_code", "code": code}),
            )
            .await;
        assert_eq!(
            (status, &body["code"]),
            (StatusCode::OK, &json!(0)),
            "{body}"
        );
        body["data"].clone()
    }

    async fn user_info(&self, token: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url("/feishu/open-apis/authen/v1/user_info"))
            .bearer_auth(token)
            .send()
            .await
            .expect("answered");
        (response.status(), response.json().await.expect("JSON"))
    }

    async fn refresh_v1(&self, app: &str, refresh_token: &str) -> Value {
        let (status, body) = self
            .post_json(
                "/feishu/open-apis/authen/v1/refresh_access_token",
                Some(app),
                json!({"grant_type": "refresh_token", "refresh_token": refresh_token}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "v1 errors are HTTP 200 too");
        body
    }

    async fn admin(&self, method: Method, path: &str, body: Value) -> Value {
        self.admin_json(method, path, body).await
    }

    async fn advance(&self, seconds: u64) {
        self.admin(
            Method::POST,
            "/_sim/clock/advance",
            json!({"seconds": seconds}),
        )
        .await;
    }
}

fn query_of(response: &reqwest::Response) -> HashMap<String, String> {
    common::redirect_query(response, REDIRECT_URI)
}

mod v1;
mod v2;
