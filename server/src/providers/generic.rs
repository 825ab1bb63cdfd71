//! `kind = "oauth2"`: any plain OAuth2 provider described in config —
//! endpoints, client authentication style, scope separator, PKCE, and where
//! the profile and balance fields sit in its JSON (JSON pointers).

use super::{
    AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError, endpoint, http,
    parse_options,
    token::{ClientAuth, TokenEndpoint},
};
use crate::config::ProviderConfig;
use async_trait::async_trait;
use keyhole_api::{Balance, Capability, Profile, ProviderInfo};
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
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileMap {
    #[serde(default = "ptr_id")]
    id: String,
    #[serde(default = "ptr_name")]
    display_name: String,
    #[serde(default = "ptr_email")]
    email: String,
    #[serde(default = "ptr_picture")]
    avatar_url: String,
    #[serde(default = "ptr_locale")]
    locale: String,
}

impl Default for ProfileMap {
    fn default() -> Self {
        Self {
            id: ptr_id(),
            display_name: ptr_name(),
            email: ptr_email(),
            avatar_url: ptr_picture(),
            locale: ptr_locale(),
        }
    }
}

fn ptr_id() -> String {
    "/sub".to_owned()
}
fn ptr_name() -> String {
    "/name".to_owned()
}
fn ptr_email() -> String {
    "/email".to_owned()
}
fn ptr_picture() -> String {
    "/picture".to_owned()
}
fn ptr_locale() -> String {
    "/locale".to_owned()
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

/// The generic OAuth2 adapter.
#[derive(Debug)]
pub(super) struct Generic {
    info: ProviderInfo,
    client_id: String,
    scopes: Vec<String>,
    separator: String,
    pkce: bool,
    authorize_url: Url,
    token: TokenEndpoint,
    userinfo_url: Url,
    revocation_url: Option<Url>,
    profile: ProfileMap,
    balance: Option<(Url, BalanceMap)>,
    topup_url: Option<Url>,
    http: reqwest::Client,
}

impl Generic {
    pub(super) fn new(p: &ProviderConfig, http: reqwest::Client) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut problems = Vec::new();
        let mut url =
            |key: &str, value: &str| endpoint(key, value).map_err(|e| problems.push(e)).ok();
        let authorize = url("authorize_url", &o.authorize_url);
        let token = url("token_url", &o.token_url);
        let userinfo = url("userinfo_url", &o.userinfo_url);
        let revocation = o
            .revocation_url
            .as_deref()
            .map(|v| url("revocation_url", v));
        let topup = o.topup_url.as_deref().map(|v| url("topup_url", v));
        let balance_url = o
            .balance
            .as_ref()
            .and_then(|b| b.url.as_deref())
            .map(|v| url("balance.url", v));
        for (key, pointer) in [
            ("profile.id", &o.profile.id),
            ("profile.display_name", &o.profile.display_name),
            ("profile.email", &o.profile.email),
            ("profile.avatar_url", &o.profile.avatar_url),
            ("profile.locale", &o.profile.locale),
        ] {
            check_pointer(key, pointer, &mut problems);
        }
        if let Some(b) = &o.balance {
            check_pointer("balance.remaining", &b.remaining, &mut problems);
            for (key, p) in [
                ("balance.used", &b.used),
                ("balance.total", &b.total),
                ("balance.formatted", &b.formatted),
            ] {
                if let Some(p) = p {
                    check_pointer(key, p, &mut problems);
                }
            }
        }
        let (Some(authorize), Some(token), Some(userinfo)) = (authorize, token, userinfo) else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let balance = o.balance.map(|b| {
            let at = balance_url.flatten().unwrap_or_else(|| userinfo.clone());
            (at, b)
        });
        let mut capabilities = vec![Capability::Login, Capability::Profile];
        if balance.is_some() {
            capabilities.push(Capability::Balance);
        }
        let topup_url = topup.flatten();
        if topup_url.is_some() {
            capabilities.push(Capability::Topup);
        }
        Ok(Self {
            info: ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                capabilities,
                sends_via: None,
            },
            client_id: p.client_id.clone(),
            scopes: p.scopes.clone().unwrap_or_default(),
            separator: o.scope_separator,
            pkce: o.pkce,
            authorize_url: authorize,
            token: TokenEndpoint {
                url: token,
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
                auth: o.client_auth,
                http: http.clone(),
            },
            userinfo_url: userinfo,
            revocation_url: revocation.flatten(),
            profile: o.profile,
            balance,
            topup_url,
            http,
        })
    }
}

fn check_pointer(key: &str, pointer: &str, problems: &mut Vec<String>) {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        problems.push(format!(
            "{key}: `{pointer}` is not a JSON pointer (start with `/`)"
        ));
    }
}

/// A scalar at `pointer` as text; numbers keep their JSON spelling (never
/// turned into floats).
fn text_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Maps a userinfo document onto a profile with the configured pointers.
pub(crate) fn map_profile(map: &ProfileMap, doc: &Value) -> Result<Profile, ProviderError> {
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

/// Only http(s) URLs reach the app as links or images.
pub(crate) fn is_web_url(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[async_trait]
impl Provider for Generic {
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
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", request.redirect_uri)
                .append_pair("state", request.state);
            if !self.scopes.is_empty() {
                q.append_pair("scope", &self.scopes.join(&self.separator));
            }
            if self.pkce {
                q.append_pair("code_challenge", request.pkce_challenge)
                    .append_pair("code_challenge_method", "S256");
            }
        }
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", request.code.as_str()),
            ("redirect_uri", request.redirect_uri),
        ];
        if let Some(v) = request.pkce_verifier.as_deref().filter(|_| self.pkce) {
            params.push(("code_verifier", v));
        }
        Ok(self
            .token
            .request(&params)
            .await?
            .into_grant(&self.scopes, None))
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        let Some(refresh) = &grant.refresh_token else {
            return Err(ProviderError::NotSupported);
        };
        let mut fresh = self
            .token
            .request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.secret()),
            ])
            .await?
            .into_grant(&grant.scopes, None);
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = grant.refresh_token.clone();
        }
        Ok(fresh)
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let doc: Value = http::get_json(
            &self.http,
            &self.userinfo_url,
            &grant.access_token,
            "userinfo",
        )
        .await?;
        let balance = match &self.balance {
            Some((url, map)) if *url == self.userinfo_url => map_balance(map, &doc),
            _ => None,
        };
        Ok(Identity {
            profile: map_profile(&self.profile, &doc)?,
            balance,
        })
    }

    async fn balance(&self, token: &AccessToken) -> Result<Balance, ProviderError> {
        let Some((url, map)) = &self.balance else {
            return Err(ProviderError::NotSupported);
        };
        let doc: Value = http::get_json(&self.http, url, token, "balance").await?;
        map_balance(map, &doc).ok_or_else(|| {
            ProviderError::Malformed(format!("balance: nothing at {}", map.remaining))
        })
    }

    async fn topup_url(&self, _token: &AccessToken) -> Result<Url, ProviderError> {
        self.topup_url.clone().ok_or(ProviderError::NotSupported)
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        let Some(url) = &self.revocation_url else {
            return Ok(());
        };
        let revoker = TokenEndpoint {
            url: url.clone(),
            ..self.token.clone()
        };
        // RFC 7009: revoking the refresh token also ends its access tokens.
        let (token, hint) = match &grant.refresh_token {
            Some(r) => (r.secret().as_str(), "refresh_token"),
            None => (grant.access_token.secret().as_str(), "access_token"),
        };
        revoker
            .send_only(&[("token", token), ("token_type_hint", hint)])
            .await
    }
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
