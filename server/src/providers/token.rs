//! A token-endpoint client for the dialects oauth2-rs cannot speak: JSON
//! request bodies (Elice, some OAuth2 providers), and responses that add or
//! drop standard fields. Written by hand because the variations are exactly
//! what these providers are about; the standard cases still use oauth2-rs.

use super::{Grant, ProviderError, http::transport};
use base64::{Engine, engine::general_purpose::STANDARD};
use oauth2::{AccessToken, ClientSecret, RefreshToken};
use serde::Deserialize;
use std::collections::BTreeMap;
use url::Url;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ClientAuth {
    /// `client_id` + `client_secret` as form fields (RFC 6749 §2.3.1 body).
    Body,
    /// HTTP Basic with form fields for the rest.
    Basic,
    /// One JSON object holding everything (Elice).
    Json,
}

/// A token endpoint and how to call it.
#[derive(Clone)]
pub(crate) struct TokenEndpoint {
    pub(crate) url: Url,
    pub(crate) client_id: String,
    pub(crate) client_secret: ClientSecret,
    pub(crate) auth: ClientAuth,
    pub(crate) http: reqwest::Client,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url.as_str())
            .field("client_id", &self.client_id)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// A token response, lenient about what providers leave out.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) expires_in: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
    #[serde(default)]
    pub(crate) id_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl TokenEndpoint {
    /// POSTs `params` with the client's credentials; parses the answer.
    pub(crate) async fn request(
        &self,
        params: &[(&str, &str)],
    ) -> Result<TokenResponse, ProviderError> {
        let body = self.post(params).await?;
        serde_json::from_slice(&body)
            .map_err(|e| ProviderError::Malformed(format!("token response: {}", e.classify_name())))
    }

    /// POSTs `params` with the client's credentials, expecting only success
    /// (revocation endpoints answer with an empty body).
    pub(crate) async fn send_only(&self, params: &[(&str, &str)]) -> Result<(), ProviderError> {
        self.post(params).await.map(drop)
    }

    async fn post(&self, params: &[(&str, &str)]) -> Result<Vec<u8>, ProviderError> {
        let secret = self.client_secret.secret();
        let builder = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        let builder = match self.auth {
            ClientAuth::Body => {
                let mut form: Vec<(&str, &str)> = params.to_vec();
                form.push(("client_id", &self.client_id));
                form.push(("client_secret", secret));
                builder.form(&form)
            }
            ClientAuth::Basic => {
                // RFC 6749 §2.3.1: form-encode each part before joining.
                let enc = |s: &str| -> String {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
                };
                let basic = STANDARD.encode(format!("{}:{}", enc(&self.client_id), enc(secret)));
                builder
                    .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"))
                    .form(params)
            }
            ClientAuth::Json => {
                let mut body: BTreeMap<&str, &str> = params.iter().copied().collect();
                body.insert("client_id", &self.client_id);
                body.insert("client_secret", secret);
                builder.json(&body)
            }
        };
        let response = builder.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport(&e))?.to_vec();
        if status.is_success() {
            return Ok(body);
        }
        if status.is_server_error() {
            return Err(ProviderError::Unavailable(format!(
                "token endpoint: HTTP {status}"
            )));
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) => Err(ProviderError::Rejected {
                error: e.error,
                description: e.error_description,
            }),
            Err(_) => Err(ProviderError::Malformed(format!(
                "token endpoint: HTTP {status} without an OAuth error"
            ))),
        }
    }
}

/// Names a serde_json error's class without echoing the body (it may hold
/// tokens).
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "io error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "unexpected fields",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

impl TokenResponse {
    /// The grant, with `expires_in` (a number or a numeric string) turned
    /// into a time, or `default_ttl` when the provider sends none.
    pub(crate) fn into_grant(
        self,
        default_scopes: &[String],
        default_ttl: Option<time::Duration>,
    ) -> Grant {
        let now = crate::clock::now();
        let ttl = match &self.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .map(time::Duration::seconds)
        .or(default_ttl);
        Grant {
            access_token: AccessToken::new(self.access_token),
            refresh_token: self
                .refresh_token
                .filter(|r| !r.is_empty())
                .map(RefreshToken::new),
            expires_at: ttl.map(|d| now + d),
            scopes: self
                .scope
                .map(|s| {
                    s.split([' ', ','])
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_else(|| default_scopes.to_vec()),
            claims: BTreeMap::new(),
        }
    }
}
