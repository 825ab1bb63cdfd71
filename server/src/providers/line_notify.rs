//! LINE Notify (`../shared/providers.md` §2; the real service closed on
//! 2025-03-31, the simulator keeps it testable): a "connect" flow rather than
//! a sign-in, `form_post` callbacks, a token that lives until revoked, the
//! target from `/api/status` as the profile, and `/api/notify` with its
//! `X-RateLimit-*` headers.

use super::{
    AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError, endpoint,
    http::{self, transport},
    parse_options,
    token::{ClientAuth, TokenEndpoint},
};
use crate::config::ProviderConfig;
use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use keyhole_api::{Capability, Profile, ProviderInfo, RateLimit};
use oauth2::AccessToken;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use url::Url;

const AUTH_BASE: &str = "https://notify-bot.line.me";
const API_BASE: &str = "https://notify-api.line.me";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Host of the authorize and token endpoints.
    auth_base: Option<String>,
    /// Host of `/api/status`, `/api/notify` and `/api/revoke`.
    api_base: Option<String>,
}

/// The LINE Notify adapter.
#[derive(Debug)]
pub(super) struct LineNotify {
    info: ProviderInfo,
    client_id: String,
    authorize_url: Url,
    token: TokenEndpoint,
    status_url: Url,
    notify_url: Url,
    revoke_url: Url,
    http: reqwest::Client,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    target_type: Option<String>,
    target: Option<String>,
}

impl LineNotify {
    pub(super) fn new(p: &ProviderConfig, http: reqwest::Client) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let auth = o
            .auth_base
            .as_deref()
            .unwrap_or(AUTH_BASE)
            .trim_end_matches('/')
            .to_owned();
        let api = o
            .api_base
            .as_deref()
            .unwrap_or(API_BASE)
            .trim_end_matches('/')
            .to_owned();
        let mut problems = Vec::new();
        let mut url = |key: &str, v: String| endpoint(key, &v).map_err(|e| problems.push(e)).ok();
        let urls = (
            url("auth_base", format!("{auth}/oauth/authorize")),
            url("auth_base", format!("{auth}/oauth/token")),
            url("api_base", format!("{api}/api/status")),
            url("api_base", format!("{api}/api/notify")),
            url("api_base", format!("{api}/api/revoke")),
        );
        let (Some(authorize), Some(token), Some(status), Some(notify), Some(revoke)) = urls else {
            problems.dedup();
            return Err(problems);
        };
        Ok(Self {
            info: ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                // No `login`: Notify connects to an existing session.
                capabilities: vec![Capability::Profile, Capability::Notify],
                sends_via: None,
            },
            client_id: p.client_id.clone(),
            authorize_url: authorize,
            token: TokenEndpoint {
                url: token,
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
                auth: ClientAuth::Body,
                http: http.clone(),
            },
            status_url: status,
            notify_url: notify,
            revoke_url: revoke,
            http,
        })
    }
}

/// The five `X-RateLimit-*` headers, when present and numeric.
fn rate_limit(headers: &reqwest::header::HeaderMap) -> Option<RateLimit> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<i64>().ok();
    Some(RateLimit {
        limit: u64::try_from(number("x-ratelimit-limit")?).ok()?,
        remaining: u64::try_from(number("x-ratelimit-remaining")?).ok()?,
        reset: number("x-ratelimit-reset")?,
    })
}

#[async_trait]
impl Provider for LineNotify {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn uses_pkce(&self) -> bool {
        false
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let mut url = self.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("scope", "notify")
            .append_pair("state", request.state)
            // Keeps the code out of URLs and logs (providers.md §2.2).
            .append_pair("response_mode", "form_post");
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        let response = self
            .token
            .request(&[
                ("grant_type", "authorization_code"),
                ("code", request.code.as_str()),
                ("redirect_uri", request.redirect_uri),
            ])
            .await?;
        // The token never expires; it lives until revoked.
        Ok(response.into_grant(&["notify".to_owned()], None))
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let status: Status =
            http::get_json(&self.http, &self.status_url, &grant.access_token, "status").await?;
        // Notify has no user id: name the connection by a digest of its
        // token, which is stable and reveals nothing.
        let digest = Sha256::digest(grant.access_token.secret().as_bytes());
        let id = format!("notify-{}", URL_SAFE_NO_PAD.encode(&digest[..9]));
        let target_type = status.target_type.unwrap_or_else(|| "USER".to_owned());
        let mut extra = BTreeMap::new();
        extra.insert("target_type".to_owned(), Value::String(target_type.clone()));
        Ok(Identity {
            profile: Profile {
                display_name: status
                    .target
                    .filter(|t| !t.is_empty())
                    .unwrap_or(target_type),
                id,
                email: None,
                avatar_url: None,
                locale: None,
                extra,
            },
            balance: None,
        })
    }

    async fn notify(
        &self,
        token: &AccessToken,
        message: &str,
    ) -> Result<Option<RateLimit>, ProviderError> {
        let response = self
            .http
            .post(self.notify_url.clone())
            .bearer_auth(token.secret())
            .form(&[("message", message)])
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let limit = rate_limit(response.headers());
        match response.status() {
            s if s.is_success() => Ok(limit),
            reqwest::StatusCode::UNAUTHORIZED => Err(ProviderError::Unauthorized),
            reqwest::StatusCode::TOO_MANY_REQUESTS => Err(ProviderError::RateLimited(limit)),
            s if s.is_server_error() => {
                Err(ProviderError::Unavailable(format!("notify: HTTP {s}")))
            }
            s => Err(ProviderError::Rejected {
                error: format!("http_{}", s.as_u16()),
                description: None,
            }),
        }
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        let response = self
            .http
            .post(self.revoke_url.clone())
            .bearer_auth(grant.access_token.secret())
            .send()
            .await
            .map_err(|e| transport(&e))?;
        // 401: already revoked, which is what we wanted.
        match response.status() {
            s if s.is_success() || s == reqwest::StatusCode::UNAUTHORIZED => Ok(()),
            s => Err(ProviderError::Unavailable(format!("revoke: HTTP {s}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn reads_the_rate_limit_headers() {
        let mut h = HeaderMap::new();
        h.insert("X-RateLimit-Limit", HeaderValue::from_static("1000"));
        h.insert("X-RateLimit-Remaining", HeaderValue::from_static("999"));
        h.insert("X-RateLimit-Reset", HeaderValue::from_static("1700000000"));
        assert_eq!(
            rate_limit(&h),
            Some(RateLimit {
                limit: 1000,
                remaining: 999,
                reset: 1_700_000_000
            })
        );
        h.insert("X-RateLimit-Remaining", HeaderValue::from_static("lots"));
        assert_eq!(rate_limit(&h), None);
    }
}
