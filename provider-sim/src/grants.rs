//! The grant store every OAuth dialect keeps: codes, access and refresh tokens, and their revocation.
//!
//! A code starts a "grant" (an id shared by the code and every token issued
//! from it or its refreshes), so a replayed code or a reused refresh token can
//! revoke the lot. What a dialect keeps beyond the common fields goes in the
//! `extra` of each record ([`Code`], [`Access`], [`Refresh`]); the rules that
//! differ between providers ([`CodeRules`], [`RefreshRules`]) are passed in.

use std::{collections::HashMap, fmt};

use axum::http::HeaderMap;

use crate::oauth::{self, PkceFailure};

/// An authorization code, bound to its client, user and request.
#[derive(Debug, Clone)]
pub(crate) struct Code<T> {
    pub(crate) client_id: String,
    /// `None` for a flow whose token call binds nothing (no redirect URI or
    /// PKCE check, whatever the rules say).
    pub(crate) redirect_uri: Option<String>,
    pub(crate) user_id: u64,
    /// PKCE challenge and whether it is S256 (else `plain`).
    pub(crate) challenge: Option<(String, bool)>,
    pub(crate) expires_at: u64,
    pub(crate) grant_id: u64,
    /// Kept after use so a replay is recognised (and punished) rather than
    /// looking like an unknown code.
    pub(crate) redeemed: bool,
    pub(crate) extra: T,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct Access<T> {
    pub(crate) client_id: String,
    pub(crate) user_id: u64,
    pub(crate) expires_at: u64,
    pub(crate) grant_id: u64,
    pub(crate) revoked: bool,
    pub(crate) extra: T,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(crate) struct Refresh<T> {
    pub(crate) client_id: String,
    pub(crate) user_id: u64,
    /// `None`: never expires.
    pub(crate) expires_at: Option<u64>,
    pub(crate) grant_id: u64,
    pub(crate) status: RefreshStatus,
    pub(crate) extra: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshStatus {
    Active,
    /// Spent by a refresh that rotated it.
    Used,
    Revoked,
}

/// Whose a token is: the fields every record of one grant shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) user_id: u64,
    pub(crate) grant_id: u64,
}

impl<'a> Owner<'a> {
    pub(crate) fn new(client_id: &'a str, user_id: u64, grant_id: u64) -> Self {
        Self {
            client_id,
            user_id,
            grant_id,
        }
    }
}

/// How a provider checks a code at its token endpoint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeRules {
    /// Report a used code before a code of another client.
    pub(crate) used_first: bool,
    /// A replayed code revokes every token of its grant (RFC 6749 §4.1.2).
    pub(crate) replay_revokes: bool,
    /// The token call's `redirect_uri` must equal the authorization request's.
    pub(crate) redirect: bool,
    /// The token call's `code_verifier` is checked against the challenge.
    pub(crate) pkce: bool,
}

impl CodeRules {
    /// RFC 6749 to the letter: the client first, a replay revokes the grant
    /// (§4.1.2), and the redirect URI and PKCE challenge are bound.
    pub(crate) const STRICT: Self = Self {
        used_first: false,
        replay_revokes: true,
        redirect: true,
        pkce: true,
    };
}

/// Why a code was refused, in the order of the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeFailure {
    Unknown,
    OtherClient,
    /// Already redeemed (and, by the rules, its grant revoked).
    Used,
    Expired,
    RedirectMismatch,
    Pkce(PkceFailure),
}

/// A token call's claim on a code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Redeem<'a> {
    pub(crate) code: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) now: u64,
    pub(crate) redirect_uri: Option<&'a str>,
    pub(crate) verifier: Option<&'a str>,
}

/// Why a refresh token was refused, in the order of the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshFailure {
    Unknown,
    OtherClient,
    /// Already spent by a rotating refresh.
    Used,
    Revoked,
    Expired,
}

/// Why a bearer token was refused at a resource endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerFailure {
    Missing,
    Unknown,
    Revoked,
    Expired,
}

impl BearerFailure {
    /// The RFC 6750 `error_description` every OAuth-style dialect sends.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Missing => "missing bearer token",
            Self::Unknown => "unknown access token",
            Self::Revoked => "the access token was revoked",
            Self::Expired => "the access token has expired",
        }
    }
}

/// One dialect's codes and tokens; `C`, `A` and `R` are what it keeps beyond
/// the common fields of each.
pub(crate) struct Grants<C, A = (), R = ()> {
    pub(crate) codes: HashMap<String, Code<C>>,
    pub(crate) access: HashMap<String, Access<A>>,
    pub(crate) refresh: HashMap<String, Refresh<R>>,
    next_grant_id: u64,
}

impl<C, A, R> Default for Grants<C, A, R> {
    fn default() -> Self {
        Self {
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            next_grant_id: 0,
        }
    }
}

