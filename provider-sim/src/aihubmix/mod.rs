//! The AIHubMix dialect (docs/providers.md): consent, form token endpoint, userinfo, top-up,
//! and app registration.
//!
//! AIHubMix's OAuth provider is proprietary and documented only by one reference
//! document (seed 004), so where it is silent this follows RFC 6749 and says so.
//! Every route lives under [`PREFIX`], mirroring the real paths below it.

mod api;
mod apps;
mod authorize;
mod balance;
mod token;

use axum::{
    Router,
    routing::{get, post, put},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    dev,
    dialect::{self, Dialect},
    flow::authorize::{authorize, decide},
    grants::{Grants, Revoker},
    users::User,
};

type Ctx = dialect::Ctx<DialectState>;

const NAME: &str = "aihubmix";
const PREFIX: &str = "/aihubmix";

const AUTHORIZE: &str = "aihubmix.authorize";
const DECISION: &str = "aihubmix.decision";
const TOKEN: &str = "aihubmix.token";
const TOKEN_CODE: &str = "aihubmix.token.authorization_code";
const TOKEN_REFRESH: &str = "aihubmix.token.refresh_token";
const USERINFO: &str = "aihubmix.userinfo";
const TOPUP: &str = "aihubmix.topup";
const APPS: &str = "aihubmix.oauth_apps";

const DECISION_PATH: &str = "/api/oauth2/authorize/decision";

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) = ("AIHubMix", "/api/oauth2/…");
    const ENDPOINTS: &'static [&'static str] = &[AUTHORIZE, DECISION, TOKEN, USERINFO, TOPUP, APPS];
    const COUNTERS: &'static [&'static str] = &[TOKEN_CODE, TOKEN_REFRESH];
    type Options = Options;
    const DEV_CLIENT: (&'static str, &'static str, &'static str) = (
        dev::AIHUBMIX_CLIENT_ID,
        dev::AIHUBMIX_CLIENT_SECRET,
        dev::AIHUBMIX_REDIRECT_PATH,
    );

    fn options(&mut self) -> &mut Options {
        &mut self.options
    }

    fn routes() -> Router<Ctx> {
        Router::new()
            .route("/api/oauth2/authorize", get(authorize::<authorize::Flow>))
            .route(DECISION_PATH, post(decide::<authorize::Flow>))
            .route("/api/oauth2/token", post(token::token))
            .route("/api/oauth2/userinfo", get(api::userinfo))
            .route("/api/oauth2/topup", get(api::topup))
            .route("/topup", get(api::topup_page))
            .route("/api/oauth_apps", post(apps::create))
    }

    fn admin_routes() -> Router<Ctx> {
        Router::new().route("/_sim/users/{id}/aihubmix", put(balance::set_balance))
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn revoker(&mut self) -> Option<&mut dyn Revoker> {
        Some(&mut self.grants)
    }

    fn describe_user(&self, user: &User, view: &mut Map<String, Value>) {
        let balance = balance::BalanceView::new(user.aihubmix, self.options.balance_format);
        view.insert("aihubmix".to_owned(), serde_json::json!(balance));
    }
}

crate::dialect::options! {
    /// Behaviour switches for this dialect, where the real service is undocumented
    /// or where tests need to reach a state quickly.
    struct Options {
        /// `expires_in` of access tokens (seed: 7200).
        access_token_ttl_secs: u64 = 7200,
        /// Lifetime of authorization codes.
        code_ttl_secs: u64 = 600,
        /// Whether a refresh invalidates the refresh token it used. The seed's client
        /// implies rotation but not invalidation; invalidating is the strict choice.
        rotate_invalidates_old: bool = true,
        /// Refresh-token lifetime; undocumented, so none unless a test sets one.
        refresh_token_ttl_secs: Option<u64> = None,
        /// How `balance_formatted` is computed.
        balance_format: BalanceFormat = BalanceFormat::OneApi,
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

crate::oauth::scope_set! {
    /// The granted subset of `profile` and `balance`.
    struct Scopes {
        profile = "profile" => "Your username and email address",
        balance = "balance" => "Your account balance (remaining and used quota)",
    }
}

impl Scopes {
    /// The authorize request's `scope`. An absent or blank one means `profile`:
    /// the seed does not say, and a login without a username is of little use.
    fn parse_requested(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim) {
            None | Some("") => Self::parse("profile"),
            Some(raw) => Self::parse(raw),
        }
    }
}

/// Options, and the codes and tokens this dialect has issued (each with its scopes).
#[derive(Debug, Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    grants: Grants<Scopes, Scopes, Scopes>,
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
        let profile = Scopes::parse("profile").expect("valid");
        assert!(both.contains(profile));
        assert!(!profile.contains(both));
    }
}
