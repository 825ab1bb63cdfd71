//! Resource and metadata endpoints: profile, friendship status, userinfo, JWKS, discovery.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

use super::{
    CERTS, Ctx, DISCOVERY, DialectState, FRIENDSHIP, ISSUER, PREFIX, PROFILE, USERINFO, id_token,
    scopes::Scopes,
};
use crate::{
    grants::Access,
    line_messaging::Friendship,
    net::Conn,
    oauth,
    state::{World, lock},
    users::{self, User},
};

/// The grant behind the request's bearer token, or the reason it is unusable.
fn authenticate<'d>(
    world: &World,
    dialect: &'d DialectState,
    headers: &HeaderMap,
) -> Result<&'d Access<Scopes>, &'static str> {
    let token = oauth::bearer(headers).ok_or("The Authorization header is missing")?;
    dialect.check_access_token(token, world.clock.now())
}

/// A LINE API error of the `/v2` and `/friendship` family: `{"message"}`.
fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "message": text }))).into_response()
}

/// The grant behind the bearer token of a `profile`-scoped call, or the error
/// (status and message) to answer.
fn profile_grant<'d>(
    world: &World,
    dialect: &'d DialectState,
    headers: &HeaderMap,
) -> Result<&'d Access<Scopes>, (StatusCode, &'static str)> {
    let grant = authenticate(world, dialect, headers)
        .map_err(|reason| (StatusCode::UNAUTHORIZED, reason))?;
    if !grant.extra.profile {
        let lacks = "The access token lacks the profile scope";
        return Err((StatusCode::FORBIDDEN, lacks));
    }
    Ok(grant)
}

/// Status messages of the seeded users; `statusMessage` is left out when unset.
fn status_message(user: &User) -> Option<&'static str> {
    match user.id {
        12345 => Some("今天也要加油！"),
        12348 => Some("Hello, LINE!"),
        _ => None,
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    user_id: &'static str,
    display_name: &'static str,
    picture_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_message: Option<&'static str>,
}

/// `GET /v2/profile` (needs `profile`).
pub(super) async fn profile(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let base_url = ctx.base_url(&headers);
    ctx.call(&conn, PROFILE, |world, dialect| {
        let grant = match profile_grant(world, dialect, &headers) {
            Ok(grant) => grant,
            Err((status, text)) => return message(status, text),
        };
        let Some(user) = world.user(grant.user_id) else {
            return message(StatusCode::UNAUTHORIZED, "The account no longer exists");
        };
        Json(Profile {
            user_id: user.line_user_id,
            display_name: user.display_name,
            picture_url: format!("{base_url}{}", users::avatar_path(user.id)),
            status_message: status_message(user),
        })
        .into_response()
    })
    .await
}

/// `GET /friendship/v1/status` (needs `profile`): `true` only for a friend who
/// has not blocked the channel's linked official account.
pub(super) async fn friendship(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    ctx.call(&conn, FRIENDSHIP, |world, dialect| {
        let grant = match profile_grant(world, dialect, &headers) {
            Ok(grant) => grant,
            Err((status, text)) => return message(status, text),
        };
        let friend = dialect
            .channel(&grant.client_id)
            .linked_bot_channel_id
            .is_some_and(|bot| {
                lock(&dialect.bot).friendship(&bot, grant.user_id) == Friendship::Friend
            });
        Json(json!({ "friendFlag": friend })).into_response()
    })
    .await
}

#[derive(Debug, Serialize)]
struct UserInfo {
    sub: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    picture: Option<String>,
}

/// `GET|POST /oauth2/v2.1/userinfo` (needs `openid`; name and picture need `profile`).
pub(super) async fn userinfo(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let base_url = ctx.base_url(&headers);
    ctx.call(&conn, USERINFO, |world, dialect| {
        let grant = match authenticate(world, dialect, &headers) {
            Ok(grant) => grant,
            Err(reason) => return oauth::invalid_token(reason),
        };
        if !grant.extra.openid {
            // RFC 6750 §3.1.
            return (
                StatusCode::FORBIDDEN,
                [(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="insufficient_scope""#),
                )],
                Json(json!({
                    "error": "insufficient_scope",
                    "error_description": "the access token lacks the openid scope",
                })),
            )
                .into_response();
        }
        let Some(user) = world.user(grant.user_id) else {
            return oauth::invalid_token("the account no longer exists");
        };
        let profile = grant.extra.profile;
        Json(UserInfo {
            sub: user.line_user_id,
            name: profile.then_some(user.display_name),
            picture: profile.then(|| format!("{base_url}{}", users::avatar_path(user.id))),
        })
        .into_response()
    })
    .await
}

/// `GET /oauth2/v2.1/certs`: the ES256 key of native channels' ID tokens.
pub(super) async fn certs(State(ctx): State<Ctx>, conn: Conn) -> Response {
    ctx.call(&conn, CERTS, |_, _| Json(id_token::jwks()).into_response())
        .await
}

/// `GET /.well-known/openid-configuration`, with URLs on this simulator and
/// LINE's quirk: only ES256 is advertised although web ID tokens are HS256.
pub(super) async fn discovery(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let base = format!("{}{PREFIX}", ctx.base_url(&headers));
    ctx.call(&conn, DISCOVERY, |_, dialect| {
        let algorithms: &[&str] = if dialect.options.discovery_lists_hs256 {
            &["ES256", "HS256"]
        } else {
            &["ES256"]
        };
        Json(json!({
            "issuer": ISSUER,
            "authorization_endpoint": format!("{base}/oauth2/v2.1/authorize"),
            "token_endpoint": format!("{base}/oauth2/v2.1/token"),
            "revocation_endpoint": format!("{base}/oauth2/v2.1/revoke"),
            "userinfo_endpoint": format!("{base}/oauth2/v2.1/userinfo"),
            "scopes_supported": ["openid", "profile", "email"],
            "jwks_uri": format!("{base}/oauth2/v2.1/certs"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": algorithms,
            "code_challenge_methods_supported": ["S256"],
        }))
        .into_response()
    })
    .await
}
