//! Contract tests of the generic OpenID Connect provider, verified with a standard JWT library.

#[path = "../common/mod.rs"]
mod common;

use common::{Harness, attribute, hidden_fields};

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use provider_sim::dev;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/auth/oidc/callback";
const STATE: &str = "oidc state";
const NONCE: &str = "n-0S6_WzA2Mj";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy)]
enum Auth {
    Basic,
    Post,
}

impl Harness {
    fn issuer(&self) -> String {
        self.url("/oidc")
    }

    /// The authorize URL; `extra` overrides or adds parameters (empty value removes).
    fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let challenge = s256(VERIFIER);
        let defaults = [
            ("client_id", dev::OIDC_CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid profile email"),
            ("state", STATE),
            ("nonce", NONCE),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        self.url_with("/oidc/authorize", &defaults, extra)
    }

    /// Consent for `user_id`; the redirect response (with the session cookie).
    async fn consent(
        &self,
        extra: &[(&str, &str)],
        user_id: &str,
        decision: &str,
    ) -> reqwest::Response {
        let response = self
            .http
            .get(self.authorize_url(extra))
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

    async fn code(&self, extra: &[(&str, &str)], user_id: &str) -> String {
        let response = self.consent(extra, user_id, "allow").await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let query = query_of(&response);
        assert_eq!(query["state"], STATE);
        assert_eq!(query["iss"], self.issuer());
        query["code"].clone()
    }

    async fn token(&self, auth: Auth, form: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = form.to_vec();
        let mut request = self.http.post(self.url("/oidc/token"));
        match auth {
            Auth::Basic => {
                request = request.basic_auth(dev::OIDC_CLIENT_ID, Some(dev::OIDC_CLIENT_SECRET))
            }
            Auth::Post => {
                form.push(("client_id", dev::OIDC_CLIENT_ID));
                form.push(("client_secret", dev::OIDC_CLIENT_SECRET));
            }
        }
        request.form(&form).send().await.expect("token answered")
    }

    async fn exchange(&self, auth: Auth, code: &str, verifier: &str) -> (StatusCode, Value) {
        let response = self
            .token(
                auth,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", verifier),
                ],
            )
            .await;
        (response.status(), response.json().await.expect("JSON"))
    }

    async fn login(&self, user_id: &str) -> Value {
        let code = self.code(&[], user_id).await;
        let (status, tokens) = self.exchange(Auth::Basic, &code, VERIFIER).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        let response = self
            .token(
                Auth::Post,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ],
            )
            .await;
        (response.status(), response.json().await.expect("JSON"))
    }

    async fn userinfo(&self, token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/oidc/userinfo"))
            .bearer_auth(token)
            .send()
            .await
            .expect("userinfo answered")
    }

    async fn jwks(&self) -> JwkSet {
        let discovery: Value = self
            .http
            .get(self.url("/oidc/.well-known/openid-configuration"))
            .send()
            .await
            .expect("discovery")
            .json()
            .await
            .expect("JSON");
        let jwks_uri = discovery["jwks_uri"].as_str().expect("jwks_uri");
        self.http
            .get(jwks_uri)
            .send()
            .await
            .expect("jwks")
            .json()
            .await
            .expect("JWK Set")
    }

    /// Verifies an ID token against the published JWKS, as a relying party would.
    async fn verify(&self, id_token: &str) -> Value {
        let header = jsonwebtoken::decode_header(id_token).expect("JWT header");
        assert_eq!(header.alg, Algorithm::RS256);
        let kid = header.kid.expect("kid");
        let jwks = self.jwks().await;
        let jwk = jwks.find(&kid).expect("kid is published");
        let key = DecodingKey::from_jwk(jwk).expect("RSA JWK");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[dev::OIDC_CLIENT_ID]);
        validation.set_issuer(&[self.issuer()]);
        jsonwebtoken::decode::<Value>(id_token, &key, &validation)
            .expect("ID token verifies")
            .claims
    }

    async fn admin(&self, method: Method, path: &str, body: Value) -> Value {
        self.admin_json(method, path, body).await
    }

    async fn revoke(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url("/oidc/revoke"))
            .basic_auth(dev::OIDC_CLIENT_ID, Some(dev::OIDC_CLIENT_SECRET))
            .form(form)
            .send()
            .await
            .expect("revoke answered")
    }
}

fn s256(verifier: &str) -> String {
    common::s256(verifier)
}

fn query_of(response: &reqwest::Response) -> HashMap<String, String> {
    common::redirect_query(response, REDIRECT_URI)
}

mod flows;
mod lifecycle;
