//! What the provider layer is configured with: one entry per provider
//! instance, the upstream HTTP settings, and the kinds this build knows.

use oauth2::ClientSecret;
use std::{fmt, time::Duration};

/// Every adapter kind this build knows.
pub const KINDS: &[&str] = &[
    "aihubmix",
    "elice",
    "feishu",
    "line-login",
    "line-messaging",
    "line-notify",
    "oauth2",
    "oidc",
];

/// Upstream (provider) HTTP settings.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// One provider instance.
#[derive(Clone)]
pub struct ProviderConfig {
    /// URL segment, unique.
    pub id: String,
    /// Adapter kind.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (never from the file).
    pub client_secret: ClientSecret,
    /// Scopes, `None` for the kind's default.
    pub scopes: Option<Vec<String>>,
    /// Kind-specific keys, parsed by the adapter.
    pub options: toml::Table,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("options", &self.options)
            .finish()
    }
}
