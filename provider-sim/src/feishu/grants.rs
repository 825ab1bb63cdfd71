//! What the Feishu dialect has issued: app tokens, codes, user and refresh tokens, and their revocation.

use std::{collections::HashMap, fmt};

use super::{options::Options, v2};
use crate::{grants, oauth};

/// Which login API issued a code or token: each refuses the other's refresh tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Generation {
    V1,
    V2,
}

/// Everything this dialect has issued.
#[derive(Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    /// Every app_access_token ever issued, with its app and expiry.
    pub(super) app_tokens: HashMap<String, AppToken>,
    /// The token the internal endpoint currently hands out, per app.
    pub(super) current_app_token: HashMap<String, String>,
    pub(super) codes: HashMap<String, CodeGrant>,
    pub(super) user_tokens: HashMap<String, UserToken>,
    pub(super) refresh_tokens: HashMap<String, RefreshGrant>,
    next_grant_id: u64,
}

// By hand: the maps are keyed by live tokens.
impl fmt::Debug for DialectState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialectState")
            .field("options", &self.options)
            .field("app_tokens", &self.app_tokens.len())
            .field("codes", &self.codes.len())
            .field("user_tokens", &self.user_tokens.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .finish()
    }
}

pub(super) struct AppToken {
    pub(super) app_id: String,
    pub(super) expires_at: u64,
}

pub(super) struct CodeGrant {
    pub(super) app_id: String,
    pub(super) user_id: u64,
    pub(super) expires_at: u64,
    pub(super) grant_id: u64,
    pub(super) redeemed: bool,
    /// What the v2 authorize page was asked for; `None` for v1 index codes.
    pub(super) v2: Option<v2::CodeRequest>,
}

#[derive(Clone)]
pub(super) struct UserToken {
    pub(super) user_id: u64,
    pub(super) expires_at: u64,
    pub(super) revoked: bool,
}

pub(super) struct RefreshGrant {
    pub(super) app_id: String,
    pub(super) user_id: u64,
    pub(super) expires_at: u64,
    pub(super) grant_id: u64,
    pub(super) generation: Generation,
    /// Granted scope (v2 only), kept for narrowing on refresh.
    pub(super) scope: String,
    /// The access token issued with this refresh token, which a refresh
    /// retires after the grace period.
    pub(super) access_token: String,
    pub(super) status: RefreshStatus,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RefreshStatus {
    Active,
    Used,
    Revoked,
}

grants::revocable!(UserToken);
grants::revocable!(RefreshGrant, RefreshStatus);

/// A freshly issued user token pair.
pub(super) struct Issued {
    pub(super) access_token: String,
    pub(super) refresh_token: String,
    pub(super) expires_in: u64,
    pub(super) refresh_expires_in: u64,
}

impl DialectState {
    pub(super) fn next_grant(&mut self) -> u64 {
        self.next_grant_id += 1;
        self.next_grant_id
    }

    /// Issues a user token and a refresh token for one grant.
    pub(super) fn issue(
        &mut self,
        now: u64,
        app_id: &str,
        user_id: u64,
        grant_id: u64,
        generation: Generation,
        scope: &str,
    ) -> Issued {
        let (access_token, refresh_token, refresh_ttl) = match generation {
            Generation::V1 => (
                format!("u-{}", oauth::random_token(30)),
                format!("ur-{}", oauth::random_token(30)),
                self.options.refresh_token_ttl_secs,
            ),
            Generation::V2 => (
                v2::jws_shaped_token(now, app_id),
                v2::jws_shaped_token(now, app_id),
                self.options.v2_refresh_token_ttl_secs,
            ),
        };
        let ttl = self.options.user_token_ttl_secs;
        self.user_tokens.insert(
            access_token.clone(),
            UserToken {
                user_id,
                expires_at: now.saturating_add(ttl),
                revoked: false,
            },
        );
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                app_id: app_id.to_owned(),
                user_id,
                expires_at: now.saturating_add(refresh_ttl),
                grant_id,
                generation,
                scope: scope.to_owned(),
                access_token: access_token.clone(),
                status: RefreshStatus::Active,
            },
        );
        Issued {
            access_token,
            refresh_token,
            expires_in: ttl,
            refresh_expires_in: refresh_ttl,
        }
    }

    /// After a refresh: the old access token lives on only for the grace period.
    pub(super) fn retire_access_token(&mut self, token: &str, now: u64) {
        let grace = self.options.old_access_token_grace_secs;
        if let (Some(grace), Some(old)) = (grace, self.user_tokens.get_mut(token)) {
            old.expires_at = old.expires_at.min(now.saturating_add(grace));
        }
    }
}
