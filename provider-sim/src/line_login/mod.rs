//! The LINE Login v2.1 dialect (docs/providers.md): authorize with add-friend, tokens, ID tokens, profile.
//!
//! `access.line.me` and `api.line.me` both live under [`PREFIX`], with their real paths
//! below it. A LINE Login channel is a registered client of dialect `line_login`
//! (`client_id` = channel id, `client_secret` = channel secret). What the client
//! registry cannot hold (the channel's app type and its linked official account)
//! is per-channel configuration here, which survives a reset like clients do.
//!
//! - this file: routes, the endpoint names for faults and counters, and the ID
//!   token issuer.
//! - `options`: behaviour switches and `/_sim/line/options`.
//! - `channels`: per-channel settings and `/_sim/line/channels/{client_id}`.
//! - `scopes`: the granted subset of `openid`, `profile` and `email`.
//! - `grants`: the issued codes and tokens ([`DialectState`]), consents and
//!   revocation.
//! - `authorize`, `token`, `verify` (and revoke), `id_token`, `api` and `page`: the
//!   endpoints and pages.
//! - `channel_api`: the channel's own access tokens (v2.1 and stateless, kept by
//!   the Messaging API's token store) and `/user/v1/deauthorize`.
//! - `validate`: the checks of an authorization request and how a refusal is
//!   answered.

mod api;
mod authorize;
mod channel_api;
mod channels;
mod grants;
mod id_token;
mod options;
pub(crate) mod page;
mod scopes;
mod token;
mod validate;
mod verify;

use axum::{
    Router, middleware,
    routing::{get, post},
};
use serde_json::{Map, Value};

use crate::{
    clients::Client,
    dev,
    dialect::{self, Dialect},
    line_messaging,
    users::User,
};

pub(crate) use grants::DialectState;

/// What this dialect's handlers get as state.
type Ctx = dialect::Ctx<DialectState>;

/// The name clients of this dialect register under.
const NAME: &str = "line_login";
/// Path prefix of this dialect on the simulator.
const PREFIX: &str = "/line";

const AUTHORIZE: &str = "line.authorize";
const DECISION: &str = "line.decision";
const TOKEN: &str = "line.token";
const TOKEN_CODE: &str = "line.token.authorization_code";
const TOKEN_REFRESH: &str = "line.token.refresh_token";
/// A v2.1 channel access token, asked of `/oauth2/v2.1/token` like user tokens.
const TOKEN_CHANNEL: &str = "line.token.client_credentials";
const STATELESS: &str = "line.token.stateless";
const KIDS: &str = "line.kids";
const DEAUTHORIZE: &str = "line.deauthorize";
const VERIFY_ACCESS_TOKEN: &str = "line.verify.access_token";
const VERIFY_ID_TOKEN: &str = "line.verify.id_token";
const REVOKE: &str = "line.revoke";
const PROFILE: &str = "line.profile";
const FRIENDSHIP: &str = "line.friendship";
const USERINFO: &str = "line.userinfo";
const CERTS: &str = "line.certs";
const DISCOVERY: &str = "line.discovery";

const ENDPOINTS: &[&str] = &[
    AUTHORIZE,
    DECISION,
    TOKEN,
    VERIFY_ACCESS_TOKEN,
    VERIFY_ID_TOKEN,
    REVOKE,
    PROFILE,
    FRIENDSHIP,
    USERINFO,
    CERTS,
    DISCOVERY,
    STATELESS,
    KIDS,
    DEAUTHORIZE,
];
const COUNTERS: &[&str] = &[
    AUTHORIZE,
    DECISION,
    TOKEN,
    TOKEN_CODE,
    TOKEN_REFRESH,
    TOKEN_CHANNEL,
    STATELESS,
    KIDS,
    DEAUTHORIZE,
    VERIFY_ACCESS_TOKEN,
    VERIFY_ID_TOKEN,
    REVOKE,
    PROFILE,
    FRIENDSHIP,
    USERINFO,
    CERTS,
    DISCOVERY,
];

