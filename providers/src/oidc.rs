//! `kind = "oidc"`: any OpenID Connect provider from its `issuer` —
//! discovery (fetched on first use and kept), then the standard engine with
//! a nonce, the JWKS with key rotation, the RFC 9207 `iss` callback
//! parameter, userinfo, and revocation when the provider advertises it.

use crate::{
    Adapter, Grant, Identity, Login, ProviderError, is_web_url,
    registry::{Check, parse_options, web_url},
};
use crate::{
    config::ProviderConfig,
    oauth::{
        AuthorizeRequest, Client, ClientAuth, ExchangeRequest,
        jwt::{self, Jwks},
    },
    upstream::Http,
};
use async_trait::async_trait;
use keyhole_api::Profile;
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
    /// Hosts besides the issuer's that discovered endpoints may name.
    #[serde(default)]
    allowed_hosts: Vec<String>,
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

/// What discovery yields: the engine and the endpoints around it.
#[derive(Debug)]
struct Discovered {
    client: Client,
    userinfo: Option<Url>,
    jwks: Jwks,
}

/// The OpenID Connect adapter.
#[derive(Debug)]
pub(super) struct Oidc {
    config: ProviderConfig,
    issuer: String,
    discovery_url: Url,
    client_auth: Option<ClientAuth>,
    pkce: bool,
    allowed_hosts: Vec<String>,
    discovered: OnceCell<Discovered>,
    http: Http,
}

impl Oidc {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut check = Check::default();
        let discovery_url = check.at("issuer", &o.issuer, "/.well-known/openid-configuration");
        if discovery_url.scheme() != "https" && !is_loopback(&discovery_url) {
            check.problem("issuer: must be https (plain http only on loopback)".to_owned());
        }
        check.done()?;
        Ok(Self {
            config: p.clone(),
            issuer: o.issuer.trim_end_matches('/').to_owned(),
            discovery_url,
            client_auth: o.client_auth,
            pkce: o.pkce,
            allowed_hosts: o.allowed_hosts,
            discovered: OnceCell::new(),
            http,
        })
    }

    /// Discovery, fetched once; a failure is not kept, so the next login retries.
    async fn discovered(&self) -> Result<&Discovered, ProviderError> {
        self.discovered.get_or_try_init(|| self.discover()).await
    }

    async fn discover(&self) -> Result<Discovered, ProviderError> {
        let d: Discovery = self
            .http
            .send("discovery", self.http.get(&self.discovery_url))
            .await?
            .available("discovery")?
            .json("discovery")?;
        // OIDC Discovery §4.3: the document must name the issuer we asked.
        if d.issuer.trim_end_matches('/') != self.issuer {
            return Err(ProviderError::Malformed(
                "discovery: issuer mismatch".to_owned(),
            ));
        }
        // Pinned: a discovery document (compromised, or fetched over plain
        // http on loopback) must not send the client secret or the
        // person's token to another host.
        let url = |key: &str, v: &str| {
            web_url(key, v)
                .and_then(|u| pinned(&self.discovery_url, &u, &self.allowed_hosts).map(|()| u))
                .map_err(|why| ProviderError::Malformed(format!("discovery: {key}: {why}")))
        };
        let auth = self.client_auth.unwrap_or_else(|| {
            let offered = &d.token_endpoint_auth_methods_supported;
            if offered.is_empty() || offered.iter().any(|m| m == "client_secret_basic") {
                ClientAuth::Basic
            } else {
                ClientAuth::Body
            }
        });
        let revocation = d
            .revocation_endpoint
            .as_deref()
            .map(|u| url("revocation_endpoint", u))
            .transpose()?;
        let client = Client::new(
            &self.config,
            self.http.clone(),
            url("authorization_endpoint", &d.authorization_endpoint)?,
            url("token_endpoint", &d.token_endpoint)?,
            &["openid", "profile", "email"],
        )
        .auth(auth)
        .pkce(self.pkce)
        .nonce(true)
        .revocation(revocation);
        Ok(Discovered {
            client,
            userinfo: d
                .userinfo_endpoint
                .as_deref()
                .map(|u| url("userinfo_endpoint", u))
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

impl Adapter for Oidc {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }
}

#[async_trait]
impl Login for Oidc {
    fn uses_pkce(&self) -> bool {
        self.pkce
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let extra: Vec<(&str, &str)> = request
            .lang
            .map(|l| ("ui_locales", l))
            .into_iter()
            .collect();
        Ok(self
            .discovered()
            .await?
            .client
            .authorize_url(request, &extra))
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
        let d = self.discovered().await?;
        let response = d.client.exchange(&request).await?;
        let claims = jwt::verify_response(
            &response,
            &jwt::Expect {
                issuer: &self.issuer,
                audience: d.client.client_id(),
                nonce: request.nonce,
                hmac_secret: None,
                jwks: Some(&d.jwks),
            },
        )
        .await?;
        let mut grant = d.client.grant(response);
        grant.claims = claims
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "nonce" | "at_hash" | "c_hash"))
            .collect();
        Ok(grant)
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        self.discovered().await?.client.refresh(grant).await
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        self.discovered().await?.client.revoke(grant).await
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let mut claims: Map<String, Value> = grant.claims.clone().into_iter().collect();
        let d = self.discovered().await?;
        if let Some(url) = &d.userinfo {
            let info: Map<String, Value> = self
                .http
                .get_json("identity", url, &grant.access_token)
                .await?;
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
}

/// Whether `url` points at this machine.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// A discovered endpoint must share the issuer's scheme and host, or be on
/// a host listed in `allowed_hosts` (over https); https unless loopback.
fn pinned(issuer: &Url, endpoint: &Url, allowed: &[String]) -> Result<(), String> {
    let same = endpoint.scheme() == issuer.scheme() && endpoint.host() == issuer.host();
    let listed = endpoint.scheme() == "https"
        && endpoint
            .host_str()
            .is_some_and(|h| allowed.iter().any(|a| a == h));
    if !(same || listed) {
        return Err("not on the issuer's host (list it in allowed_hosts)".to_owned());
    }
    if endpoint.scheme() != "https" && !is_loopback(endpoint) {
        return Err("must be https".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovered_endpoints_are_pinned_to_the_issuer() {
        let url = |s: &str| Url::parse(s).unwrap();
        let issuer = url("https://id.example.com/.well-known/openid-configuration");
        let allowed = ["keys.example.net".to_owned()];
        assert!(pinned(&issuer, &url("https://id.example.com/token"), &[]).is_ok());
        assert!(pinned(&issuer, &url("https://id.example.com:8443/token"), &[]).is_ok());
        assert!(pinned(&issuer, &url("https://evil.example/token"), &[]).is_err());
        assert!(pinned(&issuer, &url("http://id.example.com/token"), &[]).is_err());
        assert!(pinned(&issuer, &url("https://keys.example.net/jwks"), &allowed).is_ok());
        assert!(pinned(&issuer, &url("http://keys.example.net/jwks"), &allowed).is_err());
        let local = url("http://127.0.0.1:9000/oidc/.well-known/openid-configuration");
        assert!(pinned(&local, &url("http://127.0.0.1:9000/oidc/token"), &[]).is_ok());
        assert!(pinned(&local, &url("http://10.0.0.1/token"), &[]).is_err());
        assert!(is_loopback(&url("http://localhost/")) && is_loopback(&url("http://[::1]/")));
        assert!(!is_loopback(&url("http://10.0.0.1/")));
    }
}
