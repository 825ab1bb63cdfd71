//! The JSON admin API under `/_sim/`: how tests steer the simulator.
//!
//! | route | effect |
//! |---|---|
//! | `GET /_sim/health` | `ok` |
//! | `POST /_sim/reset` | back to the seeded state (registered clients stay) |
//! | `GET /_sim/counters` | call counts, e.g. `{"aihubmix.userinfo": 2, …}` |
//! | `GET /_sim/users` | the test users and their balances |
//! | `PUT /_sim/users/{id}/aihubmix` | `{quota?, used_quota?}` |
//! | `GET`, `PUT /_sim/aihubmix/options` | token lifetimes, rotation, balance format |
//! | `GET`, `POST`, `DELETE /_sim/faults` | list, queue (`{endpoint, count?, status?, latency_ms?, body?, content_type?, drop?}`), clear |
//! | `POST /_sim/tokens/revoke` | `{access_token?, refresh_token?, user_id?}` |
//! | `GET /_sim/clock`, `POST /_sim/clock/advance` | `{now}`; `{seconds}` |
//! | `POST /_sim/clients` | `{dialect, client_id, client_secret, redirect_uri, name?}` |
//! | `GET`, `PUT /_sim/elice/options` | token and code lifetimes, `report_expires_in`, `id_format`, `error_redirect`, scope strictness, auto-approve |
//! | `GET`, `PUT /_sim/feishu/options` | token lifetimes, 30-min app-token reissue, error codes and gateway status, contact fields, auto-approve |
//! | `GET`, `PUT /_sim/oidc/options` | lifetimes, refresh rotation, PKCE policy, `offline_access`, RFC 9207 `iss`, auto-approve |
//! | `GET /_sim/oidc/keys`, `POST /_sim/oidc/rotate-keys` | `{active, published}`; `{retire_previous?}` adds a signing key |
//! | `GET`, `PUT /_sim/line/options` | LINE Login lifetimes, error-code case, add-friend and scope quirks, auto-approve |
//! | `GET`, `PUT /_sim/line/channels/{client_id}` | `{app_type?: web \| native, linked_bot_channel_id?}` |
//! | `GET`, `PUT /_sim/line-notify/options` | rate limits, code lifetime, auto-approve, `service_ended` |
//! | `GET /_sim/line-notify/messages`, `GET /_sim/line-notify/groups` | delivered notifications; target groups |
//! | `GET`, `PUT /_sim/line-bot/options` | token and retry-key lifetimes, token cap, push body, monthly limit |
//! | `GET /_sim/line-bot/messages` | pushed and replied messages (`delivered: false` for non-friends) |
//! | `GET /_sim/line-bot/push-attempts` | every push call with its `retry_key`, `faulted` ones included |
//! | `GET /_sim/line-bot/friendships`, `PUT …/friendships/{id}` | `{state: not_friend \| friend \| blocked, channel_id?}` |
//! | `POST /_sim/line-bot/webhook` | `{target_url?, channel_id?, events, redelivery?, signature?, header_case?}`: sends a signed webhook |

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    aihubmix::{self, BalanceView},
    clients::{Client, Dialect},
    elice,
    faults::{self, Counters, FaultSpec, Faults},
    feishu, line_login, line_messaging, line_notify, oidc,
    state::Sim,
    users,
};

pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/reset", post(reset))
        .route("/counters", get(counters))
        .route("/users", get(list_users))
        .route("/users/{id}/aihubmix", put(aihubmix::set_balance))
        .nest("/aihubmix", aihubmix::admin_router())
        .nest("/elice", elice::admin_router())
        .nest("/feishu", feishu::admin_router())
        .nest("/oidc", oidc::admin_router())
        .nest("/line", line_login::admin_router())
        .nest("/line-notify", line_notify::admin_router())
        .nest("/line-bot", line_messaging::admin_router())
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/tokens/revoke", post(revoke))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/clients", post(register_client))
}

/// An admin request the simulator refuses: `{"error": "..."}`.
#[derive(Debug)]
pub(crate) struct AdminError {
    status: StatusCode,
    message: String,
}

impl AdminError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, Json(body)).into_response()
    }
}

async fn reset(State(sim): State<Sim>) -> StatusCode {
    sim.with(|world| world.reset());
    StatusCode::NO_CONTENT
}

async fn counters(State(sim): State<Sim>) -> Json<Counters> {
    Json(sim.with(|world| world.counters.clone()))
}

#[derive(Debug, Serialize)]
struct UserView {
    id: u64,
    username: &'static str,
    display_name: &'static str,
    email: &'static str,
    locale: &'static str,
    avatar_path: String,
    aihubmix: BalanceView,
    line_user_id: &'static str,
    /// The `sub` the OpenID Connect dialect reports.
    oidc_sub: &'static str,
    /// Feishu's `open_id` of this user.
    feishu_open_id: &'static str,
}

async fn list_users(State(sim): State<Sim>) -> Json<Vec<UserView>> {
    Json(sim.with(|world| {
        let format = world.aihubmix.options.balance_format;
        world
            .users
            .iter()
            .map(|user| UserView {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                email: user.email,
                locale: user.locale,
                avatar_path: users::avatar_path(user.id),
                aihubmix: BalanceView::new(user.aihubmix, format),
                line_user_id: user.line_user_id,
                oidc_sub: user.oidc_sub,
                feishu_open_id: user.feishu.open_id,
            })
            .collect()
    }))
}

