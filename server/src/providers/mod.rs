//! Provider adapters: the `Provider` trait, the grant it produces, its errors,
//! and the registry built from config (one file per kind beside this one).

mod aihubmix;
mod http;

pub use http::upstream_client;

use crate::config::{Config, ConfigError, ProviderConfig};
use async_trait::async_trait;
use keyhole_api::{Balance, Capability, Profile, ProviderInfo};
use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};
use std::{collections::HashMap, fmt, sync::Arc};
use time::OffsetDateTime;
use url::Url;

/// Every adapter kind this build knows.
pub const KINDS: &[&str] = &["aihubmix"];

/// Tokens obtained for one person at one provider. Never leaves the server.
#[derive(Clone, Serialize, Deserialize)]
pub struct Grant {
    /// Bearer token for the provider's APIs.
    pub access_token: AccessToken,
    /// Token to get a new access token, when the provider issues one.
    pub refresh_token: Option<RefreshToken>,
    /// When the access token expires, when the provider says.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Scopes granted, as the provider reported them.
    pub scopes: Vec<String>,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // AccessToken and RefreshToken print `[redacted]` themselves.
        f.debug_struct("Grant")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// What a login needs to build the authorize URL.
#[derive(Debug)]
pub struct AuthorizeRequest<'a> {
    /// Opaque CSRF state, echoed by the provider.
    pub state: &'a str,
    /// PKCE S256 challenge, when the adapter uses PKCE.
    pub pkce_challenge: &'a str,
    /// Nonce for ID tokens, when the adapter uses them.
    pub nonce: &'a str,
    /// The one registered redirect URI of this provider instance.
    pub redirect_uri: &'a str,
}

/// A person's identity (and balance, where the provider reports it with the
/// profile).
#[derive(Debug, Clone)]
pub struct Identity {
    /// Normalised profile.
    pub profile: Profile,
    /// Balance, if the profile call carried one.
    pub balance: Option<Balance>,
}

/// Why a provider call failed. Callers branch on the variant.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The token endpoint refused the grant with an OAuth error code
    /// (`invalid_grant` means the person must sign in again).
    #[error("provider rejected the request: {error}")]
    Rejected {
        /// OAuth error code as sent (e.g. `invalid_grant`).
        error: String,
        /// Provider's description, attacker-controlled text.
        description: Option<String>,
    },
    /// The access token was refused (HTTP 401): refresh once and retry.
    #[error("provider refused the access token")]
    Unauthorized,
    /// Network failure, timeout, or a 5xx: the grant is kept.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The provider answered something we cannot parse.
    #[error("provider sent a malformed response: {0}")]
    Malformed(String),
    /// This provider does not have that feature.
    #[error("not supported by this provider")]
    NotSupported,
}

impl ProviderError {
    /// Whether the refresh token is dead and the person must sign in again.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Self::Rejected { error, .. } if error == "invalid_grant")
    }
}

/// One provider instance. Default methods cover what most providers lack.
#[async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// Public description for `/api/providers`.
    fn info(&self) -> &ProviderInfo;

    /// Whether logins send a PKCE challenge.
    fn uses_pkce(&self) -> bool {
        true
    }

    /// The provider's authorize URL for this login.
    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Url;

    /// Exchanges an authorization code for a grant.
    async fn exchange(
        &self,
        code: String,
        pkce_verifier: Option<String>,
        redirect_uri: &str,
    ) -> Result<Grant, ProviderError>;

    /// Gets a fresh grant with the refresh token.
    async fn refresh(&self, _grant: &Grant) -> Result<Grant, ProviderError> {
        Err(ProviderError::NotSupported)
    }

    /// Revokes the grant at the provider, where the provider supports it.
    /// The default does nothing: the provider has no revocation endpoint,
    /// and forgetting the tokens is all we can do.
    async fn revoke(&self, _grant: &Grant) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Reads the person's profile.
    async fn identity(&self, token: &AccessToken) -> Result<Identity, ProviderError>;

    /// Reads a fresh balance.
    async fn balance(&self, _token: &AccessToken) -> Result<Balance, ProviderError> {
        Err(ProviderError::NotSupported)
    }

    /// The provider's top-up page.
    async fn topup_url(&self, _token: &AccessToken) -> Result<Url, ProviderError> {
        Err(ProviderError::NotSupported)
    }

    /// Whether the provider has this capability.
    fn can(&self, capability: Capability) -> bool {
        self.info().capabilities.contains(&capability)
    }
}

/// The configured providers, by id, in config order.
#[derive(Debug, Clone)]
pub struct Registry {
    order: Vec<Arc<dyn Provider>>,
    by_id: HashMap<String, Arc<dyn Provider>>,
}

impl Registry {
    /// Builds every adapter; reports every bad kind option at once.
    pub fn from_config(config: &Config, http: &reqwest::Client) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mut order = Vec::new();
        for (index, p) in config.providers.iter().enumerate() {
            let at = format!("providers[{index}]");
            match build(p, http) {
                Ok(provider) => order.push(provider),
                Err(mut errs) => problems.extend(errs.drain(..).map(|e| format!("{at}.{e}"))),
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        let by_id = order
            .iter()
            .map(|p| (p.info().id.clone(), Arc::clone(p)))
            .collect();
        Ok(Self { order, by_id })
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn Provider>> {
        self.by_id.get(id)
    }

    /// All providers in config order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.order.iter()
    }
}

fn build(p: &ProviderConfig, http: &reqwest::Client) -> Result<Arc<dyn Provider>, Vec<String>> {
    match p.kind.as_str() {
        "aihubmix" => Ok(Arc::new(aihubmix::AiHubMix::new(p, http.clone())?)),
        // Config validation only lets known kinds through.
        other => Err(vec![format!("kind: unknown kind `{other}`")]),
    }
}

/// Parses an adapter's kind options, naming the offending key on failure.
fn parse_options<T: serde::de::DeserializeOwned>(p: &ProviderConfig) -> Result<T, Vec<String>> {
    toml::Value::Table(p.options.clone())
        .try_into()
        .map_err(|e: toml::de::Error| vec![e.message().to_owned()])
}

/// Parses an endpoint URL option, naming the key on failure.
fn endpoint(key: &str, value: &str) -> Result<Url, String> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        Ok(_) => Err(format!("{key}: must be an http or https URL")),
        Err(e) => Err(format!("{key}: {e}")),
    }
}
