//! Token revocation shared by the dialects' maps of issued access and refresh tokens.

use std::collections::HashMap;

use serde::Deserialize;

/// `POST /_sim/tokens/revoke`: what to revoke, as if the user had disconnected
/// the app at the provider. Every dialect revokes what it knows of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Revoke {
    pub(crate) access_token: Option<String>,
    pub(crate) refresh_token: Option<String>,
    /// Revokes every token of this user.
    pub(crate) user_id: Option<u64>,
}

/// What an issued token's grant must expose to be revoked.
pub(crate) trait Revocable {
    /// The user the token was issued to.
    fn user_id(&self) -> u64;
    /// Whether the token still works (expiry aside): not revoked, nor used up.
    fn usable(&self) -> bool;
    /// Marks the token revoked.
    fn revoke(&mut self);
}

/// Revokes one token; `false` if it is unknown.
pub(crate) fn revoke_token<G: Revocable>(grants: &mut HashMap<String, G>, token: &str) -> bool {
    grants.get_mut(token).map(G::revoke).is_some()
}

/// Revokes every token for which `matches` holds, usable or not.
pub(crate) fn revoke_matching<G: Revocable>(
    grants: &mut HashMap<String, G>,
    matches: impl Fn(&G) -> bool,
) {
    grants
        .values_mut()
        .filter(|grant| matches(grant))
        .for_each(G::revoke);
}

/// Revokes every usable token of a user; returns how many there were.
pub(crate) fn revoke_user<G: Revocable>(grants: &mut HashMap<String, G>, user_id: u64) -> usize {
    let mut revoked = 0;
    for grant in grants.values_mut() {
        if grant.user_id() == user_id && grant.usable() {
            grant.revoke();
            revoked += 1;
        }
    }
    revoked
}

/// Implements [`Revocable`] for a grant with a `user_id: u64` field and either
/// `revoked: bool` (access tokens) or `status` of the given enum, whose
/// `Active` and `Revoked` variants mean usable and revoked (refresh tokens).
macro_rules! revocable {
    ($grant:ty) => {
        impl $crate::grants::Revocable for $grant {
            fn user_id(&self) -> u64 {
                self.user_id
            }
            fn usable(&self) -> bool {
                !self.revoked
            }
            fn revoke(&mut self) {
                self.revoked = true;
            }
        }
    };
    ($grant:ty, $status:ident) => {
        impl $crate::grants::Revocable for $grant {
            fn user_id(&self) -> u64 {
                self.user_id
            }
            fn usable(&self) -> bool {
                self.status == $status::Active
            }
            fn revoke(&mut self) {
                self.status = $status::Revoked;
            }
        }
    };
}
pub(crate) use revocable;
