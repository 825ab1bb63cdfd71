//! What the Feishu dialect has issued (app tokens, and codes and user tokens in the shared grant store), and Feishu's error numbers for refused ones.

use std::collections::HashMap;

use super::{options::Options, v2};
use crate::{
    grants::{CodeFailure, Grants, Owner, Refresh, RefreshFailure, RefreshStatus},
    oauth,
};

/// Which login API issued a code or token: each refuses the other's refresh tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Generation {
    V1,
    V2,
}

/// Everything this dialect has issued.
#[derive(Debug, Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    /// Every app_access_token ever issued, with its app and expiry.
    pub(super) app_tokens: HashMap<String, AppToken>,
    /// The token the internal endpoint currently hands out, per app.
    pub(super) current_app_token: HashMap<String, String>,
    /// Codes keep the v2 request's scope (empty for v1 codes, which are bound
    /// to no redirect URI); refresh tokens keep their [`Pair`].
    pub(super) grants: Grants<String, (), Pair>,
}

#[derive(Debug)]
pub(super) struct AppToken {
    pub(super) app_id: String,
    pub(super) expires_at: u64,
}

/// What a refresh token keeps beyond the grant store's fields.
#[derive(Debug, Clone)]
pub(super) struct Pair {
    pub(super) generation: Generation,
    /// Granted scope (v2 only), kept for narrowing on refresh.
    pub(super) scope: String,
    /// The access token issued with this refresh token, which a refresh
    /// retires after the grace period.
    pub(super) access_token: String,
}

/// A freshly issued user token pair.
pub(super) struct Issued {
    pub(super) access_token: String,
    pub(super) refresh_token: String,
    pub(super) expires_in: u64,
    pub(super) refresh_expires_in: u64,
}

impl DialectState {
    /// Issues a user token and a refresh token for one grant.
    pub(super) fn issue(
        &mut self,
        now: u64,
        app_id: &str,
        (user_id, grant_id): (u64, u64),
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
        let owner = Owner::new(app_id, user_id, grant_id);
        let grants = &mut self.grants;
        grants.add_access(&access_token, owner, now.saturating_add(ttl), ());
        let pair = Pair {
            generation,
            scope: scope.to_owned(),
            access_token: access_token.clone(),
        };
        let expires_at = Some(now.saturating_add(refresh_ttl));
        grants.add_refresh(&refresh_token, owner, expires_at, pair);
        Issued {
            access_token,
            refresh_token,
            expires_in: ttl,
            refresh_expires_in: refresh_ttl,
        }
    }

    /// Spends a refresh token of `generation` (single use, no revocation on
    /// reuse), leaving the old access token to [`Self::retire_access_token`].
    pub(super) fn spend_refresh(
        &mut self,
        token: &str,
        app_id: &str,
        now: u64,
        generation: Generation,
    ) -> Result<Refresh<Pair>, RefreshFailure> {
        let other = self.grants.refresh.get(token);
        if other.is_some_and(|grant| grant.extra.generation != generation) {
            return Err(RefreshFailure::Unknown);
        }
        let grant = self.grants.refresh_token(token, app_id, now, false)?;
        grant.status = RefreshStatus::Used;
        Ok(grant.clone())
    }

    /// After a refresh: the old access token lives on only for the grace period.
    pub(super) fn retire_access_token(&mut self, token: &str, now: u64) {
        let grace = self.options.old_access_token_grace_secs;
        if let (Some(grace), Some(old)) = (grace, self.grants.access.get_mut(token)) {
            old.expires_at = old.expires_at.min(now.saturating_add(grace));
        }
    }
}

impl Generation {
    /// Feishu's error number and message for a refused code. The numbers are
    /// those of the v2 table; v1's own table lists only the generic ones.
    pub(super) fn code_error(self, failure: CodeFailure) -> (u32, String) {
        let v1 = self == Self::V1;
        let (code, message) = match failure {
            CodeFailure::Unknown if v1 => (20003, "code not found"),
            CodeFailure::Unknown => (20003, "authorization code not found"),
            CodeFailure::Used if v1 => (20065, "code already used"),
            CodeFailure::Used => (20065, "authorization code already used"),
            CodeFailure::OtherClient if v1 => (
                20024,
                "the code was issued to another app than the app_access_token's",
            ),
            CodeFailure::OtherClient => (20024, "the code belongs to another app"),
            CodeFailure::Expired if v1 => (20004, "code expired"),
            CodeFailure::Expired => (20004, "authorization code expired"),
            CodeFailure::RedirectMismatch => (20071, "redirect_uri mismatch"),
            CodeFailure::Pkce(failure) => {
                let message = format!("PKCE verification failed: {}", failure.describe());
                return (20049, message);
            }
        };
        (code, message.to_owned())
    }

    /// Feishu's error number and message for a refused refresh token;
    /// `reuse_code` is the (optional) number for a reused one.
    pub(super) fn refresh_error(
        self,
        failure: RefreshFailure,
        reuse_code: u32,
    ) -> (u32, &'static str) {
        match failure {
            RefreshFailure::Unknown => (20026, "refresh token invalid"),
            RefreshFailure::OtherClient if self == Self::V1 => (
                20024,
                "the refresh token was issued to another app than the app_access_token's",
            ),
            RefreshFailure::OtherClient => (20024, "the refresh token belongs to another app"),
            RefreshFailure::Used => (reuse_code, "refresh token already used"),
            RefreshFailure::Revoked => (20064, "refresh token revoked"),
            RefreshFailure::Expired => (20037, "refresh token expired"),
        }
    }
}
