//! `kind = "oauth2"`: any plain OAuth2 provider described in config — the
//! standard engine with its endpoints, client authentication style, scope
//! separator and PKCE from the config, and where the profile and balance
//! fields sit in its JSON (JSON pointers).

use crate::{
    Adapter, Grant, Identity, Login, ProviderError, Standard, Topup, Wallet, is_web_url,
    registry::{Check, parse_options},
    scalar_text,
};
use crate::{
    config::ProviderConfig,
    oauth::{Client, ClientAuth},
    upstream::Http,
};
use async_trait::async_trait;
use keyhole_api::{Balance, Profile};
use oauth2::AccessToken;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    authorize_url: String,
    token_url: String,
    userinfo_url: String,
    revocation_url: Option<String>,
    /// Default `basic`, as RFC 6749 §2.3.1 recommends.
    #[serde(default = "default_auth")]
    client_auth: ClientAuth,
    /// `" "` (the RFC) or `","`.
    #[serde(default = "default_separator")]
    scope_separator: String,
    #[serde(default = "default_true")]
    pkce: bool,
    #[serde(default)]
    profile: ProfileMap,
    balance: Option<BalanceMap>,
    /// A fixed top-up page, if the provider has one.
    topup_url: Option<String>,
}

fn default_auth() -> ClientAuth {
    ClientAuth::Basic
}

fn default_separator() -> String {
    " ".to_owned()
}

fn default_true() -> bool {
    true
}

/// JSON pointers into the userinfo response.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ProfileMap {
    id: String,
    display_name: String,
    email: String,
    avatar_url: String,
    locale: String,
}

impl Default for ProfileMap {
    fn default() -> Self {
        Self {
            id: "/sub".to_owned(),
            display_name: "/name".to_owned(),
            email: "/email".to_owned(),
            avatar_url: "/picture".to_owned(),
            locale: "/locale".to_owned(),
        }
    }
}

/// JSON pointers to the balance fields; `unit` is a literal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceMap {
    /// Where to read it (default: the userinfo URL).
    url: Option<String>,
    remaining: String,
    used: Option<String>,
    total: Option<String>,
    formatted: Option<String>,
    unit: String,
}

/// The balance, read from its own URL or the userinfo.
#[derive(Debug)]
struct BalanceSource {
    url: Url,
    map: BalanceMap,
    http: Http,
}

/// A top-up page that is the same for everyone.
#[derive(Debug)]
struct FixedTopup(Url);

/// The generic OAuth2 adapter.
#[derive(Debug)]
pub(super) struct Generic {
    client: Client,
    userinfo_url: Url,
    profile: ProfileMap,
    balance: Option<BalanceSource>,
    topup: Option<FixedTopup>,
}

impl Generic {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut check = Check::default();
        let authorize = check.url("authorize_url", &o.authorize_url);
        let token = check.url("token_url", &o.token_url);
        let userinfo_url = check.url("userinfo_url", &o.userinfo_url);
        let revocation = o.revocation_url.map(|v| check.url("revocation_url", &v));
        let topup = o.topup_url.map(|v| FixedTopup(check.url("topup_url", &v)));
        let mut pointers = vec![
            ("profile.id", Some(&o.profile.id)),
            ("profile.display_name", Some(&o.profile.display_name)),
            ("profile.email", Some(&o.profile.email)),
            ("profile.avatar_url", Some(&o.profile.avatar_url)),
            ("profile.locale", Some(&o.profile.locale)),
        ];
        if let Some(b) = &o.balance {
            pointers.extend([
                ("balance.remaining", Some(&b.remaining)),
                ("balance.used", b.used.as_ref()),
                ("balance.total", b.total.as_ref()),
                ("balance.formatted", b.formatted.as_ref()),
            ]);
        }
        for (key, pointer) in pointers {
            if let Some(pointer) = pointer.filter(|p| !p.is_empty() && !p.starts_with('/')) {
                check.problem(format!(
                    "{key}: `{pointer}` is not a JSON pointer (start with `/`)"
                ));
            }
        }
        let balance = o.balance.map(|map| BalanceSource {
            url: match &map.url {
                Some(v) => check.url("balance.url", v),
                None => userinfo_url.clone(),
            },
            map,
            http: http.clone(),
        });
        check.done()?;
        let client = Client::new(p, http, authorize, token, &[])
            .auth(o.client_auth)
            .separator(&o.scope_separator)
            .pkce(o.pkce)
            .revocation(revocation);
        Ok(Self {
            client,
            userinfo_url,
            profile: o.profile,
            balance,
            topup,
        })
    }
}

