//! `POST /open-apis/auth/v3/app_access_token/internal` with its 30-minute reissue rule, and checking app tokens.

use crate::feishu::{Ctx, NAME};
use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    APP_TOKEN,
    envelope::ApiError,
    grants::{AppToken, DialectState},
};
use crate::{net::Conn, oauth, state::World};

/// Body of `POST /open-apis/auth/v3/app_access_token/internal`.
#[derive(Debug, Deserialize)]
pub(super) struct AppTokenRequest {
    app_id: Option<String>,
    app_secret: Option<String>,
}

/// The self-built app's token: top-level fields, no `data`.
pub(super) async fn app_access_token(
    State(ctx): State<Ctx>,
    conn: Conn,
    body: Result<Json<AppTokenRequest>, JsonRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, APP_TOKEN, None).await {
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
    ctx.with(|world, dialect| {
        let authenticated = world
            .clients
            .get(NAME, &app_id)
            .is_some_and(|client| oauth::secrets_match(&client.client_secret, &app_secret));
        if !authenticated {
            let code = dialect.options.app_credentials_error_code;
            return ApiError::new(code, "app secret invalid").into_response();
        }
        let now = world.clock.now();
        let (token, expire) = current_app_token(dialect, &app_id, now);
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
pub(super) fn app_of_token(
    world: &World,
    dialect: &DialectState,
    token: Option<&str>,
) -> Result<String, ApiError> {
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        return Err(ApiError::gateway(
            dialect,
            99_991_661,
            "Missing access token for authorization. Please make a request with token attached.",
        ));
    };
    if !token.starts_with("t-") {
        return Err(ApiError::gateway(
            dialect,
            99_991_671,
            "Invalid token format: an app_access_token starts with t-.",
        ));
    }
    match dialect.app_tokens.get(token) {
        Some(grant) if world.clock.now() < grant.expires_at => Ok(grant.app_id.clone()),
        _ => Err(ApiError::gateway(
            dialect,
            99_991_664,
            "Invalid app access token for authorization.",
        )),
    }
}
