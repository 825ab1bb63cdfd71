//! The resource endpoints: userinfo and top-up.

use crate::aihubmix::Ctx;
use axum::{
    Json,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::{AccessGrant, DialectState, PREFIX, TOPUP, USERINFO, balance::format_balance};
use crate::{consent, net::Conn, oauth, state::World};

/// The grant behind a request's bearer token, or why it is unusable (the
/// `error_description` of the 401).
fn authenticate(
    world: &World,
    dialect: &DialectState,
    headers: &HeaderMap,
) -> Result<AccessGrant, &'static str> {
    let token = oauth::bearer(headers).ok_or("missing bearer token")?;
    let grant = dialect
        .access_tokens
        .get(token)
        .ok_or("unknown access token")?;
    if grant.revoked {
        return Err("the access token was revoked");
    }
    if world.clock.now() >= grant.expires_at {
        return Err("the access token has expired");
    }
    Ok(grant.clone())
}

/// The userinfo body: a bare object, fields present only when their scope was granted.
#[derive(Debug, Serialize)]
struct UserInfo<'a> {
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    used_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance_formatted: Option<String>,
    created_time: u64,
    /// one-api convention: 1 = enabled.
    status: u8,
}

/// `GET /api/oauth2/userinfo`.
pub(super) async fn userinfo(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    if let Some(response) = ctx.begin(&conn, USERINFO, None).await {
        return response;
    }
    ctx.with(|world, dialect| {
        let grant = match authenticate(world, dialect, &headers) {
            Ok(grant) => grant,
            Err(reason) => return oauth::invalid_token(reason),
        };
        let format = dialect.options.balance_format;
        let Some(user) = world.user(grant.user_id) else {
            return oauth::invalid_token("the account no longer exists");
        };
        let profile = grant.scopes.profile;
        let balance = grant.scopes.balance.then_some(user.aihubmix);
        Json(UserInfo {
            id: user.id,
            username: profile.then_some(user.username),
            email: profile.then_some(user.email),
            quota: balance.map(|balance| balance.quota),
            used_quota: balance.map(|balance| balance.used_quota),
            balance_formatted: balance.map(|balance| format_balance(format, balance)),
            created_time: user.created_time,
            status: 1,
        })
        .into_response()
    })
}

#[derive(Debug, Serialize)]
struct Topup {
    topup_url: String,
}

/// `GET /api/oauth2/topup`: where to send the user to add credit.
pub(super) async fn topup(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    if let Some(response) = ctx.begin(&conn, TOPUP, None).await {
        return response;
    }
    if let Err(reason) = ctx.with(|world, dialect| authenticate(world, dialect, &headers).map(drop))
    {
        return oauth::invalid_token(reason);
    }
    let topup_url = format!("{}{PREFIX}/topup", ctx.base_url(&headers));
    Json(Topup { topup_url }).into_response()
}

/// `GET /topup`: the page the top-up URL opens.
pub(super) async fn topup_page() -> Response {
    consent::info_page(
        "AIHubMix top-up (simulated)",
        &[
            "This page stands in for AIHubMix's top-up page. Nothing is charged here.",
            "Tests change balances with PUT /_sim/users/{id}/aihubmix.",
        ],
    )
}