async fn list_faults(State(sim): State<Sim>) -> Json<Faults> {
    Json(sim.with(|world| world.faults.clone()))
}

async fn add_fault(
    State(sim): State<Sim>,
    Json(fault): Json<FaultSpec>,
) -> Result<(StatusCode, Json<FaultSpec>), AdminError> {
    if !faults::known_endpoints().any(|known| known == fault.endpoint) {
        let known: Vec<&str> = faults::known_endpoints().collect();
        return Err(AdminError::bad_request(format!(
            "unknown endpoint {:?}; known: {}",
            fault.endpoint,
            known.join(", ")
        )));
    }
    if fault.count == 0 {
        return Err(AdminError::bad_request("count must be at least 1"));
    }
    if let Some(status) = fault.status
        && StatusCode::from_u16(status).is_err()
    {
        return Err(AdminError::bad_request(format!(
            "{status} is not an HTTP status"
        )));
    }
    sim.with(|world| world.faults.push(fault.clone()));
    Ok((StatusCode::CREATED, Json(fault)))
}

async fn clear_faults(State(sim): State<Sim>) -> StatusCode {
    sim.with(|world| world.faults.clear());
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    access_token: Option<String>,
    refresh_token: Option<String>,
    /// Revokes every token of this user.
    user_id: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Revoked {
    revoked: usize,
}

/// Revokes tokens as if the user had disconnected the app at the provider.
async fn revoke(
    State(sim): State<Sim>,
    Json(request): Json<RevokeRequest>,
) -> Result<Json<Revoked>, AdminError> {
    if request.access_token.is_none()
        && request.refresh_token.is_none()
        && request.user_id.is_none()
    {
        return Err(AdminError::bad_request(
            "give access_token, refresh_token or user_id",
        ));
    }
    let revoked = sim.with(|world| {
        let dialect = &mut world.aihubmix;
        let mut revoked = 0;
        if let Some(token) = &request.access_token {
            revoked += usize::from(dialect.revoke_access_token(token));
        }
        if let Some(token) = &request.refresh_token {
            revoked += usize::from(dialect.revoke_refresh_token(token));
        }
        if let Some(user_id) = request.user_id {
            revoked += dialect.revoke_user(user_id);
        }
        // The same request reaches the other dialects' tokens too.
        if let Some(token) = &request.access_token {
            revoked += usize::from(world.elice.revoke_access_token(token));
            revoked += usize::from(world.feishu.revoke_access_token(token));
            revoked += usize::from(world.oidc.revoke_access_token(token));
            revoked += usize::from(world.line_login.revoke_access_token(token));
            revoked += usize::from(world.line_notify.revoke_access_token(token));
        }
        if let Some(token) = &request.refresh_token {
            revoked += usize::from(world.feishu.revoke_refresh_token(token));
            revoked += usize::from(world.oidc.revoke_refresh_token(token));
            revoked += usize::from(world.line_login.revoke_refresh_token(token));
        }
        if let Some(user_id) = request.user_id {
            revoked += world.elice.revoke_user(user_id);
            revoked += world.feishu.revoke_user(user_id);
            revoked += world.oidc.revoke_user(user_id);
            revoked += world.line_login.revoke_user(user_id);
            revoked += world.line_notify.revoke_user(user_id);
        }
        revoked
    });
    Ok(Json(Revoked { revoked }))
}

#[derive(Debug, Serialize)]
struct Now {
    /// Simulated Unix time, seconds.
    now: u64,
}

async fn clock(State(sim): State<Sim>) -> Json<Now> {
    Json(Now {
        now: sim.with(|world| world.clock.now()),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(sim): State<Sim>, Json(advance): Json<Advance>) -> Json<Now> {
    Json(Now {
        now: sim.with(|world| {
            world.clock.advance(advance.seconds);
            world.clock.now()
        }),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    dialect: Dialect,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct ClientView {
    dialect: Dialect,
    client_id: String,
    redirect_uri: String,
    name: String,
}

/// Registers (or replaces) a client, e.g. for a second provider instance.
async fn register_client(
    State(sim): State<Sim>,
    Json(new): Json<NewClient>,
) -> Result<(StatusCode, Json<ClientView>), AdminError> {
    if new.client_id.is_empty() || new.client_secret.is_empty() {
        return Err(AdminError::bad_request(
            "client_id and client_secret must not be empty",
        ));
    }
    if Url::parse(&new.redirect_uri).is_err() {
        return Err(AdminError::bad_request(
            "redirect_uri must be an absolute URL",
        ));
    }
    let name = new.name.unwrap_or_else(|| new.client_id.clone());
    let view = ClientView {
        dialect: new.dialect,
        client_id: new.client_id.clone(),
        redirect_uri: new.redirect_uri.clone(),
        name: name.clone(),
    };
    let created = sim.with(|world| {
        world.clients.upsert(Client {
            dialect: new.dialect,
            client_id: new.client_id,
            client_secret: new.client_secret,
            redirect_uri: new.redirect_uri,
            name,
        })
    });
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}
