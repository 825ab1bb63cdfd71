//! `kind = "oidc"`: any OpenID Connect provider from its `issuer` —
//! discovery (fetched on first use and kept), JWKS with key rotation, nonce,
//! the RFC 9207 `iss` callback parameter, userinfo, refresh, and revocation
//! when the provider advertises it.

use super::{
    AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError, endpoint,
    generic::is_web_url,
    http::{self, transport},
    jwt::{self, Jwks},
    parse_options,
    token::{ClientAuth, TokenEndpoint},
};
use crate::config::ProviderConfig;
use async_trait::async_trait;
use keyhole_api::{Capability, Profile, ProviderInfo};
use oauth2::ClientSecret;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use tokio::sync::OnceCell;
use url::Url;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// The issuer; discovery is at `{issuer}/.well-known/openid-configuration`.
    issuer: String,
    /// Force a client authentication style (default: what discovery offers,
    /// preferring HTTP Basic).
    client_auth: Option<ClientAuth>,
    #[serde(default = "default_true")]
    pkce: bool,
}

fn default_true() -> bool {
    true
}

/// The parts of a discovery document we use.
#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    revocation_endpoint: Option<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
}

/// Discovery turned into checked endpoints.
#[derive(Debug)]
struct Endpoints {
    authorize: Url,
    token: TokenEndpoint,
    userinfo: Option<Url>,
    revocation: Option<Url>,
    jwks: Jwks,
}

/// The OpenID Connect adapter.
#[derive(Debug)]
pub(super) struct Oidc {
    info: ProviderInfo,
    issuer: String,
    discovery_url: Url,
    client_id: String,
    client_secret: ClientSecret,
    client_auth: Option<ClientAuth>,
    scopes: Vec<String>,
    pkce: bool,
    endpoints: OnceCell<Endpoints>,
    http: reqwest::Client,
}

