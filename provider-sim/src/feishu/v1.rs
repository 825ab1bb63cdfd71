//! Feishu's legacy v1 login calls (seed 003): access_token, refresh_access_token, user_info.
//!
//! Every error is HTTP 200 with `{"code": <non-zero>, "msg"}` (gateway errors
//! follow the `gateway_error_status` option). The index page is in `login`.

use axum::{
    Json, Router,
    extract::{State, rejection::JsonRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ACCESS_TOKEN, Ctx, DialectState, REFRESH, USER_INFO,
    app_token::app_of_token,
    envelope::{ApiError, success, user_fields},
    grants::{Generation, Issued},
};
use crate::{
    grants::{BearerFailure, CodeRules, Redeem},
    net::Conn,
    oauth::{self, non_empty},
    state::World,
};

/// v1's token calls check a code's client, use and expiry only.
const CODE_RULES: CodeRules = CodeRules {
    used_first: true,
    replay_revokes: false,
    redirect: false,
    pkce: false,
};

pub(super) fn router() -> Router<Ctx> {
    // `access_token` redeems a code; `refresh_access_token` rotates the refresh token.
    let call = |endpoint| {
        move |State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap, body| async move {
            token_call(&ctx, &conn, endpoint, &headers, body).await
        }
    };
    Router::new()
        .route(
            "/open-apis/authen/v1/access_token",
            post(call(ACCESS_TOKEN)),
        )
        .route(
            "/open-apis/authen/v1/refresh_access_token",
            post(call(REFRESH)),
        )
        .route("/open-apis/authen/v1/user_info", get(user_info))
}

/// JSON body of both v1 token calls. `app_access_token` in the body is the 2020
/// client's way (the seed's); the current docs want `Authorization: Bearer`.
/// Both are accepted; the header wins when both are sent.
#[derive(Debug, Deserialize)]
struct TokenBody {
    grant_type: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
    app_access_token: Option<String>,
}

/// `data` of a v1 token response: token fields plus the user's profile.
fn token_data(
    world: &World,
    dialect: &DialectState,
    issued: &Issued,
    user_id: u64,
    base_url: &str,
) -> Value {
    let contact = dialect.options.include_contact_fields;
    let mut data = world
        .user(user_id)
        .map(|user| user_fields(user, base_url, contact))
        .unwrap_or_default();
    if let Value::Object(tokens) = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "refresh_token": issued.refresh_token,
        "refresh_expires_in": issued.refresh_expires_in,
    }) {
        data.extend(tokens);
    }
    Value::Object(data)
}

