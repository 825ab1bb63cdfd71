//! The AIHubMix dialect (docs/providers.md): consent, form token endpoint, userinfo, top-up,
//! and app registration.
//!
//! AIHubMix's OAuth provider is proprietary and documented only by one reference
//! document (seed 004), so where it is silent this follows RFC 6749 and says so.
//! Every route lives under [`PREFIX`], mirroring the real paths below it.
//!
//! `authorize` holds the authorize endpoint and consent, `token` the token endpoint
//! with the tokens it issues and revokes, `api` userinfo and top-up, `apps` the
//! developer's app registration, and `balance` the `balance_formatted` formulas and
//! the balance admin endpoint.

mod api;
mod apps;
mod authorize;
mod balance;
mod token;

use std::{collections::HashMap, fmt};

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{grants, state::Sim};

pub(crate) use balance::{BalanceView, set_balance};

/// Path prefix of this dialect on the simulator.
pub(crate) const PREFIX: &str = "/aihubmix";

const AUTHORIZE: &str = "aihubmix.authorize";
const DECISION: &str = "aihubmix.decision";
const TOKEN: &str = "aihubmix.token";
const TOKEN_CODE: &str = "aihubmix.token.authorization_code";
const TOKEN_REFRESH: &str = "aihubmix.token.refresh_token";
const USERINFO: &str = "aihubmix.userinfo";
const TOPUP: &str = "aihubmix.topup";
const APPS: &str = "aihubmix.oauth_apps";

/// Endpoint names, for faults.
pub(crate) const ENDPOINTS: &[&str] = &[AUTHORIZE, DECISION, TOKEN, USERINFO, TOPUP, APPS];
/// Counter keys: the endpoints, plus token calls split by grant type.
pub(crate) const COUNTERS: &[&str] = &[
    AUTHORIZE,
    DECISION,
    TOKEN,
    TOKEN_CODE,
    TOKEN_REFRESH,
    USERINFO,
    TOPUP,
    APPS,
];

const DECISION_PATH: &str = "/api/oauth2/authorize/decision";

/// The dialect's public routes, nested under [`PREFIX`].
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route("/api/oauth2/authorize", get(authorize::authorize))
        .route(DECISION_PATH, post(authorize::decide))
        .route("/api/oauth2/token", post(token::token))
        .route("/api/oauth2/userinfo", get(api::userinfo))
        .route("/api/oauth2/topup", get(api::topup))
        .route("/topup", get(api::topup_page))
        .route("/api/oauth_apps", post(apps::create))
}

/// The dialect's admin routes, nested under `/_sim/aihubmix`.
pub(crate) fn admin_router() -> Router<Sim> {
    Router::new().route("/options", get(get_options).put(put_options))
}

// ---------------------------------------------------------------------------
// Options

/// Behaviour switches for this dialect, where the real service is undocumented
/// or where tests need to reach a state quickly.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Options {
    /// `expires_in` of access tokens (seed: 7200).
    pub(crate) access_token_ttl_secs: u64,
    /// Lifetime of authorization codes.
    pub(crate) code_ttl_secs: u64,
    /// Whether a refresh invalidates the refresh token it used. The seed's client
    /// implies rotation but not invalidation; invalidating is the strict choice.
    pub(crate) rotate_invalidates_old: bool,
    /// Refresh-token lifetime; undocumented, so none unless a test sets one.
    pub(crate) refresh_token_ttl_secs: Option<u64>,
    /// How `balance_formatted` is computed.
    pub(crate) balance_format: BalanceFormat,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 7200,
            code_ttl_secs: 600,
            rotate_invalidates_old: true,
            refresh_token_ttl_secs: None,
            balance_format: BalanceFormat::OneApi,
        }
    }
}

/// `balance_formatted` formulas, which disagree (docs/providers.md, AIHubMix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BalanceFormat {
    /// US dollars: `quota / 500000`, as one-api units imply.
    #[default]
    OneApi,
    /// The seed example's `(quota - used_quota) / 1000`.
    Seed,
}

/// `PUT /_sim/aihubmix/options`: absent fields keep their value;
/// `"refresh_token_ttl_secs": null` removes the refresh-token expiry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsPatch {
    access_token_ttl_secs: Option<u64>,
    code_ttl_secs: Option<u64>,
    rotate_invalidates_old: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    refresh_token_ttl_secs: Option<Option<u64>>,
    balance_format: Option<BalanceFormat>,
}

