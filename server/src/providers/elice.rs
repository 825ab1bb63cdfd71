//! Elice login (`../shared/providers.md` §4): comma-separated scopes and a
//! `lang` on the authorize page, a JSON token request without `grant_type`,
//! a one-hour token and no refresh (expiry means signing in again), and
//! `/oauth/account` whose `id` may be a number or a string.

use super::{
    AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError, endpoint, http,
    parse_options,
    token::{ClientAuth, TokenEndpoint},
};
use crate::config::ProviderConfig;
use async_trait::async_trait;
use keyhole_api::{Capability, Profile, ProviderInfo};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// Elice documents a one-hour token and returns no `expires_in`.
const TOKEN_TTL: time::Duration = time::Duration::hours(1);

/// Languages Elice's pages offer.
const LANGS: &[&str] = &["ko", "en", "ja", "th"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// `ELICE_WEB_URL` from Elice (authorize page host); not published.
    web_url: String,
    /// `ELICE_SERVER_URL` from Elice (API host); not published.
    server_url: String,
    /// Language when the person's is not one Elice offers.
    #[serde(default = "default_lang")]
    default_lang: String,
}

fn default_lang() -> String {
    "ko".to_owned()
}

/// The Elice adapter.
#[derive(Debug)]
pub(super) struct Elice {
    info: ProviderInfo,
    client_id: String,
    scopes: Vec<String>,
    default_lang: String,
    authorize_url: Url,
    token: TokenEndpoint,
    account_url: Url,
    http: reqwest::Client,
}

impl Elice {
    pub(super) fn new(p: &ProviderConfig, http: reqwest::Client) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut problems = Vec::new();
        let web = o.web_url.trim_end_matches('/');
        let server = o.server_url.trim_end_matches('/');
        let mut url =
            |key: &str, value: String| endpoint(key, &value).map_err(|e| problems.push(e)).ok();
        let authorize = url("web_url", format!("{web}/oauth/authorize"));
        let token = url("server_url", format!("{server}/oauth/token"));
        let account = url("server_url", format!("{server}/oauth/account"));
        if !LANGS.contains(&o.default_lang.as_str()) {
            problems.push(format!(
                "default_lang: `{}` is not one of {LANGS:?}",
                o.default_lang
            ));
        }
        let (Some(authorize), Some(token), Some(account)) = (authorize, token, account) else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            info: ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                capabilities: vec![Capability::Login, Capability::Profile],
                sends_via: None,
            },
            client_id: p.client_id.clone(),
            scopes: p.scopes.clone().unwrap_or_else(|| vec!["read".to_owned()]),
            default_lang: o.default_lang,
            authorize_url: authorize,
            token: TokenEndpoint {
                url: token,
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
                auth: ClientAuth::Json,
                http: http.clone(),
            },
            account_url: account,
            http,
        })
    }

    /// The person's language if Elice has it (`th-TH` → `th`), else the default.
    fn lang<'a>(&'a self, wanted: Option<&'a str>) -> &'a str {
        wanted
            .and_then(|w| w.split('-').next())
            .filter(|w| LANGS.contains(w))
            .unwrap_or(&self.default_lang)
    }
}

#[derive(Debug, Deserialize)]
struct Account {
    id: Value,
    fullname: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    profile_url: Option<String>,
    locale: Option<String>,
}

#[async_trait]
impl Provider for Elice {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn uses_pkce(&self) -> bool {
        false
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let mut url = self.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("state", request.state)
            .append_pair("scope", &self.scopes.join(","))
            .append_pair("lang", self.lang(request.lang));
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        // No grant_type and no redirect_uri: Elice's request is just this.
        let response = self
            .token
            .request(&[("code", request.code.as_str())])
            .await?;
        Ok(response.into_grant(&self.scopes, Some(TOKEN_TTL)))
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let a: Account = http::get_json(
            &self.http,
            &self.account_url,
            &grant.access_token,
            "account",
        )
        .await?;
        let id = match a.id {
            Value::Number(n) => n.to_string(),
            Value::String(s) if !s.is_empty() => s,
            _ => return Err(ProviderError::Malformed("account: no id".to_owned())),
        };
        let mut extra = BTreeMap::new();
        for (key, value) in [("phone", a.phone), ("profile_url", a.profile_url)] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                extra.insert(key.to_owned(), Value::String(v));
            }
        }
        Ok(Identity {
            profile: Profile {
                display_name: a
                    .fullname
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| id.clone()),
                id,
                email: a.email.filter(|e| !e.is_empty()),
                avatar_url: None,
                locale: a.locale,
                extra,
            },
            balance: None,
        })
    }
}
