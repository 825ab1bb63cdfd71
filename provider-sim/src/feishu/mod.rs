//! The Feishu (Lark) dialect (providers.md §5): app_access_token, the legacy v1 login, and the v2 OAuth token endpoint.
//!
//! - this file: routes, options, the issued codes and tokens, the `{code, msg}`
//!   envelope, and `POST /open-apis/auth/v3/app_access_token/internal` with its
//!   30-minute reissue rule (§5.2).
//! - `v1`: the seed's flow (§5.4–5.6, 5.9): `GET /open-apis/authen/v1/index`,
//!   `access_token`, `refresh_access_token` and `user_info`. Every error is HTTP
//!   200 with a non-zero `code`.
//! - `v2`: the current RFC 6749-style flow (§5.4, 5.7, 5.8): `GET
//!   /open-apis/authen/v1/authorize` and `POST /open-apis/authen/v2/oauth/token`,
//!   with real HTTP statuses and `{code, error, error_description}` errors.
//!
//! The real service spreads these over `open.feishu.cn` and `accounts.feishu.cn`;
//! here everything lives under [`PREFIX`], with the real paths below it.

mod v1;
mod v2;

use std::{collections::HashMap, fmt};

use axum::{
    Json, Router,
    extract::{State, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    clients::Dialect,
    net::Conn,
    oauth,
    state::{Sim, World},
    users::{self, User},
};

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

/// The one tenant every simulated user belongs to.
const TENANT_KEY: &str = "736588c9260f175d";

/// The dialect's public routes, nested under [`PREFIX`].
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route(
            "/open-apis/auth/v3/app_access_token/internal",
            post(app_access_token),
        )
        .merge(v1::router())
        .merge(v2::router())
}

/// The dialect's admin routes, nested under `/_sim/feishu`.
pub(crate) fn admin_router() -> Router<Sim> {
    Router::new().route("/options", get(get_options).put(put_options))
}

// ---------------------------------------------------------------------------
// Options

/// Lifetimes, and the behaviours providers.md marks as unverified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Options {
    /// Lifetime of a new app_access_token (`expire`, at most 7200).
    pub(crate) app_token_ttl_secs: u64,
    /// A new app_access_token is issued only when the current one has fewer
    /// seconds than this left (30 minutes); until then the same one is returned.
    pub(crate) app_token_reissue_below_secs: u64,
    /// Error code for a wrong `app_id`/`app_secret`: 10014 (legacy) or 99991543 ([V3]).
    pub(crate) app_credentials_error_code: u32,
    /// user_access_token lifetime (`expires_in`).
    pub(crate) user_token_ttl_secs: u64,
    /// v1 refresh-token lifetime (`refresh_expires_in`, about 30 days).
    pub(crate) refresh_token_ttl_secs: u64,
    /// v2 refresh-token lifetime (`refresh_token_expires_in`, 7 days in the docs' example).
    pub(crate) v2_refresh_token_ttl_secs: u64,
    /// Authorization-code lifetime (5 minutes).
    pub(crate) code_ttl_secs: u64,
    /// How long the previous user_access_token keeps working after a refresh
    /// (1 minute, §5.8); `null` keeps it valid until its own expiry.
    pub(crate) old_access_token_grace_secs: Option<u64>,
    /// Error code for a refresh token that was already used: 20064 ("revoked")
    /// or 20073 ("already used", [V3]).
    pub(crate) refresh_reuse_code: u32,
    /// Error code for an expired user_access_token: 99991677 or 99991668
    /// (the server may not tell expired from invalid) — both [V3].
    pub(crate) expired_user_token_code: u32,
    /// HTTP status of gateway errors (9999xxxx: bad or expired tokens), which
    /// providers.md leaves open; 200 like every other v1 error by default.
    pub(crate) gateway_error_status: u16,
    /// Whether `email`, `enterprise_email`, `user_id`, `mobile` and
    /// `employee_no` are sent; the real service needs contact scopes for them.
    pub(crate) include_contact_fields: bool,
    /// Skip the consent page and sign this user in straight away (the Feishu
    /// desktop client's "login-free" behaviour).
    pub(crate) auto_approve_user_id: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            app_token_ttl_secs: 7200,
            app_token_reissue_below_secs: 1800,
            app_credentials_error_code: 10014,
            user_token_ttl_secs: 7200,
            refresh_token_ttl_secs: 2_592_000,
            v2_refresh_token_ttl_secs: 604_800,
            code_ttl_secs: 300,
            old_access_token_grace_secs: Some(60),
            refresh_reuse_code: 20064,
            expired_user_token_code: 99_991_677,
            gateway_error_status: 200,
            include_contact_fields: true,
            auto_approve_user_id: None,
        }
    }
}

async fn get_options(State(sim): State<Sim>) -> Json<Options> {
    Json(sim.with(|world| world.feishu.options.clone()))
}

