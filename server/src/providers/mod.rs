//! Provider adapters: the `Provider` trait, the grant it produces, its errors,
//! and the registry built from config (one file per kind beside this one).

mod aihubmix;
mod elice;
mod feishu;
mod generic;
mod http;
mod instrumented;
mod jwt;
mod line_login;
mod line_messaging;
mod line_notify;
mod messaging;
mod oidc;
mod token;

pub use crate::grant::Grant;
pub use http::upstream_client;
pub use messaging::{Messaging, Pushed, is_line_user_id};

use crate::config::{Config, ConfigError, ProviderConfig};
use async_trait::async_trait;
use keyhole_api::{Balance, Capability, Profile, ProviderInfo};
use oauth2::AccessToken;
use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    sync::Arc,
};
use url::Url;

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
    /// The person's UI language (BCP 47 primary tag), for providers that
    /// localise their pages.
    pub lang: Option<&'a str>,
}

/// What the callback brought, for the code exchange.
#[derive(Debug)]
pub struct ExchangeRequest<'a> {
    /// The authorization code (secret).
    pub code: String,
    /// PKCE verifier, when the adapter sent a challenge.
    pub pkce_verifier: Option<String>,
    /// The redirect URI used at authorize time.
    pub redirect_uri: &'a str,
    /// The nonce sent at authorize time (to check in an ID token).
    pub nonce: &'a str,
    /// Other callback parameters (never `code` or `state`).
    pub callback: &'a BTreeMap<String, String>,
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
    #[error("provider rejected the request: {error} {}", description.as_deref().unwrap_or(""))]
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
    /// The provider's rate limit is exhausted (with its numbers, if sent).
    #[error("provider rate limit reached")]
    RateLimited(Option<keyhole_api::RateLimit>),
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

    /// The provider's authorize URL for this login (async: some providers
    /// must first be discovered).
    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError>;

    /// Exchanges an authorization code for a grant.
    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError>;

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

    /// Reads the person's profile (from the provider, or the grant's claims).
    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError>;

    /// Reads a fresh balance.
    async fn balance(&self, _token: &AccessToken) -> Result<Balance, ProviderError> {
        Err(ProviderError::NotSupported)
    }

    /// The provider's top-up page.
    async fn topup_url(&self, _token: &AccessToken) -> Result<Url, ProviderError> {
        Err(ProviderError::NotSupported)
    }

    /// Sends a notification; returns the provider's rate limit, if reported.
    async fn notify(
        &self,
        _token: &AccessToken,
        _message: &str,
    ) -> Result<Option<keyhole_api::RateLimit>, ProviderError> {
        Err(ProviderError::NotSupported)
    }

    /// Whether the person is a friend of the linked official account.
    async fn friendship(&self, _token: &AccessToken) -> Result<bool, ProviderError> {
        Err(ProviderError::NotSupported)
    }

    /// Where to befriend the linked official account, if configured.
    fn add_friend_url(&self) -> Option<Url> {
        None
    }

    /// The messaging side (webhooks, push) of a messaging provider.
    fn messaging(&self) -> Option<&dyn Messaging> {
        None
    }

    /// Whether the provider has this capability.
    fn can(&self, capability: Capability) -> bool {
        self.info().capabilities.contains(&capability)
    }
}

/// The configured providers, by id, in config order.
#[derive(Debug, Clone)]
pub struct Registry {
    // Behind `Arc`s: axum clones the state several times per request, and
    // a deep copy here showed up as a fifth of /api/me's CPU (BENCHMARKS.md).
    order: Arc<[Arc<dyn Provider>]>,
    by_id: Arc<HashMap<String, Arc<dyn Provider>>>,
}

impl Registry {
    /// Builds every adapter; reports every bad kind option at once.
    pub fn from_config(
        config: &Config,
        http: &reqwest::Client,
        metrics: &crate::metrics::Metrics,
    ) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mut order = Vec::new();
        for (index, p) in config.providers.iter().enumerate() {
            let at = format!("providers[{index}]");
            match build(p, http) {
                Ok(provider) => {
                    order.push(instrumented::Instrumented::wrap(provider, metrics.clone()))
                }
                Err(mut errs) => problems.extend(errs.drain(..).map(|e| format!("{at}.{e}"))),
            }
        }
        if problems.is_empty() {
            // Indices match the config only when every provider was built.
            problems.extend(messaging_links(&order));
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        let by_id = order
            .iter()
            .map(|p| (p.info().id.clone(), Arc::clone(p)))
            .collect();
        Ok(Self {
            order: order.into(),
            by_id: Arc::new(by_id),
        })
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

/// A messaging provider's `login_provider` must be a configured `line-login`
/// provider: its people's profile ids are the bot's recipients.
fn messaging_links(order: &[Arc<dyn Provider>]) -> Vec<String> {
    let mut problems = Vec::new();
    for (index, p) in order.iter().enumerate() {
        let Some(messaging) = p.messaging() else {
            continue;
        };
        let login = messaging.login_provider();
        if !order
            .iter()
            .any(|o| o.info().id == login && o.info().kind == "line-login")
        {
            problems.push(format!(
                "providers[{index}].login_provider: `{login}` is not a configured line-login provider"
            ));
        }
    }
    problems
}

fn build(p: &ProviderConfig, http: &reqwest::Client) -> Result<Arc<dyn Provider>, Vec<String>> {
    match p.kind.as_str() {
        "aihubmix" => Ok(Arc::new(aihubmix::AiHubMix::new(p, http.clone())?)),
        "oauth2" => Ok(Arc::new(generic::Generic::new(p, http.clone())?)),
        "line-login" => Ok(Arc::new(line_login::LineLogin::new(p, http.clone())?)),
        "elice" => Ok(Arc::new(elice::Elice::new(p, http.clone())?)),
        "oidc" => Ok(Arc::new(oidc::Oidc::new(p, http.clone())?)),
        "feishu" => Ok(Arc::new(feishu::Feishu::new(p, http.clone())?)),
        "line-notify" => Ok(Arc::new(line_notify::LineNotify::new(p, http.clone())?)),
        "line-messaging" => Ok(Arc::new(line_messaging::LineMessaging::new(
            p,
            http.clone(),
        )?)),
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
