//! The Feishu (Lark) dialect (docs/providers.md): app_access_token, the legacy v1 login, and the v2 OAuth token endpoint.
//!
//! - this file: routes and the endpoint names for faults and counters.
//! - `options`: the admin-settable `Options` and `/_sim/feishu/options`.
//! - `grants`: the issued codes and tokens ([`DialectState`]), how a token
//!   pair is issued, and revocation.
//! - `envelope`: the `{code, msg}` error envelope, the `{code: 0, msg, data}`
//!   success body, and the user fields of v1 responses.
//! - `app_token`: `POST /open-apis/auth/v3/app_access_token/internal` with its
//!   30-minute reissue rule, and the check of an app_access_token.
//! - `v1`: the seed's flow: `GET /open-apis/authen/v1/index`,
//!   `access_token`, `refresh_access_token` and `user_info`. Every error is HTTP
//!   200 with a non-zero `code`.
//! - `v2`: the current RFC 6749-style flow: `GET
//!   /open-apis/authen/v1/authorize` and `POST /open-apis/authen/v2/oauth/token`,
//!   with real HTTP statuses and `{code, error, error_description}` errors.
//!
//! The real service spreads these over `open.feishu.cn` and `accounts.feishu.cn`;
//! here everything lives under [`PREFIX`], with the real paths below it.

mod app_token;
mod envelope;
mod grants;
mod options;
mod v1;
mod v2;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::Sim;

pub(crate) use grants::DialectState;

/// Path prefix of this dialect on the simulator.
pub(crate) const PREFIX: &str = "/feishu";

const APP_TOKEN: &str = "feishu.app_access_token";
const AUTHORIZE: &str = "feishu.authorize";
const DECISION: &str = "feishu.decision";
const ACCESS_TOKEN: &str = "feishu.access_token";
const REFRESH: &str = "feishu.refresh_access_token";
const USER_INFO: &str = "feishu.user_info";
const V2_AUTHORIZE: &str = "feishu.v2.authorize";
const V2_DECISION: &str = "feishu.v2.decision";
const V2_TOKEN: &str = "feishu.v2.token";
const V2_TOKEN_CODE: &str = "feishu.v2.token.authorization_code";
const V2_TOKEN_REFRESH: &str = "feishu.v2.token.refresh_token";

/// Endpoint names, for faults.
pub(crate) const ENDPOINTS: &[&str] = &[
    APP_TOKEN,
    AUTHORIZE,
    DECISION,
    ACCESS_TOKEN,
    REFRESH,
    USER_INFO,
    V2_AUTHORIZE,
    V2_DECISION,
    V2_TOKEN,
];
/// Counter keys: the endpoints, plus v2 token calls split by grant type.
pub(crate) const COUNTERS: &[&str] = &[
    APP_TOKEN,
    AUTHORIZE,
    DECISION,
    ACCESS_TOKEN,
    REFRESH,
    USER_INFO,
    V2_AUTHORIZE,
    V2_DECISION,
    V2_TOKEN,
    V2_TOKEN_CODE,
    V2_TOKEN_REFRESH,
];

/// The dialect's public routes, nested under [`PREFIX`].
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route(
            "/open-apis/auth/v3/app_access_token/internal",
            post(app_token::app_access_token),
        )
        .merge(v1::router())
        .merge(v2::router())
}

/// The dialect's admin routes, nested under `/_sim/feishu`.
pub(crate) fn admin_router() -> Router<Sim> {
    Router::new().route(
        "/options",
        get(options::get_options).put(options::put_options),
    )
}
