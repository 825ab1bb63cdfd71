//! `verify` (access tokens by `GET`, ID tokens by `POST`) and `revoke`.

use axum::{
    Json,
    extract::{
        Form, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

use super::{
    Ctx, NAME, REVOKE, VERIFY_ACCESS_TOKEN, VERIFY_ID_TOKEN, channel_api,
    grants::{AccessGrant, DialectState},
    id_token,
    token::{authenticate, required},
};
use crate::{
    line_messaging::tokens::{
        is_jws,
        v21::{self, ChannelForm},
    },
    net::Conn,
    oauth::{TokenError, non_empty},
    state::{World, lock},
};

/// Why an access token is unusable, as the verify endpoint words it.
pub(super) fn check_access_token(
    world: &World,
    dialect: &DialectState,
    token: &str,
) -> Result<AccessGrant, &'static str> {
    if !is_jws(token) {
        return Err("The access token not JWS");
    }
    // [I] LINE does not document the answer for a well-formed token it never issued.
    let grant = dialect
        .access_tokens
        .get(token)
        .ok_or("The access token invalid")?;
    if grant.revoked || dialect.grant_revoked(grant.grant_id) {
        return Err("The access token revoked");
    }
    if world.clock.now() >= grant.expires_at {
        return Err("The access token expired");
    }
    Ok(grant.clone())
}

#[derive(Debug, Serialize)]
struct Verified {
    scope: String,
    client_id: String,
    expires_in: u64,
}

/// `GET /oauth2/v2.1/verify?access_token=`.
pub(super) async fn verify_access_token(
    State(ctx): State<Ctx>,
    conn: Conn,
    query: Result<Query<ChannelForm>, QueryRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, VERIFY_ACCESS_TOKEN, None).await {
        return response;
    }
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let Some(token) = non_empty(&query.access_token) else {
        return TokenError::missing("access_token").into_response();
    };
    ctx.with(|world, dialect| {
        if v21::is_channel_token(&lock(&dialect.bot), NAME, token) {
            return channel_api::run(world, dialect, v21::verify, &query);
        }
        match check_access_token(world, dialect, token) {
            Ok(grant) => Json(Verified {
                scope: grant.scopes.reported(dialect.options.scope_lists_openid),
                client_id: grant.client_id,
                expires_in: grant.expires_at.saturating_sub(world.clock.now()),
            })
            .into_response(),
            Err(reason) => TokenError::invalid_request(reason).into_response(),
        }
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct VerifyIdTokenForm {
    id_token: Option<String>,
    client_id: Option<String>,
    nonce: Option<String>,
    user_id: Option<String>,
}

/// `POST /oauth2/v2.1/verify`: the decoded payload, or 400 with LINE's wording.
pub(super) async fn verify_id_token(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<VerifyIdTokenForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, VERIFY_ID_TOKEN, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return TokenError::invalid_request("the body must be a form").into_response();
    };
    let (Some(id_token), Some(client_id)) = (non_empty(&form.id_token), non_empty(&form.client_id))
    else {
        let missing = if non_empty(&form.id_token).is_none() {
            "id_token"
        } else {
            "client_id"
        };
        return TokenError::missing(missing).into_response();
    };
    let nonce = non_empty(&form.nonce);
    let user_id = non_empty(&form.user_id);
    match ctx.with(|world, _| id_token::verify(world, id_token, client_id, nonce, user_id)) {
        Ok(claims) => Json(claims).into_response(),
        Err(reason) => TokenError::invalid_request(reason).into_response(),
    }
}

/// `POST /oauth2/v2.1/revoke`: 200 with an empty body; the access token and
/// every token of its grant (its refresh token included) stop working. A
/// channel's own v2.1 token is revoked the Messaging API's way.
pub(super) async fn revoke(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<ChannelForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, REVOKE, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return TokenError::invalid_request("the body must be a form").into_response();
    };
    let channel_token = non_empty(&form.access_token).is_some_and(|token| {
        ctx.with(|_, dialect| v21::is_channel_token(&lock(&dialect.bot), NAME, token))
    });
    if channel_token {
        return ctx.with(|world, dialect| channel_api::run(world, dialect, v21::revoke, &form));
    }
    let result = ctx.with(|world, dialect| {
        let token = required(&form.access_token, "access_token")?;
        let client_id = required(&form.client_id, "client_id")?;
        authenticate(
            world,
            dialect,
            client_id,
            non_empty(&form.client_secret),
            false,
        )?;
        if !is_jws(token) {
            return Err(TokenError::invalid_request("The access token not JWS"));
        }
        // An unknown token, or another channel's, is not an error: nothing happens.
        let grant_id = dialect
            .access_tokens
            .get_mut(token)
            .filter(|grant| grant.client_id == client_id)
            .map(|grant| {
                grant.revoked = true;
                grant.grant_id
            });
        if let Some(grant_id) = grant_id {
            dialect.revoked_grants.insert(grant_id);
        }
        Ok(())
    });
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => error.into_response(),
    }
}
