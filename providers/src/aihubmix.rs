//! AIHubMix OAuth apps (docs/providers.md): the standard engine with the
//! secret in the form body and rotating refresh tokens, plus
//! `auto_authorize`, a userinfo carrying `quota`/`used_quota`/
//! `balance_formatted`, and a top-up URL. `register` registers a new OAuth
//! app with a developer token.

mod register;

pub use register::{
    DEFAULT_API_BASE, NewApp, RegisterError, RegisteredApp, apps_url, register_app,
};

use crate::{
    Adapter, Grant, Identity, Login, ProviderError, Standard, Topup, Wallet,
    registry::{Check, parse_options},
};
use crate::{
    config::ProviderConfig,
    oauth::{AuthorizeRequest, Client, ClientAuth},
    upstream::Http,
};
use async_trait::async_trait;
use keyhole_api::{Balance, Profile};
use oauth2::AccessToken;
use serde::Deserialize;
use std::collections::BTreeMap;
use url::Url;

/// Where the real service lives; every endpoint can be overridden.
const DEFAULT_BASE_URL: &str = "https://aihubmix.com";

/// one-api quota units per US dollar (docs/providers.md).
const QUOTA_PER_USD: i64 = 500_000;

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
    client: Client,
    userinfo_url: Url,
    topup_url: Url,
    auto_authorize: bool,
    /// Whether the `balance` scope is asked for.
    balance: bool,
}

impl AiHubMix {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let base = o.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let mut check = Check::default();
        let authorize = check.or_at(
            "authorize_url",
            o.authorize_url.as_deref(),
            base,
            "/api/oauth2/authorize",
        );
        let token = check.or_at(
            "token_url",
            o.token_url.as_deref(),
            base,
            "/api/oauth2/token",
        );
        let userinfo_url = check.or_at(
            "userinfo_url",
            o.userinfo_url.as_deref(),
            base,
            "/api/oauth2/userinfo",
        );
        let topup_url = check.or_at(
            "topup_url",
            o.topup_url.as_deref(),
            base,
            "/api/oauth2/topup",
        );
        let client = Client::new(p, http, authorize, token, &["profile", "balance"])
            .auth(ClientAuth::Body)
            .pkce(o.pkce);
        for s in client.scopes() {
            if s != "profile" && s != "balance" {
                check.problem(format!(
                    "scopes: unknown AIHubMix scope `{s}` (profile, balance)"
                ));
            }
        }
        check.done()?;
        Ok(Self {
            balance: client.scopes().iter().any(|s| s == "balance"),
            client,
            userinfo_url,
            topup_url,
            auto_authorize: o.auto_authorize,
        })
    }

    async fn userinfo(
        &self,
        operation: &'static str,
        token: &AccessToken,
    ) -> Result<UserInfo, ProviderError> {
        self.client
            .http()
            .get_json(operation, &self.userinfo_url, token)
            .await
    }
}

impl Adapter for AiHubMix {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }

    fn wallet(&self) -> Option<&dyn Wallet> {
        self.balance.then_some(self)
    }

    fn topup(&self) -> Option<&dyn Topup> {
        Some(self)
    }
}

#[async_trait]
impl Standard for AiHubMix {
    fn client(&self) -> &Client {
        &self.client
    }

    fn authorize_extra<'a>(&'a self, _request: &AuthorizeRequest<'a>) -> Vec<(&'a str, &'a str)> {
        if self.auto_authorize {
            vec![("auto_authorize", "true")]
        } else {
            Vec::new()
        }
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        self.userinfo("identity", &grant.access_token)
            .await?
            .identity()
    }
}

#[async_trait]
impl Wallet for AiHubMix {
    async fn balance(&self, token: &AccessToken) -> Result<Balance, ProviderError> {
        self.userinfo("balance", token)
            .await?
            .balance()
            .ok_or_else(|| {
                ProviderError::Malformed("userinfo: no quota (balance scope?)".to_owned())
            })
    }
}

#[async_trait]
impl Topup for AiHubMix {
    async fn topup_url(&self, token: &AccessToken) -> Result<Url, ProviderError> {
        let body: TopupResponse = self
            .client
            .http()
            .get_json("topup", &self.topup_url, token)
            .await?;
        // The app opens this URL: only web URLs, never `javascript:` and friends.
        match Url::parse(&body.topup_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
            _ => Err(ProviderError::Malformed(
                "topup: not an http(s) URL".to_owned(),
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
struct TopupResponse {
    topup_url: String,
}

/// `GET /api/oauth2/userinfo` (a bare object, no envelope).
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
            as_of: crate::clock::rfc3339(crate::clock::now()),
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