/// Parses the body and authenticates the app; the app id and the body.
fn authenticate(
    world: &World,
    dialect: &DialectState,
    headers: &HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(String, TokenBody), ApiError> {
    let Ok(Json(body)) = body else {
        return Err(ApiError::invalid_param("the body must be a JSON object"));
    };
    let token = oauth::bearer(headers).or(non_empty(&body.app_access_token));
    let app_id = app_of_token(world, dialect, token)?;
    Ok((app_id, body))
}

/// Both token calls: the app authenticates, then `endpoint` says which grant
/// the body must carry. The answer is the token pair and the user's profile.
async fn token_call(
    ctx: &Ctx,
    conn: &Conn,
    endpoint: &'static str,
    headers: &HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Response {
    let base_url = ctx.base_url(headers);
    ctx.call(conn, endpoint, |world, dialect| {
        let issued = authenticate(world, dialect, headers, body).and_then(|(app_id, body)| {
            let now = world.clock.now();
            if endpoint == ACCESS_TOKEN {
                redeem(dialect, now, &app_id, &body)
            } else {
                refresh(dialect, now, &app_id, &body)
            }
        });
        match issued {
            Ok((issued, user_id)) => {
                let data = token_data(world, dialect, &issued, user_id, &base_url);
                success("success", data)
            }
            Err(error) => error.into_response(),
        }
    })
    .await
}

fn redeem(
    dialect: &mut DialectState,
    now: u64,
    app_id: &str,
    body: &TokenBody,
) -> Result<(Issued, u64), ApiError> {
    if body.grant_type.as_deref() != Some("authorization_code") {
        return Err(ApiError::invalid_param(
            "grant_type must be authorization_code",
        ));
    }
    let code = non_empty(&body.code).ok_or_else(|| ApiError::invalid_param("missing code"))?;
    let claim = Redeem {
        code,
        client_id: app_id,
        now,
        redirect_uri: None,
        verifier: None,
    };
    let code = dialect
        .grants
        .redeem(&claim, CODE_RULES)
        .map_err(|failure| {
            let (code, message) = Generation::V1.code_error(failure);
            ApiError::new(code, message)
        })?;
    let grant = (code.user_id, code.grant_id);
    let issued = dialect.issue(now, app_id, grant, Generation::V1, "");
    Ok((issued, code.user_id))
}

fn refresh(
    dialect: &mut DialectState,
    now: u64,
    app_id: &str,
    body: &TokenBody,
) -> Result<(Issued, u64), ApiError> {
    if body.grant_type.as_deref() != Some("refresh_token") {
        return Err(ApiError::invalid_param("grant_type must be refresh_token"));
    }
    let token = non_empty(&body.refresh_token)
        .ok_or_else(|| ApiError::invalid_param("missing refresh_token"))?;
    let reuse_code = dialect.options.refresh_reuse_code;
    let spent = dialect
        .spend_refresh(token, app_id, now, Generation::V1)
        .map_err(|failure| {
            let (code, message) = Generation::V1.refresh_error(failure, reuse_code);
            ApiError::new(code, message)
        })?;
    dialect.retire_access_token(&spent.extra.access_token, now);
    let grant = (spent.user_id, spent.grant_id);
    let issued = dialect.issue(now, app_id, grant, Generation::V1, "");
    Ok((issued, spent.user_id))
}

/// `GET /open-apis/authen/v1/user_info` with a user_access_token (either generation's).
async fn user_info(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let base_url = ctx.base_url(&headers);
    ctx.call(&conn, USER_INFO, |world, dialect| {
        match user_of_token(world, dialect, oauth::bearer(&headers)) {
            Ok(user_id) => {
                let contact = dialect.options.include_contact_fields;
                let Some(user) = world.user(user_id) else {
                    return ApiError::new(20008, "user not exist").into_response();
                };
                let mut data = user_fields(user, &base_url, contact);
                if contact {
                    data.insert("employee_no".to_owned(), format!("E{}", user.id).into());
                }
                success("success", Value::Object(data))
            }
            Err(error) => error.into_response(),
        }
    })
    .await
}

/// The user behind a user_access_token, or the gateway error for it.
fn user_of_token(
    world: &World,
    dialect: &DialectState,
    token: Option<&str>,
) -> Result<u64, ApiError> {
    let Some(token) = token else {
        return Err(ApiError::gateway(
            dialect,
            99_991_661,
            "Missing access token for authorization. Please make a request with token attached.",
        ));
    };
    // v1 tokens start with `u-`, v2 tokens are JWS (`eyJ…`).
    if !token.starts_with("u-") && !token.starts_with("eyJ") {
        return Err(ApiError::gateway(
            dialect,
            99_991_671,
            "Invalid token format: a user_access_token starts with u-.",
        ));
    }
    let invalid = || {
        ApiError::gateway(
            dialect,
            99_991_668,
            "Invalid access token for authorization. Please make a request with token attached.",
        )
    };
    match dialect.grants.live_access(token, world.clock.now()) {
        Ok(grant) => Ok(grant.user_id),
        Err(BearerFailure::Expired) => {
            let code = dialect.options.expired_user_token_code;
            Err(ApiError::gateway(
                dialect,
                code,
                "user access token expired",
            ))
        }
        Err(_) => Err(invalid()),
    }
}
