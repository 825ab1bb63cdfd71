//! The v2 token endpoint (`POST /open-apis/authen/v2/oauth/token`): both grants, PKCE and scope narrowing.

use crate::feishu::{Ctx, DialectState, NAME};
use crate::oauth::non_empty;
use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Deserialize;

use super::CodeRequest;
use crate::{
    feishu::{
        V2_TOKEN, V2_TOKEN_CODE, V2_TOKEN_REFRESH,
        grants::{Generation, RefreshStatus},
    },
    net::Conn,
    oauth,
    state::World,
};

const OFFLINE_ACCESS: &str = "offline_access";

#[derive(Debug, Deserialize)]
pub(super) struct TokenBody {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
    refresh_token: Option<String>,
}

/// A v2 error: `{"code", "error", "error_description"}` with a real HTTP status.
#[derive(Debug)]
struct V2Error {
    status: StatusCode,
    code: u32,
    error: &'static str,
    description: String,
}

impl V2Error {
    fn new(code: u32, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            error,
            description: description.into(),
        }
    }

    fn grant(code: u32, description: &str) -> Self {
        Self::new(code, "invalid_grant", description)
    }
}

impl IntoResponse for V2Error {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "code": self.code,
            "error": self.error,
            "error_description": self.description,
        });
        (self.status, oauth::no_store_headers(), Json(body)).into_response()
    }
}

/// `POST /open-apis/authen/v2/oauth/token`: both grants, JSON in and out.
pub(super) async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Response {
    let grant_counter = body.as_ref().ok().and_then(|Json(body)| {
        crate::oauth::grant_counter(body.grant_type.as_deref(), V2_TOKEN_CODE, V2_TOKEN_REFRESH)
    });
    if let Some(response) = ctx.begin(&conn, V2_TOKEN, grant_counter).await {
        return response;
    }
    let Ok(Json(body)) = body else {
        return V2Error::new(20063, "invalid_request", "malformed request body").into_response();
    };
    match ctx.with(|world, dialect| exchange(world, dialect, &headers, &body)) {
        Ok(body) => (oauth::no_store_headers(), Json(body)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `client_id` and `client_secret` from HTTP Basic or the body, never both (20070).
fn client_credentials(headers: &HeaderMap, body: &TokenBody) -> Result<(String, String), V2Error> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            Some((id.to_owned(), secret.to_owned()))
        });
    match (basic, non_empty(&body.client_secret)) {
        (Some(_), Some(_)) => Err(V2Error::new(
            20070,
            "invalid_request",
            "send client_secret in the body or HTTP Basic, not both",
        )),
        (Some(pair), None) => Ok(pair),
        (None, Some(secret)) => {
            let id = non_empty(&body.client_id)
                .ok_or_else(|| V2Error::new(20001, "invalid_request", "missing client_id"))?;
            Ok((id.to_owned(), secret.to_owned()))
        }
        (None, None) => Err(V2Error::new(
            20001,
            "invalid_request",
            "missing client_secret",
        )),
    }
}

