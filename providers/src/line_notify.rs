//! LINE Notify (docs/providers.md; the real service closed on 2025-03-31, the
//! simulator keeps it testable): the standard engine for a "connect" flow
//! rather than a sign-in, with `form_post` callbacks and a token that lives
//! until revoked; the target from `/api/status` as the profile, and
//! `/api/notify` with its `X-RateLimit-*` headers.

use crate::{
    Adapter, Grant, Identity, Login, Notifier, ProviderError, Standard,
    registry::{Check, parse_options},
};
use crate::{
    config::ProviderConfig,
    oauth::{AuthorizeRequest, Client, ClientAuth},
    upstream::Http,
};
use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use keyhole_api::{Profile, RateLimit};
use oauth2::AccessToken;
use reqwest::StatusCode;
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
    client: Client,
    status_url: Url,
    notify_url: Url,
    revoke_url: Url,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    target_type: Option<String>,
    target: Option<String>,
}

impl LineNotify {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut check = Check::default();
        let auth = o.auth_base.as_deref().unwrap_or(AUTH_BASE);
        let api = o.api_base.as_deref().unwrap_or(API_BASE);
        let authorize = check.at("auth_base", auth, "/oauth/authorize");
        let token = check.at("auth_base", auth, "/oauth/token");
        let status_url = check.at("api_base", api, "/api/status");
        let notify_url = check.at("api_base", api, "/api/notify");
        let revoke_url = check.at("api_base", api, "/api/revoke");
        if p.scopes.is_some() {
            check.problem(
                "scopes: LINE Notify has one scope, `notify`; leave `scopes` out".to_owned(),
            );
        }
        check.done()?;
        Ok(Self {
            client: Client::new(p, http, authorize, token, &["notify"])
                .auth(ClientAuth::Body)
                .pkce(false),
            status_url,
            notify_url,
            revoke_url,
        })
    }
}

impl Adapter for LineNotify {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }

    fn notifier(&self) -> Option<&dyn Notifier> {
        Some(self)
    }
}

#[async_trait]
impl Standard for LineNotify {
    fn client(&self) -> &Client {
        &self.client
    }

    fn connect_only(&self) -> bool {
        true
    }

    fn authorize_extra<'a>(&'a self, _request: &AuthorizeRequest<'a>) -> Vec<(&'a str, &'a str)> {
        // Keeps the code out of URLs and logs (docs/providers.md).
        vec![("response_mode", "form_post")]
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        let request = self
            .client
            .http()
            .post(&self.revoke_url)
            .bearer_auth(grant.access_token.secret());
        let reply = self.client.http().send("revoke", request).await?;
        // 401: already revoked, which is what we wanted.
        match reply.status {
            s if s.is_success() || s == StatusCode::UNAUTHORIZED => Ok(()),
            s => Err(ProviderError::Unavailable(format!("revoke: HTTP {s}"))),
        }
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let status: Status = self
            .client
            .http()
            .get_json("identity", &self.status_url, &grant.access_token)
            .await?;
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
}

#[async_trait]
impl Notifier for LineNotify {
    async fn notify(
        &self,
        token: &AccessToken,
        message: &str,
    ) -> Result<Option<RateLimit>, ProviderError> {
        let request = self
            .client
            .http()
            .post(&self.notify_url)
            .bearer_auth(token.secret())
            .form(&[("message", message)]);
        let reply = self.client.http().send("notify", request).await?;
        let limit = rate_limit(&reply.headers);
        match reply.status {
            s if s.is_success() => Ok(limit),
            StatusCode::UNAUTHORIZED => Err(ProviderError::Unauthorized),
            StatusCode::TOO_MANY_REQUESTS => Err(ProviderError::RateLimited(limit)),
            s if s.is_server_error() => {
                Err(ProviderError::Unavailable(format!("notify: HTTP {s}")))
            }
            s => Err(ProviderError::Rejected {
                error: format!("http_{}", s.as_u16()),
                description: None,
            }),
        }
    }
}

/// The `X-RateLimit-*` headers (limit, remaining, reset), when present and numeric.
fn rate_limit(headers: &reqwest::header::HeaderMap) -> Option<RateLimit> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<i64>().ok();
    Some(RateLimit {
        limit: u64::try_from(number("x-ratelimit-limit")?).ok()?,
        remaining: u64::try_from(number("x-ratelimit-remaining")?).ok()?,
        reset: number("x-ratelimit-reset")?,
    })
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

    /// Notify has exactly one scope: a configured list is refused rather
    /// than sent.
    #[test]
    fn scopes_are_refused() {
        let config = |scopes: Option<Vec<String>>| ProviderConfig {
            id: "line-notify".into(),
            kind: "line-notify".into(),
            name: "LINE Notify".into(),
            client_id: "c".into(),
            client_secret: oauth2::ClientSecret::new("s".into()),
            scopes,
            options: toml::Table::new(),
        };
        let upstream = crate::upstream::Upstream::new(
            &crate::config::UpstreamConfig {
                connect_timeout: std::time::Duration::from_secs(1),
                timeout: std::time::Duration::from_secs(1),
            },
            crate::upstream::UpstreamMetrics::default(),
        )
        .unwrap();
        let http = || upstream.for_provider("line-notify");
        assert!(LineNotify::new(&config(None), http()).is_ok());
        let problems = LineNotify::new(&config(Some(vec!["notify".into()])), http())
            .err()
            .unwrap_or_default();
        assert!(problems[0].starts_with("scopes:"), "{problems:?}");
    }
}