/// The issuer of every ID token, whatever host the simulator runs on.
const ISSUER: &str = "https://access.line.me";

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) = ("LINE Login", "/oauth2/v2.1/…");
    const ENDPOINTS: &'static [&'static str] = ENDPOINTS;
    const COUNTERS: &'static [&'static str] = COUNTERS;
    type Options = options::Options;

    fn options(&mut self) -> &mut options::Options {
        &mut self.options
    }

    fn routes() -> Router<Ctx> {
        Router::new()
            .route("/oauth2/v2.1/authorize", get(authorize::authorize))
            .route(authorize::DECISION_PATH, post(authorize::decide))
            .route("/oauth2/v2.1/token", post(token::token))
            .route(
                "/oauth2/v2.1/verify",
                get(verify::verify_access_token).post(verify::verify_id_token),
            )
            .route("/oauth2/v2.1/revoke", post(verify::revoke))
            .merge(channel_api::routes())
            .route("/oauth2/v2.1/certs", get(api::certs))
            .route(
                "/oauth2/v2.1/userinfo",
                get(api::userinfo).post(api::userinfo),
            )
            .route("/v2/profile", get(api::profile))
            .route("/friendship/v1/status", get(api::friendship))
            .route("/.well-known/openid-configuration", get(api::discovery))
            .layer(middleware::map_response(line_messaging::with_request_id))
    }

    fn admin_routes() -> Router<Ctx> {
        Router::new()
            .route(
                "/_sim/line/channels/{client_id}",
                get(channels::get_channel).put(channels::put_channel),
            )
            .route(
                "/_sim/line/channels/{client_id}/assertion-keys",
                post(channel_api::register_key),
            )
    }

    fn dev_clients(app_url: &str) -> Vec<Client> {
        let uri = format!("{app_url}{}", dev::LINE_LOGIN_REDIRECT_PATH);
        [
            (dev::LINE_LOGIN_CHANNEL_ID, dev::LINE_LOGIN_CHANNEL_SECRET),
            (
                dev::LINE_LOGIN_NATIVE_CHANNEL_ID,
                dev::LINE_LOGIN_NATIVE_CHANNEL_SECRET,
            ),
        ]
        .into_iter()
        .map(|(id, secret)| dialect::dev_client::<Self>(id, secret, uri.clone()))
        .collect()
    }

    /// Keeps the channels' settings: they are configuration, like registered clients.
    fn reset(&mut self) {
        self.reset_keeping_channels();
    }

    /// Revokes the grant behind an access token, as if the user had unlinked
    /// the channel (`POST /_sim/tokens/revoke`); `false` if the token is unknown.
    fn revoke_access_token(&mut self, token: &str) -> bool {
        let Some(grant_id) = self.access_tokens.get(token).map(|grant| grant.grant_id) else {
            return false;
        };
        self.revoked_grants.insert(grant_id);
        true
    }
    /// Revokes the grant behind a refresh token; `false` if the token is unknown.
    fn revoke_refresh_token(&mut self, token: &str) -> bool {
        let Some(grant_id) = self.refresh_tokens.get(token).map(|grant| grant.grant_id) else {
            return false;
        };
        self.revoked_grants.insert(grant_id);
        true
    }
    /// Revokes every grant of a user; returns how many were still live.
    fn revoke_user(&mut self, user_id: u64) -> usize {
        let grants: std::collections::HashSet<u64> = self
            .refresh_tokens
            .values()
            .filter(|grant| grant.user_id == user_id)
            .map(|grant| grant.grant_id)
            .collect();
        grants
            .into_iter()
            .filter(|grant_id| self.revoked_grants.insert(*grant_id))
            .count()
    }

    fn describe_user(&self, user: &User, view: &mut Map<String, Value>) {
        view.insert("line_user_id".to_owned(), user.line_user_id.into());
    }
}
