//! Elice login (docs/providers.md): comma-separated scopes and a `lang` on the
//! authorize page (no `response_type`, no PKCE), a JSON token request with
//! only the code, a one-hour token and no refresh (expiry means signing in
//! again), and `/oauth/account` whose `id` may be a number or a string.

use crate::{
    Adapter, Grant, Identity, Login, ProviderError,
    registry::{Check, parse_options},
    scalar_text,
};
use crate::{
    config::ProviderConfig,
    oauth::{AuthorizeRequest, Client, ClientAuth, ExchangeRequest},
    upstream::Http,
};
use async_trait::async_trait;
use keyhole_api::Profile;
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
    client: Client,
    default_lang: String,
    account_url: Url,
}

impl Elice {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut check = Check::default();
        let authorize = check.at("web_url", &o.web_url, "/oauth/authorize");
        let token = check.at("server_url", &o.server_url, "/oauth/token");
        let account_url = check.at("server_url", &o.server_url, "/oauth/account");
        if !LANGS.contains(&o.default_lang.as_str()) {
            check.problem(format!(
                "default_lang: `{}` is not one of {LANGS:?}",
                o.default_lang
            ));
        }
        check.done()?;
        let client = Client::new(p, http, authorize, token, &["read"])
            .auth(ClientAuth::Json)
            .separator(",")
            .pkce(false)
            .default_ttl(TOKEN_TTL);
        Ok(Self {
            client,
            default_lang: o.default_lang,
            account_url,
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

impl Adapter for Elice {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }
}

#[async_trait]
impl Login for Elice {
    fn uses_pkce(&self) -> bool {
        false
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let mut url = self.client.authorize_endpoint().clone();
        url.query_pairs_mut()
            .append_pair("client_id", self.client.client_id())
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("state", request.state)
            .append_pair("scope", &self.client.scope_string())
            .append_pair("lang", self.lang(request.lang));
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        // No grant_type and no redirect_uri: Elice's request is just this.
        let params = [("code", request.code.as_str())];
        let response = self
            .client
            .token_endpoint()
            .request("exchange", &params)
            .await?;
        Ok(self.client.grant(response))
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        // Elice issues no refresh token: this answers `NotSupported`.
        self.client.refresh(grant).await
    }

    async fn revoke(&self, _grant: &Grant) -> Result<(), ProviderError> {
        // Elice has no revocation endpoint; forgetting the token is all.
        Ok(())
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let a: Account = self
            .client
            .http()
            .get_json("identity", &self.account_url, &grant.access_token)
            .await?;
        let id = scalar_text(&a.id)
            .ok_or_else(|| ProviderError::Malformed("account: no id".to_owned()))?;
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

#[derive(Debug, Deserialize)]
struct Account {
    id: Value,
    fullname: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    profile_url: Option<String>,
    locale: Option<String>,
}
