//! The JSON admin API under `/_sim/`: how tests steer the simulator.
//!
//! | route | effect |
//! |---|---|
//! | `GET /_sim/health` | `ok` |
//! | `POST /_sim/reset` | back to the seeded state (registered clients stay) |
//! | `GET /_sim/counters` | call counts, e.g. `{"aihubmix.userinfo": 2, …}` |
//! | `GET /_sim/users` | the test users, with each dialect's ids and balances |
//! | `GET`, `POST`, `DELETE /_sim/faults` | list, queue (`{endpoint, count?, status?, latency_ms?, body?, content_type?, drop?}`), clear |
//! | `POST /_sim/tokens/revoke` | `{access_token?, refresh_token?, user_id?}` |
//! | `GET /_sim/clock`, `POST /_sim/clock/advance`, `POST /_sim/clock/reset` | `{now}`; `{seconds}`; back to real time, tokens kept |
//! | `POST /_sim/clients` | `{dialect, client_id, client_secret, redirect_uri, name?}` |
//!
//! Each dialect adds `GET`, `PUT /_sim/{prefix}/options` (a partial object of its
//! options) and its own routes, listed in its module's documentation.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use url::Url;

use crate::{
    clients::Client,
    clock::Clock,
    faults::{Counters, FaultSpec, Faults},
    state::{Revoke, Sim},
    users,
};

/// The shared admin routes (full paths); each dialect adds its own.
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route("/_sim/health", get(|| async { "ok" }))
        .route("/_sim/reset", post(reset))
        .route("/_sim/counters", get(counters))
        .route("/_sim/users", get(list_users))
        .route(
            "/_sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sim/tokens/revoke", post(revoke))
        .route("/_sim/clock", get(clock))
        .route("/_sim/clock/advance", post(advance_clock))
        .route("/_sim/clock/reset", post(reset_clock))
        .route("/_sim/clients", post(register_client))
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
        let body = json!({ "error": self.message });
        (self.status, Json(body)).into_response()
    }
}

async fn reset(State(sim): State<Sim>) -> StatusCode {
    sim.with(|world| {
        world.reset();
        for dialect in sim.dialects() {
            dialect.reset();
        }
    });
    StatusCode::NO_CONTENT
}

async fn counters(State(sim): State<Sim>) -> Json<Counters> {
    Json(sim.with(|world| world.counters.clone()))
}

/// `GET /_sim/users`: each test user, with what every dialect knows of them.
async fn list_users(State(sim): State<Sim>) -> Json<Vec<Value>> {
    Json(sim.with(|world| {
        world
            .users
            .iter()
            .map(|user| {
                let mut view = Map::new();
                view.insert("id".to_owned(), user.id.into());
                view.insert("username".to_owned(), user.username.into());
                view.insert("display_name".to_owned(), user.display_name.into());
                view.insert("email".to_owned(), user.email.into());
                view.insert("locale".to_owned(), user.locale.into());
                view.insert("avatar_path".to_owned(), users::avatar_path(user.id).into());
                for dialect in sim.dialects() {
                    dialect.describe_user(user, &mut view);
                }
                Value::Object(view)
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
    let dialects = sim.dialects().iter();
    let known: Vec<&str> = dialects
        .flat_map(|dialect| dialect.endpoints().iter().copied())
        .collect();
    if !known.contains(&fault.endpoint.as_str()) {
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

/// Revokes tokens as if the user had disconnected the app at the provider.
async fn revoke(
    State(sim): State<Sim>,
    Json(request): Json<Revoke>,
) -> Result<Json<Value>, AdminError> {
    if request.access_token.is_none()
        && request.refresh_token.is_none()
        && request.user_id.is_none()
    {
        return Err(AdminError::bad_request(
            "give access_token, refresh_token or user_id",
        ));
    }
    let revoked = sim.with(|_| {
        sim.dialects()
            .iter()
            .map(|dialect| dialect.revoke(&request))
            .sum::<usize>()
    });
    Ok(Json(json!({ "revoked": revoked })))
}

/// `{"now"}` (simulated Unix time, seconds) once `f` has run on the clock.
fn with_clock(sim: &Sim, f: impl FnOnce(&mut Clock)) -> Json<Value> {
    let now = sim.with(|world| {
        f(&mut world.clock);
        world.clock.now()
    });
    Json(json!({ "now": now }))
}

async fn clock(State(sim): State<Sim>) -> Json<Value> {
    with_clock(&sim, |_| {})
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(sim): State<Sim>, Json(advance): Json<Advance>) -> Json<Value> {
    with_clock(&sim, |clock| clock.advance(advance.seconds))
}

/// `POST /_sim/clock/reset`: simulated time back to real time, as after a
/// reset but keeping every code and token. Tokens issued while the clock was
/// ahead keep their later expiry.
async fn reset_clock(State(sim): State<Sim>) -> Json<Value> {
    with_clock(&sim, |clock| *clock = Clock::default())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    dialect: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct ClientView {
    dialect: &'static str,
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
    let Some(dialect) = sim
        .dialects()
        .iter()
        .map(|dialect| dialect.name())
        .find(|name| *name == new.dialect)
    else {
        return Err(AdminError::bad_request(format!(
            "unknown dialect {:?}",
            new.dialect
        )));
    };
    let name = new.name.unwrap_or_else(|| new.client_id.clone());
    let view = ClientView {
        dialect,
        client_id: new.client_id.clone(),
        redirect_uri: new.redirect_uri.clone(),
        name: name.clone(),
    };
    let created = sim.with(|world| {
        world.clients.upsert(Client {
            dialect,
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
