//! The resource endpoints: userinfo and top-up.

use crate::aihubmix::Ctx;
use axum::{
    Json,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::{PREFIX, TOPUP, USERINFO, balance::format_balance};
use crate::{consent, flow, net::Conn, oauth};

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
    ctx.call(&conn, USERINFO, |world, dialect| {
        let (user, grant) = match flow::bearer_user(world, &dialect.grants, &headers) {
            Ok(found) => found,
            Err(response) => return *response,
        };
        let format = dialect.options.balance_format;
        let profile = grant.extra.profile;
        let balance = grant.extra.balance.then_some(user.aihubmix);
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
    .await
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
    let checked =
        ctx.with(|world, dialect| dialect.grants.bearer(&headers, world.clock.now()).map(drop));
    if let Err(failure) = checked {
        return oauth::invalid_token(failure.describe());
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