fn exchange(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: &TokenBody,
) -> Result<serde_json::Value, V2Error> {
    let grant_type = non_empty(&body.grant_type)
        .ok_or_else(|| V2Error::new(20001, "invalid_request", "missing grant_type"))?;
    let (client_id, secret) = client_credentials(headers, body)?;
    let client = world
        .clients
        .get(NAME, &client_id)
        .ok_or_else(|| V2Error::new(20048, "invalid_client", "app does not exist"))?;
    if !oauth::secrets_match(&client.client_secret, &secret) {
        return Err(V2Error::new(
            20002,
            "invalid_client",
            "client secret invalid",
        ));
    }
    let now = world.clock.now();
    let (user_id, grant_id, granted, old_access) = match grant_type {
        "authorization_code" => {
            let code = non_empty(&body.code)
                .ok_or_else(|| V2Error::new(20001, "invalid_request", "missing code"))?;
            let grant = dialect
                .codes
                .get_mut(code)
                .ok_or_else(|| V2Error::grant(20003, "authorization code not found"))?;
            if grant.redeemed {
                return Err(V2Error::grant(20065, "authorization code already used"));
            }
            if grant.app_id != client_id {
                return Err(V2Error::grant(20024, "the code belongs to another app"));
            }
            if now >= grant.expires_at {
                return Err(V2Error::grant(20004, "authorization code expired"));
            }
            let request = grant.v2.clone();
            if let Some(request) = &request {
                if non_empty(&body.redirect_uri) != Some(request.redirect_uri.as_str()) {
                    return Err(V2Error::grant(20071, "redirect_uri mismatch"));
                }
                check_pkce(request, non_empty(&body.code_verifier))?;
            }
            grant.redeemed = true;
            let scope = request.map(|request| request.scope).unwrap_or_default();
            (grant.user_id, grant.grant_id, scope, None)
        }
        "refresh_token" => {
            let token = non_empty(&body.refresh_token)
                .ok_or_else(|| V2Error::new(20001, "invalid_request", "missing refresh_token"))?;
            let reuse_code = dialect.options.refresh_reuse_code;
            let grant = dialect
                .refresh_tokens
                .get_mut(token)
                .filter(|grant| grant.generation == Generation::V2)
                .ok_or_else(|| V2Error::grant(20026, "refresh token invalid"))?;
            if grant.app_id != client_id {
                return Err(V2Error::grant(
                    20024,
                    "the refresh token belongs to another app",
                ));
            }
            match grant.status {
                RefreshStatus::Active => {}
                RefreshStatus::Used => {
                    return Err(V2Error::grant(reuse_code, "refresh token already used"));
                }
                RefreshStatus::Revoked => {
                    return Err(V2Error::grant(20064, "refresh token revoked"));
                }
            }
            if now >= grant.expires_at {
                return Err(V2Error::grant(20037, "refresh token expired"));
            }
            grant.status = RefreshStatus::Used;
            let old = grant.access_token.clone();
            (
                grant.user_id,
                grant.grant_id,
                grant.scope.clone(),
                Some(old),
            )
        }
        other => {
            return Err(V2Error::new(
                20036,
                "unsupported_grant_type",
                format!("unsupported grant_type: {other}"),
            ));
        }
    };
    let scope = narrow_scope(&granted, non_empty(&body.scope))?;
    if let Some(old) = old_access {
        dialect.retire_access_token(&old, now);
    }
    let issued = dialect.issue(now, &client_id, user_id, grant_id, Generation::V2, &scope);
    let mut response = serde_json::json!({
        "code": 0,
        "access_token": issued.access_token,
        "expires_in": issued.expires_in,
        "token_type": "Bearer",
        "scope": scope,
    });
    if scope.split(' ').any(|item| item == OFFLINE_ACCESS) {
        response["refresh_token"] = issued.refresh_token.into();
        response["refresh_token_expires_in"] = issued.refresh_expires_in.into();
    } else {
        dialect.refresh_tokens.remove(&issued.refresh_token);
    }
    Ok(response)
}

/// RFC 7636 check, with `plain` as the default method (as at Feishu, unlike LINE).
fn check_pkce(request: &CodeRequest, verifier: Option<&str>) -> Result<(), V2Error> {
    let failed = |why: &str| V2Error::grant(20049, &format!("PKCE verification failed: {why}"));
    let challenge = request.challenge.as_ref();
    let challenge = challenge.map(|(challenge, s256)| (challenge.as_str(), *s256));
    oauth::check_pkce(challenge, verifier).map_err(|failure| failed(failure.describe()))
}

/// The optional `scope` of a token call: a subset of `granted`, no duplicates.
fn narrow_scope(granted: &str, asked: Option<&str>) -> Result<String, V2Error> {
    let Some(asked) = asked else {
        return Ok(granted.to_owned());
    };
    let granted: Vec<&str> = granted.split(' ').collect();
    let mut seen: Vec<&str> = Vec::new();
    for scope in asked.split(' ').filter(|scope| !scope.is_empty()) {
        if seen.contains(&scope) {
            return Err(V2Error::new(20067, "invalid_scope", "duplicate scope"));
        }
        if !granted.contains(&scope) {
            return Err(V2Error::new(
                20068,
                "invalid_scope",
                format!("scope not granted: {scope}"),
            ));
        }
        seen.push(scope);
    }
    Ok(seen.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_narrowing() {
        assert_eq!(
            narrow_scope("a offline_access", None).expect("kept"),
            "a offline_access"
        );
        assert_eq!(narrow_scope("a b", Some("b")).expect("narrowed"), "b");
        assert_eq!(
            narrow_scope("a b", Some("a a")).map_err(|e| e.code).err(),
            Some(20067)
        );
        assert_eq!(
            narrow_scope("a", Some("c")).map_err(|e| e.code).err(),
            Some(20068)
        );
    }
}
