//! What a LINE Login channel's server does with channel access tokens: issue them (v2.1, stateless) and `POST /user/v1/deauthorize`.
//!
//! The tokens live in the Messaging API's store ([`line_messaging::tokens`]),
//! marked as this dialect's, as on LINE, where one token service serves every
//! kind of channel.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Form, Path, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, DEAUTHORIZE, DialectState, KIDS, NAME, STATELESS};
use crate::{
    admin::AdminError,
    line_messaging::tokens::{
        self, Jwk, Kind,
        v21::{self, ChannelForm, Operation},
    },
    net::Conn,
    state::{World, lock},
};

/// Runs a channel-token operation for this dialect's channels.
pub(super) fn run(
    world: &World,
    dialect: &DialectState,
    op: Operation,
    form: &ChannelForm,
) -> Response {
    op(world, &mut lock(&dialect.bot), NAME, form).unwrap_or_else(IntoResponse::into_response)
}

/// `POST /oauth2/v3/token`, `GET /oauth2/v2.1/tokens/kid` and `POST /user/v1/deauthorize`.
pub(super) fn routes() -> Router<Ctx> {
    // `Form` reads a GET's query string, so one handler shape serves both methods.
    let op = |endpoint: &'static str, op: Operation| {
        move |State(ctx): State<Ctx>, conn: Conn, form: Result<Form<ChannelForm>, FormRejection>| async move {
            let form = ChannelForm::read(form.map(|Form(form)| form));
            ctx.call(&conn, endpoint, |world, dialect| {
                run(world, dialect, op, &form)
            })
            .await
        }
    };
    Router::new()
        .route(
            "/oauth2/v3/token",
            post(op(STATELESS, v21::issue_stateless)),
        )
        .route("/oauth2/v2.1/tokens/kid", get(op(KIDS, v21::kids)))
        .route("/user/v1/deauthorize", post(deauthorize))
}

/// `POST /_sim/line/channels/{client_id}/assertion-keys`: registers a public JWK; 201 `{"kid"}`.
pub(super) async fn register_key(
    State(ctx): State<Ctx>,
    Path(client_id): Path<String>,
    Json(jwk): Json<Jwk>,
) -> Result<(StatusCode, Json<Value>), AdminError> {
    ctx.with(|world, dialect| {
        tokens::register(world, &mut lock(&dialect.bot), NAME, &client_id, &jwk)
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Deauthorize {
    user_access_token: Option<String>,
}

/// `POST /user/v1/deauthorize`: with the channel's v2.1 or stateless token as
/// bearer, revokes everything the user granted the channel (204); a user
/// token that is not live for the channel is 400 `{"message":"invalid token"}`.
async fn deauthorize(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ctx.call(&conn, DEAUTHORIZE, |world, dialect| {
        let kinds = [Kind::V21, Kind::Stateless];
        let authorized = tokens::authenticate(world, &lock(&dialect.bot), &headers, NAME, &kinds);
        let channel_id = match authorized {
            Ok(channel_id) => channel_id,
            Err(error) => return error.into_response(),
        };
        let token = serde_json::from_slice::<Deauthorize>(&body)
            .ok()
            .and_then(|body| body.user_access_token);
        let now = world.clock.now();
        let user_id = token.and_then(|token| {
            let grant = dialect.check_access_token(&token, now).ok();
            grant
                .filter(|grant| grant.client_id == channel_id)
                .map(|grant| grant.user_id)
        });
        let Some(user_id) = user_id else {
            let body = Json(json!({ "message": "invalid token" }));
            return (StatusCode::BAD_REQUEST, body).into_response();
        };
        dialect.deauthorize(&channel_id, user_id);
        StatusCode::NO_CONTENT.into_response()
    })
    .await
}
