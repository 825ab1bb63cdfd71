//! AIHubMix OAuth apps (`../shared/providers.md` §6): form token exchange with
//! the secret in the body, rotating refresh tokens, `auto_authorize`, userinfo
//! carrying `quota`/`used_quota`/`balance_formatted`, and a top-up URL.

use super::{
    AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError, endpoint, http,
    parse_options,
};
use crate::config::ProviderConfig;
use async_trait::async_trait;
use keyhole_api::{Balance, Capability, Profile, ProviderInfo};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, EndpointNotSet, EndpointSet,
    PkceCodeVerifier, RedirectUrl, TokenResponse, TokenUrl, basic::BasicClient,
};
use serde::Deserialize;
use std::{borrow::Cow, collections::BTreeMap};
use time::OffsetDateTime;
use url::Url;

/// Where the real service lives; every endpoint can be overridden.
const DEFAULT_BASE_URL: &str = "https://aihubmix.com";

/// one-api quota units per US dollar (providers.md §6.1).
const QUOTA_PER_USD: i64 = 500_000;

type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Kind options in `keyhole.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    base_url: Option<String>,
    authorize_url: Option<String>,
    token_url: Option<String>,
    userinfo_url: Option<String>,
    topup_url: Option<String>,
    /// Skip the consent click for people who already approved the app.
    #[serde(default)]
    auto_authorize: bool,
    /// AIHubMix does not document PKCE; send it only when told to.
    #[serde(default)]
    pkce: bool,
}

/// The AIHubMix adapter.
#[derive(Debug)]
pub(super) struct AiHubMix {
    info: ProviderInfo,
    oauth: OAuthClient,
    client_id: String,
    scopes: Vec<String>,
    authorize_url: Url,
    userinfo_url: Url,
    topup_url: Url,
    auto_authorize: bool,
    pkce: bool,
    http: reqwest::Client,
}

impl AiHubMix {
    pub(super) fn new(p: &ProviderConfig, http: reqwest::Client) -> Result<Self, Vec<String>> {
        let options: Options = parse_options(p)?;
        let mut problems = Vec::new();
        let base = options
            .base_url
            .as_deref()
            .unwrap_or(DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_owned();
        let mut url = |key: &str, over: &Option<String>, path: &str| {
            let value = over.clone().unwrap_or_else(|| format!("{base}{path}"));
            endpoint(key, &value).map_err(|e| problems.push(e)).ok()
        };
        let authorize = url(
            "authorize_url",
            &options.authorize_url,
            "/api/oauth2/authorize",
        );
        let token = url("token_url", &options.token_url, "/api/oauth2/token");
        let userinfo = url(
            "userinfo_url",
            &options.userinfo_url,
            "/api/oauth2/userinfo",
        );
        let topup = url("topup_url", &options.topup_url, "/api/oauth2/topup");
        let scopes = p
            .scopes
            .clone()
            .unwrap_or_else(|| vec!["profile".to_owned(), "balance".to_owned()]);
        for s in &scopes {
            if s != "profile" && s != "balance" {
                problems.push(format!(
                    "scopes: unknown AIHubMix scope `{s}` (profile, balance)"
                ));
            }
        }
        let (Some(authorize), Some(token), Some(userinfo), Some(topup)) =
            (authorize, token, userinfo, topup)
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }

        let oauth = BasicClient::new(ClientId::new(p.client_id.clone()))
            .set_client_secret(p.client_secret.clone())
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::from_url(authorize.clone()))
            .set_token_uri(TokenUrl::from_url(token));

        let mut capabilities = vec![Capability::Login, Capability::Profile];
        if scopes.iter().any(|s| s == "balance") {
            capabilities.push(Capability::Balance);
        }
        capabilities.push(Capability::Topup);

        Ok(Self {
            info: ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                capabilities,
                sends_via: None,
            },
            oauth,
            client_id: p.client_id.clone(),
            scopes,
            authorize_url: authorize,
            userinfo_url: userinfo,
            topup_url: topup,
            auto_authorize: options.auto_authorize,
            pkce: options.pkce,
            http,
        })
    }

    fn grant_from(&self, token: &oauth2::basic::BasicTokenResponse) -> Grant {
        let now = OffsetDateTime::now_utc();
        Grant {
            access_token: token.access_token().clone(),
            refresh_token: token.refresh_token().cloned(),
            expires_at: token
                .expires_in()
                .and_then(|d| time::Duration::try_from(d).ok().map(|d| now + d)),
            scopes: token
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_else(|| self.scopes.clone()),
            claims: BTreeMap::new(),
        }
    }

    async fn userinfo(&self, token: &AccessToken) -> Result<UserInfo, ProviderError> {
        http::get_json(&self.http, &self.userinfo_url, token, "userinfo").await
    }
}

/// `GET /api/oauth2/userinfo` (a bare object; providers.md §6.5).
#[derive(Debug, Deserialize)]
struct UserInfo {
    /// A number in the seed; accepted as any JSON scalar.
    id: serde_json::Value,
    username: Option<String>,
    email: Option<String>,
    quota: Option<i64>,
    used_quota: Option<i64>,
    balance_formatted: Option<String>,
    created_time: Option<i64>,
    status: Option<i64>,
}

impl UserInfo {
    fn balance(&self) -> Option<Balance> {
        let remaining = self.quota?;
        let formatted = self
            .balance_formatted
            .clone()
            .unwrap_or_else(|| format_usd(remaining));
        Some(Balance {
            remaining: remaining.to_string(),
            used: self.used_quota.map(|u| u.to_string()),
            total: self
                .used_quota
                .and_then(|u| u.checked_add(remaining))
                .map(|t| t.to_string()),
            unit: "quota".to_owned(),
            formatted,
            as_of: now_rfc3339(),
        })
    }

    fn identity(&self) -> Result<Identity, ProviderError> {
        let id = match &self.id {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) if !s.is_empty() => s.clone(),
            _ => return Err(ProviderError::Malformed("userinfo: missing id".to_owned())),
        };
        let mut extra = BTreeMap::new();
        if let Some(t) = self.created_time {
            extra.insert("created_time".to_owned(), t.into());
        }
        if let Some(s) = self.status {
            extra.insert("status".to_owned(), s.into());
        }
        Ok(Identity {
            profile: Profile {
                display_name: self.username.clone().unwrap_or_else(|| id.clone()),
                id,
                email: self.email.clone().filter(|e| !e.is_empty()),
                avatar_url: None,
                locale: None,
                extra,
            },
            balance: self.balance(),
        })
    }
}

/// `quota` as US dollars with two decimals, in integer arithmetic (never
/// floats for money), used only when the provider sends no display string.
fn format_usd(quota: i64) -> String {
    let cents = i128::from(quota) * 100 / i128::from(QUOTA_PER_USD);
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

fn now_rfc3339() -> String {
    crate::clock::rfc3339(OffsetDateTime::now_utc())
}

#[derive(Debug, Deserialize)]
struct TopupResponse {
    topup_url: String,
}

#[async_trait]
impl Provider for AiHubMix {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn uses_pkce(&self) -> bool {
        self.pkce
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let mut url = self.authorize_url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", request.redirect_uri)
                .append_pair("response_type", "code")
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("state", request.state);
            if self.auto_authorize {
                q.append_pair("auto_authorize", "true");
            }
            if self.pkce {
                q.append_pair("code_challenge", request.pkce_challenge)
                    .append_pair("code_challenge_method", "S256");
            }
        }
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        let ExchangeRequest {
            code,
            pkce_verifier,
            redirect_uri,
            ..
        } = request;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| ProviderError::Malformed(format!("redirect uri: {e}")))?;
        let mut request = self
            .oauth
            .exchange_code(AuthorizationCode::new(code))
            .set_redirect_uri(Cow::Owned(redirect));
        if let Some(verifier) = pkce_verifier.filter(|_| self.pkce) {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier));
        }
        let token = request
            .request_async(&self.http)
            .await
            .map_err(http::token_error)?;
        Ok(self.grant_from(&token))
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        let Some(refresh_token) = &grant.refresh_token else {
            return Err(ProviderError::Rejected {
                error: "invalid_grant".to_owned(),
                description: Some("no refresh token".to_owned()),
            });
        };
        let token = self
            .oauth
            .exchange_refresh_token(refresh_token)
            .request_async(&self.http)
            .await
            .map_err(http::token_error)?;
        let mut fresh = self.grant_from(&token);
        // AIHubMix rotates refresh tokens; keep the old one only if none came back.
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = grant.refresh_token.clone();
        }
        Ok(fresh)
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        self.userinfo(&grant.access_token).await?.identity()
    }

    async fn balance(&self, token: &AccessToken) -> Result<Balance, ProviderError> {
        self.userinfo(token).await?.balance().ok_or_else(|| {
            ProviderError::Malformed("userinfo: no quota (balance scope?)".to_owned())
        })
    }

    async fn topup_url(&self, token: &AccessToken) -> Result<Url, ProviderError> {
        let body: TopupResponse =
            http::get_json(&self.http, &self.topup_url, token, "topup").await?;
        // The app opens this URL: only web URLs, never `javascript:` and friends.
        match Url::parse(&body.topup_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
            _ => Err(ProviderError::Malformed(
                "topup: not an http(s) URL".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_quota_as_dollars_without_floats() {
        assert_eq!(format_usd(1_000_000), "2.00");
        assert_eq!(format_usd(750_000), "1.50");
        assert_eq!(format_usd(4_999), "0.00");
        assert_eq!(format_usd(-1_000_000), "-2.00");
        assert_eq!(format_usd(i64::MAX), "18446744073709.55");
    }

    #[test]
    fn userinfo_maps_to_profile_and_balance() {
        let info: UserInfo = serde_json::from_str(
            r#"{"id":12345,"username":"user123","email":"user@example.com","quota":1000000,
                "used_quota":250000,"balance_formatted":"750.00","created_time":1640995200,
                "status":1,"future_field":true}"#,
        )
        .unwrap();
        let identity = info.identity().unwrap();
        assert_eq!(identity.profile.id, "12345");
        assert_eq!(identity.profile.display_name, "user123");
        assert_eq!(identity.profile.extra["status"], 1);
        let balance = identity.balance.unwrap();
        assert_eq!(balance.remaining, "1000000");
        assert_eq!(balance.used.as_deref(), Some("250000"));
        assert_eq!(balance.total.as_deref(), Some("1250000"));
        // The provider's display string is kept as is, never re-derived.
        assert_eq!(balance.formatted, "750.00");
    }

    #[test]
    fn userinfo_without_balance_scope_has_no_balance_and_string_ids_work() {
        let info: UserInfo = serde_json::from_str(r#"{"id":"u-9","username":"x"}"#).unwrap();
        let identity = info.identity().unwrap();
        assert_eq!(identity.profile.id, "u-9");
        assert!(identity.balance.is_none());
        let bad: UserInfo = serde_json::from_str(r#"{"id":null}"#).unwrap();
        assert!(matches!(bad.identity(), Err(ProviderError::Malformed(_))));
    }
}