impl Adapter for Generic {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }

    fn wallet(&self) -> Option<&dyn Wallet> {
        self.balance.as_ref().map(|b| b as &dyn Wallet)
    }

    fn topup(&self) -> Option<&dyn Topup> {
        self.topup.as_ref().map(|t| t as &dyn Topup)
    }
}

#[async_trait]
impl Standard for Generic {
    fn client(&self) -> &Client {
        &self.client
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let doc: Value = self
            .client
            .http()
            .get_json("identity", &self.userinfo_url, &grant.access_token)
            .await?;
        let balance = match &self.balance {
            Some(b) if b.url == self.userinfo_url => map_balance(&b.map, &doc),
            _ => None,
        };
        Ok(Identity {
            profile: map_profile(&self.profile, &doc)?,
            balance,
        })
    }
}

#[async_trait]
impl Wallet for BalanceSource {
    async fn balance(&self, token: &AccessToken) -> Result<Balance, ProviderError> {
        let doc: Value = self.http.get_json("balance", &self.url, token).await?;
        map_balance(&self.map, &doc).ok_or_else(|| {
            ProviderError::Malformed(format!("balance: nothing at {}", self.map.remaining))
        })
    }
}

#[async_trait]
impl Topup for FixedTopup {
    async fn topup_url(&self, _token: &AccessToken) -> Result<Url, ProviderError> {
        Ok(self.0.clone())
    }
}

/// A scalar at `pointer` as text.
fn text_at(value: &Value, pointer: &str) -> Option<String> {
    scalar_text(value.pointer(pointer)?)
}

/// Maps a userinfo document onto a profile with the configured pointers.
fn map_profile(map: &ProfileMap, doc: &Value) -> Result<Profile, ProviderError> {
    let id = text_at(doc, &map.id)
        .ok_or_else(|| ProviderError::Malformed(format!("userinfo: no id at {}", map.id)))?;
    Ok(Profile {
        display_name: text_at(doc, &map.display_name).unwrap_or_else(|| id.clone()),
        email: text_at(doc, &map.email),
        avatar_url: text_at(doc, &map.avatar_url).filter(|u| is_web_url(u)),
        locale: text_at(doc, &map.locale),
        extra: BTreeMap::new(),
        id,
    })
}

fn map_balance(map: &BalanceMap, doc: &Value) -> Option<Balance> {
    let remaining = text_at(doc, &map.remaining)?;
    Some(Balance {
        formatted: map
            .formatted
            .as_deref()
            .and_then(|p| text_at(doc, p))
            .unwrap_or_else(|| format!("{remaining} {}", map.unit)),
        used: map.used.as_deref().and_then(|p| text_at(doc, p)),
        total: map.total.as_deref().and_then(|p| text_at(doc, p)),
        unit: map.unit.clone(),
        as_of: crate::clock::rfc3339(crate::clock::now()),
        remaining,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profile_pointers_accept_numbers_and_strings() {
        let map = ProfileMap {
            id: "/data/id".into(),
            display_name: "/data/nick".into(),
            ..ProfileMap::default()
        };
        let doc = json!({"data": {"id": 42, "nick": "ナナ"}, "picture": "javascript:alert(1)"});
        let p = map_profile(&map, &doc).unwrap();
        assert_eq!((p.id.as_str(), p.display_name.as_str()), ("42", "ナナ"));
        assert_eq!(p.avatar_url, None, "only web URLs become avatars");
        assert!(map_profile(&map, &json!({})).is_err());
    }

    #[test]
    fn balance_keeps_the_providers_decimal_spelling() {
        let map = BalanceMap {
            url: None,
            remaining: "/credits".into(),
            used: Some("/spent".into()),
            total: None,
            formatted: None,
            unit: "credits".into(),
        };
        let b = map_balance(&map, &json!({"credits": 12.50, "spent": "3"})).unwrap();
        assert_eq!(b.remaining, "12.5");
        assert_eq!(b.used.as_deref(), Some("3"));
        assert_eq!(b.formatted, "12.5 credits");
    }
}