/// `PUT /_sim/feishu/options`: a partial object; absent fields keep their value.
async fn put_options(State(sim): State<Sim>, Json(patch): Json<Value>) -> Response {
    sim.with(|world| {
        let Ok(Value::Object(mut merged)) = serde_json::to_value(&world.feishu.options) else {
            return crate::admin::AdminError::bad_request("options do not serialize")
                .into_response();
        };
        let Value::Object(patch) = patch else {
            return crate::admin::AdminError::bad_request("send a JSON object").into_response();
        };
        merged.extend(patch);
        match serde_json::from_value::<Options>(Value::Object(merged)) {
            Ok(options) if StatusCode::from_u16(options.gateway_error_status).is_ok() => {
                world.feishu.options = options.clone();
                Json(options).into_response()
            }
            Ok(_) => {
                crate::admin::AdminError::bad_request("gateway_error_status is not an HTTP status")
                    .into_response()
            }
            Err(error) => crate::admin::AdminError::bad_request(error.to_string()).into_response(),
        }
    })
}

// ---------------------------------------------------------------------------
// State

/// Which login API issued a code or token: each refuses the other's refresh tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generation {
    V1,
    V2,
}

/// Everything this dialect has issued.
#[derive(Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    /// Every app_access_token ever issued, with its app and expiry.
    app_tokens: HashMap<String, AppToken>,
    /// The token the internal endpoint currently hands out, per app.
    current_app_token: HashMap<String, String>,
    codes: HashMap<String, CodeGrant>,
    user_tokens: HashMap<String, UserToken>,
    refresh_tokens: HashMap<String, RefreshGrant>,
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

struct AppToken {
    app_id: String,
    expires_at: u64,
}

struct CodeGrant {
    app_id: String,
    user_id: u64,
    expires_at: u64,
    grant_id: u64,
    redeemed: bool,
    /// What the v2 authorize page was asked for; `None` for v1 index codes.
    v2: Option<v2::CodeRequest>,
}

#[derive(Clone)]
struct UserToken {
    user_id: u64,
    expires_at: u64,
    revoked: bool,
}

struct RefreshGrant {
    app_id: String,
    user_id: u64,
    expires_at: u64,
    grant_id: u64,
    generation: Generation,
    /// Granted scope (v2 only), kept for narrowing on refresh.
    scope: String,
    /// The access token issued with this refresh token, which a refresh
    /// retires after the grace period.
    access_token: String,
    status: RefreshStatus,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RefreshStatus {
    Active,
    Used,
    Revoked,
}

/// A freshly issued user token pair.
struct Issued {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
    refresh_expires_in: u64,
}

impl DialectState {
    fn next_grant(&mut self) -> u64 {
        self.next_grant_id += 1;
        self.next_grant_id
    }

    /// Issues a user token and a refresh token for one grant.
    fn issue(
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
    fn retire_access_token(&mut self, token: &str, now: u64) {
        let grace = self.options.old_access_token_grace_secs;
        if let (Some(grace), Some(old)) = (grace, self.user_tokens.get_mut(token)) {
            old.expires_at = old.expires_at.min(now.saturating_add(grace));
        }
    }

    /// Revokes one user access token; `false` if it is unknown.
    pub(crate) fn revoke_access_token(&mut self, token: &str) -> bool {
        self.user_tokens
            .get_mut(token)
            .map(|grant| grant.revoked = true)
            .is_some()
    }

    /// Revokes one refresh token; `false` if it is unknown.
    pub(crate) fn revoke_refresh_token(&mut self, token: &str) -> bool {
        self.refresh_tokens
            .get_mut(token)
            .map(|grant| grant.status = RefreshStatus::Revoked)
            .is_some()
    }

    /// Revokes every user and refresh token of a user; returns how many were usable.
    pub(crate) fn revoke_user(&mut self, user_id: u64) -> usize {
        let mut revoked = 0;
        for grant in self.user_tokens.values_mut() {
            if grant.user_id == user_id && !grant.revoked {
                grant.revoked = true;
                revoked += 1;
            }
        }
        for grant in self.refresh_tokens.values_mut() {
            if grant.user_id == user_id && grant.status == RefreshStatus::Active {
                grant.status = RefreshStatus::Revoked;
                revoked += 1;
            }
        }
        revoked
    }
}

// ---------------------------------------------------------------------------
// Envelope

/// A Feishu error: `{"code": <non-zero>, "msg": "..."}` with an HTTP status
/// (200 for every v1 business error).
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: u32,
    msg: String,
}

impl ApiError {
    /// A v1 business error: always HTTP 200.
    fn new(code: u32, msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::OK,
            code,
            msg: msg.into(),
        }
    }