/// Tells "field absent" (`None`) from "field is null" (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

async fn get_options(State(sim): State<Sim>) -> Json<Options> {
    Json(sim.with(|world| world.aihubmix.options.clone()))
}

async fn put_options(State(sim): State<Sim>, Json(patch): Json<OptionsPatch>) -> Json<Options> {
    Json(sim.with(|world| {
        let options = &mut world.aihubmix.options;
        if let Some(ttl) = patch.access_token_ttl_secs {
            options.access_token_ttl_secs = ttl;
        }
        if let Some(ttl) = patch.code_ttl_secs {
            options.code_ttl_secs = ttl;
        }
        if let Some(invalidate) = patch.rotate_invalidates_old {
            options.rotate_invalidates_old = invalidate;
        }
        if let Some(ttl) = patch.refresh_token_ttl_secs {
            options.refresh_token_ttl_secs = ttl;
        }
        if let Some(format) = patch.balance_format {
            options.balance_format = format;
        }
        options.clone()
    }))
}

// ---------------------------------------------------------------------------
// Scopes

/// The granted subset of `profile` and `balance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Scopes {
    profile: bool,
    balance: bool,
}

impl Scopes {
    /// The authorize request's `scope`. An absent or blank one means `profile`:
    /// the seed does not say, and a login without a username is of little use.
    fn parse_requested(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim) {
            None | Some("") => Ok(Self {
                profile: true,
                balance: false,
            }),
            Some(raw) => Self::parse_list(raw),
        }
    }

    /// A space-separated list; `Err` carries the first unknown scope.
    fn parse_list(raw: &str) -> Result<Self, String> {
        let mut scopes = Self::default();
        for scope in raw.split(' ').filter(|scope| !scope.is_empty()) {
            match scope {
                "profile" => scopes.profile = true,
                "balance" => scopes.balance = true,
                unknown => return Err(unknown.to_owned()),
            }
        }
        Ok(scopes)
    }

    fn contains(self, other: Self) -> bool {
        (self.profile || !other.profile) && (self.balance || !other.balance)
    }

    fn permissions(self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.profile {
            words.push("Your username and email address");
        }
        if self.balance {
            words.push("Your account balance (remaining and used quota)");
        }
        words
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [(self.profile, "profile"), (self.balance, "balance")];
        f.write_str(&crate::oauth::scope_string(&names))
    }
}

// ---------------------------------------------------------------------------
// Grants

/// Codes and tokens this dialect has issued.
///
/// Every code starts a "grant" (an id shared by the code and every token issued
/// from it or its refreshes), so a replayed code can revoke the lot.
#[derive(Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    codes: HashMap<String, CodeGrant>,
    access_tokens: HashMap<String, AccessGrant>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    next_grant_id: u64,
}

// By hand: the maps are keyed by live tokens.
impl fmt::Debug for DialectState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialectState")
            .field("options", &self.options)
            .field("codes", &self.codes.len())
            .field("access_tokens", &self.access_tokens.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .finish()
    }
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    user_id: u64,
    scopes: Scopes,
    challenge: Option<String>,
    expires_at: u64,
    grant_id: u64,
    /// Kept after use so a replay is recognised (and punished) rather than
    /// looking like an unknown code.
    redeemed: bool,
}

#[derive(Clone)]
struct AccessGrant {
    user_id: u64,
    scopes: Scopes,
    expires_at: u64,
    grant_id: u64,
    revoked: bool,
}

struct RefreshGrant {
    client_id: String,
    user_id: u64,
    scopes: Scopes,
    grant_id: u64,
    expires_at: Option<u64>,
    status: RefreshStatus,
}

grants::revocable!(AccessGrant);
grants::revocable!(RefreshGrant, RefreshStatus);

#[derive(Clone, Copy, PartialEq, Eq)]
enum RefreshStatus {
    Active,
    /// Used for a refresh while `rotate_invalidates_old` was on.
    Rotated,
    Revoked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print() {
        let both = Scopes::parse_requested(Some("balance  profile")).expect("valid");
        assert_eq!(both.to_string(), "profile balance");
        assert_eq!(
            Scopes::parse_requested(None).expect("default").to_string(),
            "profile"
        );
        assert_eq!(
            Scopes::parse_requested(Some("profile email")),
            Err("email".to_owned())
        );
        let profile = Scopes::parse_list("profile").expect("valid");
        assert!(both.contains(profile));
        assert!(!profile.contains(both));
    }
}