// By hand: the maps are keyed by live codes and tokens.
impl<C, A, R> fmt::Debug for Grants<C, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grants")
            .field("codes", &self.codes.len())
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .finish()
    }
}

impl<C, A, R> Grants<C, A, R> {
    /// A new grant id.
    pub(crate) fn next_grant(&mut self) -> u64 {
        self.next_grant_id += 1;
        self.next_grant_id
    }

    /// Stores `code` as a new grant under a value of `bytes` random bytes,
    /// and returns the value.
    pub(crate) fn add_code(&mut self, bytes: usize, mut code: Code<C>) -> String {
        code.grant_id = self.next_grant();
        let value = oauth::random_token(bytes);
        self.codes.insert(value.clone(), code);
        value
    }

    /// Stores access token `token` of `owner`, usable until `expires_at`.
    pub(crate) fn add_access(&mut self, token: &str, owner: Owner<'_>, expires_at: u64, extra: A) {
        let access = Access {
            client_id: owner.client_id.to_owned(),
            user_id: owner.user_id,
            expires_at,
            grant_id: owner.grant_id,
            revoked: false,
            extra,
        };
        self.access.insert(token.to_owned(), access);
    }

    /// Stores an active refresh token of `owner`; `None` never expires.
    pub(crate) fn add_refresh(
        &mut self,
        token: &str,
        owner: Owner<'_>,
        expires_at: Option<u64>,
        extra: R,
    ) {
        let refresh = Refresh {
            client_id: owner.client_id.to_owned(),
            user_id: owner.user_id,
            expires_at,
            grant_id: owner.grant_id,
            status: RefreshStatus::Active,
            extra,
        };
        self.refresh.insert(token.to_owned(), refresh);
    }

    /// Redeems a code: checks it per `rules`, marks it used and returns it.
    pub(crate) fn redeem(
        &mut self,
        claim: &Redeem<'_>,
        rules: CodeRules,
    ) -> Result<Code<C>, CodeFailure>
    where
        C: Clone,
    {
        let code = self.codes.get(claim.code).ok_or(CodeFailure::Unknown)?;
        let other_client = code.client_id != claim.client_id;
        if other_client && !(rules.used_first && code.redeemed) {
            return Err(CodeFailure::OtherClient);
        }
        if code.redeemed {
            if rules.replay_revokes {
                let grant_id = code.grant_id;
                self.revoke_grant(grant_id);
            }
            return Err(CodeFailure::Used);
        }
        if claim.now >= code.expires_at {
            return Err(CodeFailure::Expired);
        }
        if let Some(bound) = &code.redirect_uri {
            if rules.redirect && claim.redirect_uri != Some(bound.as_str()) {
                return Err(CodeFailure::RedirectMismatch);
            }
            if rules.pkce {
                let challenge = code.challenge.as_ref();
                let challenge = challenge.map(|(challenge, s256)| (challenge.as_str(), *s256));
                oauth::check_pkce(challenge, claim.verifier).map_err(CodeFailure::Pkce)?;
            }
        }
        let code = self.codes.get_mut(claim.code).ok_or(CodeFailure::Unknown)?;
        code.redeemed = true;
        Ok(code.clone())
    }

    /// Checks a refresh token for `client_id`, without spending it. A reused
    /// token revokes its whole grant when `reuse_revokes` (RFC 9700 §4.14.2).
    pub(crate) fn refresh_token(
        &mut self,
        token: &str,
        client_id: &str,
        now: u64,
        reuse_revokes: bool,
    ) -> Result<&mut Refresh<R>, RefreshFailure> {
        let grant = self.refresh.get(token).ok_or(RefreshFailure::Unknown)?;
        if grant.client_id != client_id {
            return Err(RefreshFailure::OtherClient);
        }
        match grant.status {
            RefreshStatus::Active => {}
            RefreshStatus::Used => {
                if reuse_revokes {
                    let grant_id = grant.grant_id;
                    self.revoke_grant(grant_id);
                }
                return Err(RefreshFailure::Used);
            }
            RefreshStatus::Revoked => return Err(RefreshFailure::Revoked),
        }
        if grant.expires_at.is_some_and(|expires_at| now >= expires_at) {
            return Err(RefreshFailure::Expired);
        }
        self.refresh.get_mut(token).ok_or(RefreshFailure::Unknown)
    }

    /// The usable access token of an `Authorization: Bearer` header.
    pub(crate) fn bearer(
        &self,
        headers: &HeaderMap,
        now: u64,
    ) -> Result<&Access<A>, BearerFailure> {
        self.live_access(oauth::bearer(headers).ok_or(BearerFailure::Missing)?, now)
    }