    /// A gateway error (9999xxxx), with the configured HTTP status.
    fn gateway(world: &World, code: u32, msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(world.feishu.options.gateway_error_status)
                .unwrap_or(StatusCode::OK),
            code,
            msg: msg.into(),
        }
    }

    fn invalid_param(what: &str) -> Self {
        Self::new(20001, format!("invalid request param: {what}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "msg": self.msg });
        (self.status, oauth::no_store_headers(), Json(body)).into_response()
    }
}

/// `{"code": 0, "msg": msg, "data": data}`.
fn success(msg: &str, data: Value) -> Response {
    let body = serde_json::json!({ "code": 0, "msg": msg, "data": data });
    (oauth::no_store_headers(), Json(body)).into_response()
}

/// The user fields of v1 token responses and `user_info` (§5.5, §5.9).
fn user_fields(user: &User, base_url: &str, contact: bool) -> Map<String, Value> {
    let avatar = format!("{base_url}{}", users::avatar_path(user.id));
    let mut fields = Map::new();
    let mut put = |key: &str, value: Value| {
        fields.insert(key.to_owned(), value);
    };
    put("name", user.display_name.into());
    put("en_name", user.en_name.into());
    for key in ["avatar_url", "avatar_thumb", "avatar_middle", "avatar_big"] {
        put(key, avatar.clone().into());
    }
    put("open_id", user.feishu.open_id.into());
    put("union_id", user.feishu.union_id.into());
    put("tenant_key", TENANT_KEY.into());
    if contact {
        put("email", user.email.into());
        put(
            "enterprise_email",
            format!("{}@keyhole-sim.feishu.cn", user.username).into(),
        );
        put("user_id", user.feishu.user_id.into());
        put("mobile", user.mobile.into());
    }
    fields
}

// ---------------------------------------------------------------------------
// app_access_token

/// Body of `POST /open-apis/auth/v3/app_access_token/internal`.
#[derive(Debug, Deserialize)]
struct AppTokenRequest {
    app_id: Option<String>,
    app_secret: Option<String>,
}

/// The self-built app's token: top-level fields, no `data` (§5.2).
async fn app_access_token(
    State(sim): State<Sim>,
    conn: Conn,
    body: Result<Json<AppTokenRequest>, JsonRejection>,
) -> Response {
    if let Some(response) = sim.begin(&conn, APP_TOKEN, None).await {
        return response;
    }
    let Ok(Json(request)) = body else {
        return ApiError::new(10003, "invalid param").into_response();
    };
    let non_empty = |value: &Option<String>| value.clone().filter(|value| !value.is_empty());
    let (Some(app_id), Some(app_secret)) =
        (non_empty(&request.app_id), non_empty(&request.app_secret))
    else {
        return ApiError::new(10003, "invalid param").into_response();
    };
    sim.with(|world| {
        let authenticated = world
            .clients
            .get(Dialect::Feishu, &app_id)
            .is_some_and(|client| oauth::secrets_match(&client.client_secret, &app_secret));
        if !authenticated {
            let code = world.feishu.options.app_credentials_error_code;
            return ApiError::new(code, "app secret invalid").into_response();
        }
        let now = world.clock.now();
        let (token, expire) = current_app_token(&mut world.feishu, &app_id, now);
        let body = serde_json::json!({
            "code": 0,
            "msg": "ok",
            "app_access_token": token,
            "tenant_access_token": token,
            "expire": expire,
        });
        (oauth::no_store_headers(), Json(body)).into_response()
    })
}

/// The app's token and its remaining seconds: the current one while at least
/// `app_token_reissue_below_secs` remain, else a new one. The old token stays
/// valid until its own expiry, so two can be valid at once.
fn current_app_token(dialect: &mut DialectState, app_id: &str, now: u64) -> (String, u64) {
    let current = dialect
        .current_app_token
        .get(app_id)
        .and_then(|token| Some((token, dialect.app_tokens.get(token)?)))
        .map(|(token, grant)| (token.clone(), grant.expires_at.saturating_sub(now)));
    if let Some((token, remaining)) = current
        && remaining >= dialect.options.app_token_reissue_below_secs
    {
        return (token, remaining);
    }
    let ttl = dialect.options.app_token_ttl_secs;
    let token = format!("t-g{}", oauth::random_token(28));
    dialect.app_tokens.insert(
        token.clone(),
        AppToken {
            app_id: app_id.to_owned(),
            expires_at: now.saturating_add(ttl),
        },
    );
    dialect
        .current_app_token
        .insert(app_id.to_owned(), token.clone());
    (token, ttl)
}

/// The app behind an app_access_token, or the gateway error for it.
fn app_of_token(world: &World, token: Option<&str>) -> Result<String, ApiError> {
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        return Err(ApiError::gateway(
            world,
            99_991_661,
            "Missing access token for authorization. Please make a request with token attached.",
        ));
    };
    if !token.starts_with("t-") {
        return Err(ApiError::gateway(
            world,
            99_991_671,
            "Invalid token format: an app_access_token starts with t-.",
        ));
    }
    match world.feishu.app_tokens.get(token) {
        Some(grant) if world.clock.now() < grant.expires_at => Ok(grant.app_id.clone()),
        _ => Err(ApiError::gateway(
            world,
            99_991_664,
            "Invalid app access token for authorization.",
        )),
    }
}
