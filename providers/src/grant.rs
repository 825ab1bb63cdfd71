//! The grant: what a provider issued for one person, kept only on the server.

use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};
use time::OffsetDateTime;

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
    /// Non-secret facts learnt with the tokens: verified ID-token claims,
    /// callback extras such as LINE's `friendship_status_changed`.
    #[serde(default)]
    pub claims: BTreeMap<String, serde_json::Value>,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // AccessToken and RefreshToken print `[redacted]` themselves.
        f.debug_struct("Grant")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("claims", &self.claims.keys())
            .finish()
    }
}
