//! The OIDC userinfo endpoint (OIDC Core §5.3) and token revocation (RFC 7009).

use crate::oauth::non_empty;
use crate::{dialect::Dialect, oidc::Ctx};
use axum::{
    Form, Json, Router,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    REVOKE, USERINFO,
    token::{ProfileClaims, authenticate},
};
use crate::{
    flow,
    net::Conn,
    oauth::{self, TokenError},
};

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route("/userinfo", get(userinfo).post(userinfo))
        .route("/revoke", post(revoke))
}

/// `GET` or `POST /userinfo` (OIDC Core §5.3), bearer token in the header.
async fn userinfo(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let base_url = ctx.base_url(&headers);
    ctx.call(&conn, USERINFO, |world, dialect| {
        let (user, grant) = match flow::bearer_user(world, &dialect.grants, &headers) {
            Ok(found) => found,
            Err(response) => return *response,
        };
        let mut claims = serde_json::to_value(ProfileClaims::new(user, grant.extra, &base_url))
            .unwrap_or_default();
        claims["sub"] = user.oidc_sub.into();
        Json(claims).into_response()
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `POST /revoke`: 200 whether or not the token was known (RFC 7009 §2.2).
/// Revoking a refresh token ends its whole grant, access tokens included.
async fn revoke(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Response {
    ctx.call(&conn, REVOKE, |world, dialect| {
        let Ok(Form(form)) = form else {
            return TokenError::invalid_request("the body must be form-encoded").into_response();
        };
        let client_id = match authenticate(world, &headers, &form.client_id, &form.client_secret) {
            Ok(client_id) => client_id,
            Err(failure) => return failure.into_response(),
        };
        let Some(token) = non_empty(&form.token) else {
            return TokenError::missing("token").into_response();
        };
        // The hint only changes the lookup order (RFC 7009 §2.1).
        let grants = &dialect.grants;
        let access = grants
            .access
            .get(token)
            .map(|g| (g.client_id.clone(), false));
        let refresh = grants
            .refresh
            .get(token)
            .map(|g| (g.client_id.clone(), true));
        let owner = match form.token_type_hint.as_deref() {
            Some("refresh_token") => refresh.or(access),
            _ => access.or(refresh),
        };
        match owner {
            None => {}
            Some((owner, _)) if owner != client_id => {
                return TokenError::invalid_grant("the token was issued to another client")
                    .into_response();
            }
            Some((_, true)) => {
                dialect.revoke_refresh_token(token);
            }
            Some((_, false)) => {
                dialect.revoke_access_token(token);
            }
        }
        (StatusCode::OK, oauth::no_store_headers()).into_response()
    })
    .await
}