    /// The access token `token`, if it is usable at `now`.
    pub(crate) fn live_access(&self, token: &str, now: u64) -> Result<&Access<A>, BearerFailure> {
        let grant = self.access.get(token).ok_or(BearerFailure::Unknown)?;
        if grant.revoked {
            return Err(BearerFailure::Revoked);
        }
        if now >= grant.expires_at {
            return Err(BearerFailure::Expired);
        }
        Ok(grant)
    }

    /// Revokes every token of one grant.
    pub(crate) fn revoke_grant(&mut self, grant_id: u64) {
        for grant in self.access.values_mut().filter(|g| g.grant_id == grant_id) {
            grant.revoked = true;
        }
        for grant in self.refresh.values_mut().filter(|g| g.grant_id == grant_id) {
            grant.status = RefreshStatus::Revoked;
        }
    }

    /// Revokes the whole grant of an access or refresh token; `false` if the
    /// token is unknown.
    pub(crate) fn revoke_token_grant(&mut self, token: &str) -> bool {
        let access = self.access.get(token).map(|grant| grant.grant_id);
        let grant_id = access.or_else(|| self.refresh.get(token).map(|grant| grant.grant_id));
        grant_id
            .map(|grant_id| self.revoke_grant(grant_id))
            .is_some()
    }
}

/// What the admin API's revocation needs of a dialect's grant store.
pub(crate) trait Revoker {
    /// Revokes one access token; `false` if it is unknown.
    fn revoke_access(&mut self, token: &str) -> bool;
    /// Revokes one refresh token; `false` if it is unknown.
    fn revoke_refresh(&mut self, token: &str) -> bool;
    /// Revokes every usable token of a user; how many there were.
    fn revoke_user(&mut self, user_id: u64) -> usize;
}

impl<C, A, R> Revoker for Grants<C, A, R> {
    fn revoke_access(&mut self, token: &str) -> bool {
        self.access
            .get_mut(token)
            .map(|g| g.revoked = true)
            .is_some()
    }

    fn revoke_refresh(&mut self, token: &str) -> bool {
        let grant = self.refresh.get_mut(token);
        grant.map(|g| g.status = RefreshStatus::Revoked).is_some()
    }

    fn revoke_user(&mut self, user_id: u64) -> usize {
        let mut revoked = 0;
        for grant in self.access.values_mut() {
            if grant.user_id == user_id && !grant.revoked {
                grant.revoked = true;
                revoked += 1;
            }
        }
        for grant in self.refresh.values_mut() {
            if grant.user_id == user_id && grant.status == RefreshStatus::Active {
                grant.status = RefreshStatus::Revoked;
                revoked += 1;
            }
        }
        revoked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: CodeRules = CodeRules::STRICT;

    fn store() -> (Grants<()>, String) {
        let mut grants = Grants::default();
        let code = grants.add_code(
            16,
            Code {
                client_id: "app".to_owned(),
                redirect_uri: Some("http://app/cb".to_owned()),
                user_id: 7,
                challenge: None,
                expires_at: 100,
                grant_id: 0,
                redeemed: false,
                extra: (),
            },
        );
        let grant_id = grants.codes[&code].grant_id;
        grants.access.insert(
            "at".to_owned(),
            Access {
                client_id: "app".to_owned(),
                user_id: 7,
                expires_at: 100,
                grant_id,
                revoked: false,
                extra: (),
            },
        );
        (grants, code)
    }

    fn claim<'a>(code: &'a str, client_id: &'a str) -> Redeem<'a> {
        Redeem {
            code,
            client_id,
            now: 10,
            redirect_uri: Some("http://app/cb"),
            verifier: None,
        }
    }

    #[test]
    fn a_replayed_code_revokes_its_grant() {
        let (mut grants, code) = store();
        assert!(grants.redeem(&claim(&code, "app"), RULES).is_ok());
        assert_eq!(
            grants.redeem(&claim(&code, "app"), RULES).err(),
            Some(CodeFailure::Used)
        );
        assert!(grants.access["at"].revoked);
    }

    #[test]
    fn the_order_of_client_and_replay_checks_is_the_dialects() {
        let (mut grants, code) = store();
        assert!(grants.redeem(&claim(&code, "app"), RULES).is_ok());
        let other = claim(&code, "other");
        assert_eq!(
            grants.redeem(&other, RULES).err(),
            Some(CodeFailure::OtherClient)
        );
        assert!(!grants.access["at"].revoked);
        let used_first = CodeRules {
            used_first: true,
            replay_revokes: false,
            ..RULES
        };
        assert_eq!(
            grants.redeem(&other, used_first).err(),
            Some(CodeFailure::Used)
        );
    }

    #[test]
    fn revoking_a_user_counts_usable_tokens() {
        let (mut grants, _) = store();
        assert_eq!(grants.revoke_user(7), 1);
        assert_eq!(grants.revoke_user(7), 0);
        let headers = HeaderMap::new();
        assert_eq!(
            grants.bearer(&headers, 0).err(),
            Some(BearerFailure::Missing)
        );
    }
}
