//! Keyhole's session store: server-side sessions, their connections and
//! grants, pending logins, locks and small shared records, sealed with
//! AES-256-GCM over a pluggable backend — memory, SQLite or Redis. The
//! browser holds only opaque ids; the store holds only hashes of those ids
//! and sealed values.
//!
//! Layout: [`backend`](Backend) (the storage contract) with `memory.rs`,
//! `sqlite/` and `redis.rs` beside it; `seal.rs` ([`Keyring`]);
//! `store.rs` ([`SessionStore`], typed records over any backend); this file
//! (the records); [`secret`] (random tokens, constant-time comparison).
//!
//! Features: `sqlite` ([`SqliteBackend`]) and `redis` (`RedisBackend`),
//! both on by default; the memory backend is always built.

mod backend;
mod kv;
mod memory;
mod pending;
#[cfg(feature = "redis")]
mod redis;
mod seal;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

pub mod secret;

pub use backend::{Backend, StoreError, StoredConnection, StoredSession};
pub use memory::MemoryBackend;
// `self::`: a bare `redis` would also name the client crate.
#[cfg(feature = "redis")]
pub use self::redis::RedisBackend;
pub use seal::{KeyError, Keyring, SealError};
pub use secret::random_token;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteBackend;
pub use store::SessionStore;

use keyhole_api::{Balance, ConnectionStatus, Profile};
use keyhole_providers::grant::Grant;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};
use time::OffsetDateTime;

/// How long a started login stays valid.
pub const PENDING_TTL: time::Duration = time::Duration::minutes(10);

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

/// A session as the person sees it: its connections without their grants.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    /// When it ends, whatever happens.
    pub expires_at: OffsetDateTime,
    /// Readable connections, ordered by provider id.
    pub connections: Vec<ConnectionView>,
}

/// A connection without its tokens.
#[derive(Debug, Clone)]
pub struct ConnectionView {
    /// Provider id.
    pub provider: String,
    /// Whether the tokens are still usable, as of the read: a grant past
    /// [`usable_until`](Self::usable_until) reads as `ReauthRequired` even
    /// before anything has tried to use it.
    pub status: ConnectionStatus,
    /// When the connection stops working by itself: the access token's
    /// expiry when no refresh token can renew it (Elice). `None` when it can
    /// be renewed, or never expires.
    pub usable_until: Option<OffsetDateTime>,
    /// Profile read at sign-in.
    pub profile: Profile,
    /// Last balance read.
    pub balance: Option<Balance>,
    /// When the person connected.
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

impl LoginMode {
    /// The wire spelling (`popup`, `redirect`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Popup => "popup",
            Self::Redirect => "redirect",
        }
    }
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