impl Oidc {
    pub(super) fn new(p: &ProviderConfig, http: reqwest::Client) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let issuer = o.issuer.trim_end_matches('/').to_owned();
        let discovery_url = endpoint(
            "issuer",
            &format!("{issuer}/.well-known/openid-configuration"),
        )
        .map_err(|e| vec![e])?;
        Ok(Self {
            info: ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                capabilities: vec![Capability::Login, Capability::Profile],
                sends_via: None,
            },
            issuer,
            discovery_url,
            client_id: p.client_id.clone(),
            client_secret: p.client_secret.clone(),
            client_auth: o.client_auth,
            scopes: p
                .scopes
                .clone()
                .unwrap_or_else(|| vec!["openid".into(), "profile".into(), "email".into()]),
            pkce: o.pkce,
            endpoints: OnceCell::new(),
            http,
        })
    }

    /// Discovery, fetched once; a failure is not kept, so the next login retries.
    async fn endpoints(&self) -> Result<&Endpoints, ProviderError> {
        self.endpoints.get_or_try_init(|| self.discover()).await
    }

    async fn discover(&self) -> Result<Endpoints, ProviderError> {
        let response = self
            .http
            .get(self.discovery_url.clone())
            .send()
            .await
            .map_err(|e| transport(&e))?;
        if !response.status().is_success() {
            return Err(ProviderError::Unavailable(format!(
                "discovery: HTTP {}",
                response.status()
            )));
        }
        let d: Discovery = response.json().await.map_err(|_| {
            ProviderError::Malformed("discovery: not a discovery document".to_owned())
        })?;
        // OIDC Discovery §4.3: the document must name the issuer we asked.
        if d.issuer.trim_end_matches('/') != self.issuer {
            return Err(ProviderError::Malformed(
                "discovery: issuer mismatch".to_owned(),
            ));
        }
        let url = |key: &str, v: &str| endpoint(key, v).map_err(ProviderError::Malformed);
        let auth = self.client_auth.unwrap_or_else(|| {
            let offered = &d.token_endpoint_auth_methods_supported;
            if offered.is_empty() || offered.iter().any(|m| m == "client_secret_basic") {
                ClientAuth::Basic
            } else {
                ClientAuth::Body
            }
        });
        Ok(Endpoints {
            authorize: url("authorization_endpoint", &d.authorization_endpoint)?,
            token: TokenEndpoint {
                url: url("token_endpoint", &d.token_endpoint)?,
                client_id: self.client_id.clone(),
                client_secret: self.client_secret.clone(),
                auth,
                http: self.http.clone(),
            },
            userinfo: d
                .userinfo_endpoint
                .as_deref()
                .map(|u| url("userinfo_endpoint", u))
                .transpose()?,
            revocation: d
                .revocation_endpoint
                .as_deref()
                .map(|u| url("revocation_endpoint", u))
                .transpose()?,
            jwks: Jwks::new(url("jwks_uri", &d.jwks_uri)?, self.http.clone()),
        })
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[async_trait]
impl Provider for Oidc {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn uses_pkce(&self) -> bool {
        self.pkce
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let mut url = self.endpoints().await?.authorize.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", request.redirect_uri)
                .append_pair("state", request.state)
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("nonce", request.nonce);
            if self.pkce {
                q.append_pair("code_challenge", request.pkce_challenge)
                    .append_pair("code_challenge_method", "S256");
            }
            if let Some(lang) = request.lang {
                q.append_pair("ui_locales", lang);
            }
        }
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        // RFC 9207: a callback naming another issuer is a mix-up attack.
        if let Some(iss) = request.callback.get("iss")
            && iss.trim_end_matches('/') != self.issuer
        {
            return Err(ProviderError::Malformed(
                "callback: issuer mismatch".to_owned(),
            ));
        }
        let endpoints = self.endpoints().await?;
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", request.code.as_str()),
            ("redirect_uri", request.redirect_uri),
        ];
        if let Some(v) = request.pkce_verifier.as_deref().filter(|_| self.pkce) {
            params.push(("code_verifier", v));
        }
        let response = endpoints.token.request(&params).await?;
        let id_token = response
            .id_token
            .clone()
            .ok_or_else(|| ProviderError::Malformed("token response: no id_token".to_owned()))?;
        let claims = jwt::verify(
            &id_token,
            &jwt::Expect {
                issuer: &self.issuer,
                audience: &self.client_id,
                nonce: request.nonce,
                hmac_secret: None,
                jwks: Some(&endpoints.jwks),
            },
        )
        .await?;
        let mut grant = response.into_grant(&self.scopes, None);
        grant.claims = claims
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "nonce" | "at_hash" | "c_hash"))
            .collect();
        Ok(grant)
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        let Some(refresh) = &grant.refresh_token else {
            return Err(ProviderError::NotSupported);
        };
        let mut fresh = self
            .endpoints()
            .await?
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
        fresh.claims = grant.claims.clone();
        Ok(fresh)
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let mut claims: Map<String, Value> = grant.claims.clone().into_iter().collect();
        if let Some(url) = &self.endpoints().await?.userinfo {
            let info: Map<String, Value> =
                http::get_json(&self.http, url, &grant.access_token, "userinfo").await?;
            // OIDC Core §5.3.2: userinfo for another subject must be refused.
            if info.get("sub") != claims.get("sub") {
                return Err(ProviderError::Malformed(
                    "userinfo: subject mismatch".to_owned(),
                ));
            }
            claims.extend(info);
        }
        let id =
            text(&claims, "sub").ok_or_else(|| ProviderError::Malformed("no sub".to_owned()))?;
        let mut extra = BTreeMap::new();
        if let Some(v) = claims.get("email_verified") {
            extra.insert("email_verified".to_owned(), v.clone());
        }
        Ok(Identity {
            profile: Profile {
                display_name: text(&claims, "name")
                    .or_else(|| text(&claims, "preferred_username"))
                    .unwrap_or_else(|| id.clone()),
                email: text(&claims, "email"),
                avatar_url: text(&claims, "picture").filter(|u| is_web_url(u)),
                locale: text(&claims, "locale"),
                id,
                extra,
            },
            balance: None,
        })
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        let endpoints = self.endpoints().await?;
        let Some(url) = &endpoints.revocation else {
            return Ok(());
        };
        let revoker = TokenEndpoint {
            url: url.clone(),
            ..endpoints.token.clone()
        };
        let (token, hint) = match &grant.refresh_token {
            Some(r) => (r.secret().as_str(), "refresh_token"),
            None => (grant.access_token.secret().as_str(), "access_token"),
        };
        revoker
            .send_only(&[("token", token), ("token_type_hint", hint)])
            .await
    }
}
