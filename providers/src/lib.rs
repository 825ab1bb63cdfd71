//! Keyhole's provider layer: the one path to a provider ([`upstream`]), the
//! one OAuth 2.0 / OpenID Connect engine ([`oauth`]), and an adapter per
//! kind of provider — AIHubMix, LINE Login, LINE Notify, the LINE Messaging
//! API, Elice, Feishu/Lark, any OpenID Connect or plain OAuth2 provider.
//!
//! What a provider can do is a capability trait ([`Login`], [`Wallet`],
//! [`Topup`], [`Notifier`], [`Friends`], [`Messaging`]) asked for with a
//! lookup that returns `Option`, so nothing stubs what it does not do. The
//! [`Registry`] builds every configured adapter and derives the public
//! capability list from those lookups.
//!
//! Layout, from the leaves up: [`clock`], [`grant`], [`config`] →
//! [`upstream`] → [`oauth`] → this file's traits, [`registry`](Registry),
//! and one file per kind (`aihubmix.rs`, with `aihubmix/register.rs` for
//! registering an app; `elice.rs`, `feishu/` with a file per login
//! generation, `generic.rs` for `kind = "oauth2"`, `line_login.rs`,
//! `line_messaging.rs`, `line_notify.rs`, `oidc.rs`).

pub mod clock;
pub mod config;
pub mod grant;
pub mod oauth;
pub mod upstream;

/// Public for its app registration (`aihubmix::register_app`); the adapter
/// itself is reached through the [`Registry`], like every kind's.
pub mod aihubmix;
mod elice;
mod feishu;
mod generic;
mod line_login;
mod line_messaging;
mod line_notify;
mod messaging;
mod oidc;
mod registry;

pub use crate::{
    grant::Grant,
    oauth::{AuthorizeRequest, ExchangeRequest},
    upstream::ProviderError,
};
pub use messaging::{Messaging, Pushed, is_line_user_id};
pub use registry::{Provider, Registry};

use crate::oauth::{Client, TokenResponse};
use async_trait::async_trait;
use keyhole_api::{Balance, Profile, RateLimit};
use oauth2::AccessToken;
use std::fmt;
use url::Url;

/// One configured provider's adapter: which capabilities it has.
pub trait Adapter: Send + Sync + fmt::Debug {
    /// Signing in (or connecting, see [`Login::connect_only`]).
    fn login(&self) -> Option<&dyn Login> {
        None
    }
    /// Reading the person's balance.
    fn wallet(&self) -> Option<&dyn Wallet> {
        None
    }
    /// The provider's top-up page.
    fn topup(&self) -> Option<&dyn Topup> {
        None
    }
    /// Sending the person notifications (LINE Notify).
    fn notifier(&self) -> Option<&dyn Notifier> {
        None
    }
    /// Friendship with a linked official account (LINE Login).
    fn friends(&self) -> Option<&dyn Friends> {
        None
    }
    /// A bot's webhooks and messages (LINE Messaging API).
    fn messaging(&self) -> Option<&dyn Messaging> {
        None
    }
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

/// The OAuth sign-in of a provider.
#[async_trait]
pub trait Login: Send + Sync {
    /// Whether logins send a PKCE challenge.
    fn uses_pkce(&self) -> bool;

    /// Whether this only connects to an existing session (LINE Notify)
    /// rather than signing a person in.
    fn connect_only(&self) -> bool {
        false
    }

    /// The provider's authorize URL for this login (async: some providers
    /// must first be discovered).
    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError>;

    /// Exchanges an authorization code for a grant.
    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError>;

    /// A fresh grant from the refresh token (`NotSupported` without one).
    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError>;

    /// Revokes the grant at the provider where it can; otherwise forgetting
    /// the tokens is all there is to do.
    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError>;

    /// Reads the person's profile (from the provider, or the grant's claims).
    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError>;
}

/// A sign-in done by the standard engine: the kind supplies its client and
/// only what is truly its own. Every `Standard` is a [`Login`].
#[async_trait]
pub trait Standard: Send + Sync {
    /// The engine configured for this provider.
    fn client(&self) -> &Client;

    /// See [`Login::connect_only`].
    fn connect_only(&self) -> bool {
        false
    }

    /// Authorize parameters of this provider beyond the standard ones.
    fn authorize_extra<'a>(&'a self, _request: &AuthorizeRequest<'a>) -> Vec<(&'a str, &'a str)> {
        Vec::new()
    }

    /// The grant from the token response (ID-token checks, claims).
    async fn finish(
        &self,
        response: TokenResponse,
        _request: &ExchangeRequest<'_>,
    ) -> Result<Grant, ProviderError> {
        Ok(self.client().grant(response))
    }

    /// Revocation; RFC 7009 at the configured endpoint by default.
    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        self.client().revoke(grant).await
    }

    /// See [`Login::identity`].
    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError>;
}

#[async_trait]
impl<T: Standard> Login for T {
    fn uses_pkce(&self) -> bool {
        self.client().uses_pkce()
    }

    fn connect_only(&self) -> bool {
        Standard::connect_only(self)
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        Ok(self
            .client()
            .authorize_url(request, &self.authorize_extra(request)))
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        let response = self.client().exchange(&request).await?;
        self.finish(response, &request).await
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        self.client().refresh(grant).await
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        Standard::revoke(self, grant).await
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        Standard::identity(self, grant).await
    }
}

/// Reading a fresh balance.
#[async_trait]
pub trait Wallet: Send + Sync {
    /// The balance now, with the person's access token.
    async fn balance(&self, token: &AccessToken) -> Result<Balance, ProviderError>;
}

/// The provider's top-up page.
#[async_trait]
pub trait Topup: Send + Sync {
    /// Where the person tops up (only http(s) URLs).
    async fn topup_url(&self, token: &AccessToken) -> Result<Url, ProviderError>;
}

/// Sending notifications with the person's token.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `message`; returns the provider's rate limit, if reported.
    async fn notify(
        &self,
        token: &AccessToken,
        message: &str,
    ) -> Result<Option<RateLimit>, ProviderError>;
}

/// Friendship with a linked official account.
#[async_trait]
pub trait Friends: Send + Sync {
    /// Whether the person is a friend of the account.
    async fn is_friend(&self, token: &AccessToken) -> Result<bool, ProviderError>;

    /// Where to befriend the account, if configured.
    fn add_friend_url(&self) -> Option<Url>;
}

/// Only http(s) URLs reach the app as links or images.
pub(crate) fn is_web_url(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// A JSON scalar as text: numbers keep their JSON spelling (never turned
/// into floats), empty strings count as missing.
pub(crate) fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
