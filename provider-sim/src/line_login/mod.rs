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
//! - `authorize`, `token`, `id_token`, `api` and `page`: the endpoints and pages.
//! - `validate`: the checks of an authorization request and how a refusal is
//!   answered.

mod api;
mod authorize;
mod channels;
mod grants;
mod id_token;
mod options;
pub(crate) mod page;
mod scopes;
mod token;
mod validate;

use axum::{
    Router, middleware,
    routing::{get, post},
};

use crate::{line_messaging, state::Sim};

pub(crate) use grants::DialectState;

/// Path prefix of this dialect on the simulator.
pub(crate) const PREFIX: &str = "/line";

const AUTHORIZE: &str = "line.authorize";
const DECISION: &str = "line.decision";
const TOKEN: &str = "line.token";
const TOKEN_CODE: &str = "line.token.authorization_code";
const TOKEN_REFRESH: &str = "line.token.refresh_token";
const VERIFY_ACCESS_TOKEN: &str = "line.verify.access_token";
const VERIFY_ID_TOKEN: &str = "line.verify.id_token";
const REVOKE: &str = "line.revoke";
const PROFILE: &str = "line.profile";
const FRIENDSHIP: &str = "line.friendship";
const USERINFO: &str = "line.userinfo";
const CERTS: &str = "line.certs";
const DISCOVERY: &str = "line.discovery";

/// Endpoint names, for faults.
pub(crate) const ENDPOINTS: &[&str] = &[
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
];
/// Counter keys: the endpoints, plus token calls split by grant type.
pub(crate) const COUNTERS: &[&str] = &[
    AUTHORIZE,
    DECISION,
    TOKEN,
    TOKEN_CODE,
    TOKEN_REFRESH,
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

/// The dialect's public routes, nested under [`PREFIX`].
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route("/oauth2/v2.1/authorize", get(authorize::authorize))
        .route(authorize::DECISION_PATH, post(authorize::decide))
        .route("/oauth2/v2.1/token", post(token::token))
        .route(
            "/oauth2/v2.1/verify",
            get(token::verify_access_token).post(token::verify_id_token),
        )
        .route("/oauth2/v2.1/revoke", post(token::revoke))
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

/// The dialect's admin routes, nested under `/_sim/line`.
pub(crate) fn admin_router() -> Router<Sim> {
    Router::new()
        .route(
            "/options",
            get(options::get_options).put(options::put_options),
        )
        .route(
            "/channels/{client_id}",
            get(channels::get_channel).put(channels::put_channel),
        )
}
