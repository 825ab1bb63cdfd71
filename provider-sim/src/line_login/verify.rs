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
use serde_json::Value;

use super::{
    Ctx, DialectState, NAME, REVOKE, VERIFY_ACCESS_TOKEN, VERIFY_ID_TOKEN, channel_api, id_token,
    scopes::Scopes, token::authenticate,
};
use crate::{
    grants::{Access, BearerFailure},
    line_messaging::tokens::{
        is_jws,
        v21::{self, ChannelForm},
    },
    net::Conn,
    oauth::{TokenError, non_empty, required},
    state::{World, lock},
};

impl DialectState {
    /// The usable access token `token`, or why it is not, as the verify
    /// endpoint words it.
    pub(super) fn check_access_token(
        &self,
        token: &str,
        now: u64,
    ) -> Result<&Access<Scopes>, &'static str> {
        if !is_jws(token) {
            return Err("The access token not JWS");
        }
        self.grants
            .live_access(token, now)
            .map_err(|failure| match failure {
                // [I] LINE does not document the answer for a well-formed token it never issued.
                BearerFailure::Missing | BearerFailure::Unknown => "The access token invalid",
                BearerFailure::Revoked => "The access token revoked",
                BearerFailure::Expired => "The access token expired",
            })
    }
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
    let query = query.map(|Query(query)| query).unwrap_or_default();
    ctx.call(&conn, VERIFY_ACCESS_TOKEN, |world, dialect| {
        let token = match required(&query.access_token, "access_token") {
            Ok(token) => token,
            Err(error) => return error.into_response(),
        };
        if v21::is_channel_token(&lock(&dialect.bot), NAME, token) {
            return channel_api::run(world, dialect, v21::verify, &query);
        }
        let now = world.clock.now();
        let verified = dialect
            .check_access_token(token, now)
            .map(|grant| Verified {
                scope: grant.extra.reported(dialect.options.scope_lists_openid),
                client_id: grant.client_id.clone(),
                expires_in: grant.expires_at.saturating_sub(now),
            });
        verified
            .map(Json)
            .map_err(TokenError::invalid_request)
            .into_response()
    })
    .await
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
    ctx.call(&conn, VERIFY_ID_TOKEN, |world, _| {
        verify_id_token_form(world, form).into_response()
    })
    .await
}

fn verify_id_token_form(
    world: &World,
    form: Result<Form<VerifyIdTokenForm>, FormRejection>,
) -> Result<Json<Value>, TokenError> {
    let Ok(Form(form)) = form else {
        return Err(TokenError::invalid_request("the body must be a form"));
    };
    let id_token = required(&form.id_token, "id_token")?;
    let client_id = required(&form.client_id, "client_id")?;
    let (nonce, user_id) = (non_empty(&form.nonce), non_empty(&form.user_id));
    let claims = id_token::verify(world, id_token, client_id, nonce, user_id);
    claims.map(Json).map_err(TokenError::invalid_request)
}

/// `POST /oauth2/v2.1/revoke`: 200 with an empty body; the access token and
/// every token of its grant (its refresh token included) stop working. A
/// channel's own v2.1 token is revoked the Messaging API's way.
pub(super) async fn revoke(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<ChannelForm>, FormRejection>,
) -> Response {
    ctx.call(&conn, REVOKE, |world, dialect| {
        let Ok(Form(form)) = form else {
            return TokenError::invalid_request("the body must be a form").into_response();
        };
        let token = non_empty(&form.access_token);
        if token.is_some_and(|token| v21::is_channel_token(&lock(&dialect.bot), NAME, token)) {
            return channel_api::run(world, dialect, v21::revoke, &form);
        }
        revoke_user_token(world, dialect, &form)
            .map(|()| StatusCode::OK)
            .into_response()
    })
    .await
}

/// Revokes a user's access token with its whole grant.
fn revoke_user_token(
    world: &World,
    dialect: &mut DialectState,
    form: &ChannelForm,
) -> Result<(), TokenError> {
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
    let grants = &mut dialect.grants;
    if grants
        .access
        .get(token)
        .is_some_and(|grant| grant.client_id == client_id)
    {
        grants.revoke_token_grant(token);
    }
    Ok(())
}
