//! The token endpoint's wire format: client authentication styles, the
//! lenient token response, and OAuth error bodies.

use crate::{
    grant::Grant,
    upstream::{ProviderError, Reply},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use oauth2::{AccessToken, ClientSecret, RefreshToken};
use reqwest::RequestBuilder;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The longest token lifetime believed: a larger `expires_in` (or a
/// negative one) is clamped, so no value can overflow time arithmetic.
const MAX_TTL_SECS: i64 = 10 * 366 * 24 * 3600;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` + `client_secret` as form fields (RFC 6749 §2.3.1 body).
    Body,
    /// HTTP Basic with form fields for the rest.
    Basic,
    /// One JSON object holding everything (Elice).
    Json,
}

/// A token response, lenient about what providers leave out.
#[derive(Deserialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Seconds until expiry, as a number or a numeric string.
    #[serde(default)]
    pub expires_in: Option<Value>,
    /// The refresh token, when issued.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Granted scopes (space- or comma-separated).
    #[serde(default)]
    pub scope: Option<String>,
    /// The OpenID Connect ID token.
    #[serde(default)]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every token in it is a secret.
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenResponse {
    /// `expires_in` as a duration, clamped to `0..=10 years`.
    pub fn expires_in(&self) -> Option<time::Duration> {
        let seconds = match self.expires_in.as_ref()? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_u64().map(|_| i64::MAX))
                .or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .ok()
                .or_else(|| s.trim().parse::<f64>().ok().map(|f| f as i64)),
            _ => None,
        }?;
        Some(time::Duration::seconds(seconds.clamp(0, MAX_TTL_SECS)))
    }

    /// The grant, with `default_scopes` and `default_ttl` where the provider
    /// sent none.
    pub fn into_grant(
        self,
        default_scopes: &[String],
        default_ttl: Option<time::Duration>,
    ) -> Grant {
        let ttl = self.expires_in().or(default_ttl);
        Grant {
            access_token: AccessToken::new(self.access_token),
            refresh_token: self
                .refresh_token
                .filter(|r| !r.is_empty())
                .map(RefreshToken::new),
            expires_at: ttl.map(|d| crate::clock::now() + d),
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

/// Adds the client's credentials and `params` to `builder`.
pub(super) fn authenticate(
    builder: RequestBuilder,
    auth: ClientAuth,
    client_id: &str,
    secret: &ClientSecret,
    params: &[(&str, &str)],
) -> RequestBuilder {
    let secret = secret.secret();
    match auth {
        ClientAuth::Body => {
            let mut form: Vec<(&str, &str)> = params.to_vec();
            form.push(("client_id", client_id));
            form.push(("client_secret", secret));
            builder.form(&form)
        }
        ClientAuth::Basic => {
            // RFC 6749 §2.3.1: form-encode each part before joining.
            let enc = |s: &str| -> String {
                url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
            };
            let basic = STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret)));
            builder
                .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"))
                .form(params)
        }
        ClientAuth::Json => {
            let mut body: BTreeMap<&str, &str> = params.iter().copied().collect();
            body.insert("client_id", client_id);
            body.insert("client_secret", secret);
            builder.json(&body)
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// A 2xx reply as it is; a 5xx is unavailable; a 4xx with an OAuth error
/// body is that error (`invalid_grant` …), without one it is malformed.
pub(super) fn check(reply: Reply) -> Result<Reply, ProviderError> {
    let status = reply.status;
    if status.is_success() {
        return Ok(reply);
    }
    if status.is_server_error() {
        return Err(ProviderError::Unavailable(format!(
            "token endpoint: HTTP {status}"
        )));
    }
    match serde_json::from_slice::<ErrorBody>(&reply.body) {
        Ok(e) => Err(ProviderError::Rejected {
            error: e.error,
            description: e.error_description,
        }),
        Err(_) => Err(ProviderError::Malformed(format!(
            "token endpoint: HTTP {status} without an OAuth error"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(expires_in: Value) -> TokenResponse {
        serde_json::from_value(serde_json::json!({
            "access_token": "a", "expires_in": expires_in
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn expires_in_is_a_number_or_a_string_and_never_overflows() {
        let secs = |v: Value| response(v).expires_in().map(|d| d.whole_seconds());
        assert_eq!(secs(serde_json::json!(3600)), Some(3600));
        assert_eq!(secs(serde_json::json!("7200")), Some(7200));
        assert_eq!(secs(serde_json::json!(59.9)), Some(59));
        assert_eq!(secs(serde_json::json!(-5)), Some(0));
        assert_eq!(secs(serde_json::json!(u64::MAX)), Some(MAX_TTL_SECS));
        assert_eq!(secs(serde_json::json!("1e300")), Some(MAX_TTL_SECS));
        assert_eq!(secs(serde_json::json!("soon")), None);
        assert_eq!(secs(Value::Null), None);
        // A clamped lifetime still makes a time.
        let grant = response(serde_json::json!(i64::MAX)).into_grant(&[], None);
        assert!(grant.expires_at.is_some());
    }

    #[test]
    fn scopes_are_split_on_spaces_and_commas() {
        let mut r = response(Value::Null);
        r.scope = Some("read,write profile".to_owned());
        assert_eq!(r.into_grant(&[], None).scopes, ["read", "write", "profile"]);
        let defaults = ["x".to_owned()];
        assert_eq!(
            response(Value::Null).into_grant(&defaults, None).scopes,
            ["x"]
        );
    }

    proptest::proptest! {
        /// Any JSON a token endpoint sends either parses into a grant with a
        /// sane lifetime or is refused; nothing panics or overflows.
        #[test]
        fn token_responses_never_panic(
            expires in proptest::prelude::any::<String>(),
            number in proptest::prelude::any::<f64>(),
            scope in proptest::prelude::any::<String>(),
        ) {
            for expires_in in [Value::from(expires.clone()), serde_json::json!(number)] {
                let body = serde_json::json!({
                    "access_token": "a", "expires_in": expires_in, "scope": scope,
                });
                if let Ok(response) = serde_json::from_value::<TokenResponse>(body) {
                    let ttl = response.expires_in();
                    proptest::prop_assert!(ttl.is_none_or(|d| (0..=MAX_TTL_SECS).contains(&d.whole_seconds())));
                    let _ = response.into_grant(&[], None);
                }
            }
        }
    }
}
