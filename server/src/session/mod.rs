//! Server-side sessions and pending logins: the records, the store trait, and
//! the cookies that point at them (the browser holds only opaque ids).

mod cookie;
mod memory;

pub use cookie::{Cookies, binding_hash};
pub use memory::MemoryStore;

use crate::providers::Grant;
use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use keyhole_api::{Balance, ConnectionStatus, Profile};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};
use time::OffsetDateTime;

/// 32 random bytes, URL-safe base64 (256 bits: session ids, states, bindings).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An opaque session id. `Debug` never prints it: it is a bearer credential.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(random_token())
    }

    /// Wraps a value read from a cookie.
    pub fn from_cookie(value: &str) -> Self {
        Self(value.to_owned())
    }

    /// The raw id, for the cookie and the store key only.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

/// One signed-in browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Store key and cookie value.
    pub id: SessionId,
    /// When the session started.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it ends, whatever happens.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// One connection per provider id.
    pub connections: BTreeMap<String, ConnectionRecord>,
}

/// One provider connected to a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// Provider id.
    pub provider: String,
    /// Tokens (server-side only).
    pub grant: Grant,
    /// Whether the tokens are still usable.
    pub status: ConnectionStatus,
    /// Profile read at sign-in.
    pub profile: Profile,
    /// Last balance read.
    pub balance: Option<Balance>,
    /// When the person connected.
    #[serde(with = "time::serde::rfc3339")]
    pub connected_at: OffsetDateTime,
}

/// How the login was started, so the callback answers in kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMode {
    /// A popup window: answer with a page that posts to the opener.
    Popup,
    /// A full-page navigation: answer with a redirect to `return_to`.
    Redirect,
}

/// A login between `/login` and `/callback`, keyed by `state`.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The CSRF state sent to the provider (store key).
    pub state: String,
    /// Provider id the login was started for (mix-up defence).
    pub provider: String,
    /// Popup or redirect.
    pub mode: LoginMode,
    /// Same-origin path to return to (redirect mode).
    pub return_to: String,
    /// PKCE verifier (secret).
    pub pkce_verifier: String,
    /// Nonce for ID tokens.
    pub nonce: String,
    /// SHA-256 of the browser-binding cookie.
    pub binding_hash: String,
    /// After this the login is refused.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("provider", &self.provider)
            .field("mode", &self.mode)
            .field("return_to", &self.return_to)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The store could not be reached or answered garbage.
#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// Where sessions and pending logins live. Backends: memory (here); SQLite and
/// Redis arrive with the server-core and scale-out issues.
#[async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// The session, if it exists and has not expired.
    async fn load(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError>;
    /// Creates or replaces a session.
    async fn save(&self, record: &SessionRecord) -> Result<(), StoreError>;
    /// Deletes a session (no error if absent).
    async fn delete(&self, id: &SessionId) -> Result<(), StoreError>;
    /// Stores a pending login.
    async fn put_pending(&self, pending: &PendingLogin) -> Result<(), StoreError>;
    /// Removes and returns the pending login for `state` — single use — if it
    /// exists and has not expired.
    async fn take_pending(&self, state: &str) -> Result<Option<PendingLogin>, StoreError>;
    /// Whether the store answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
}
