//! Feishu's current token endpoint (`POST /open-apis/authen/v2/oauth/token`): both grants, PKCE and scope narrowing.
//!
//! Unlike v1, errors carry real HTTP statuses and a flat body
//! `{"code", "error", "error_description"}`; successes are flat too
//! (`{"code": 0, "access_token", …}`, no `data`). A refresh token is issued only
//! when the granted scope includes `offline_access`, and is single-use. The
//! authorize page is in `login`.

use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use super::{
    Ctx, DialectState, NAME, V2_TOKEN, V2_TOKEN_CODE, V2_TOKEN_REFRESH,
    grants::{Generation, Pair},
};
use crate::{
    flow::token::{self, AuthFailure, Grant, TokenCounters, TokenErrors, TokenParams},
    grants::CodeRules,
    net::Conn,
    oauth::{self, non_empty},
    state::World,
};

const OFFLINE_ACCESS: &str = "offline_access";

const COUNTERS: TokenCounters = TokenCounters::new(V2_TOKEN, V2_TOKEN_CODE, V2_TOKEN_REFRESH);

/// A code is single-use; a v2 code is bound to its redirect URI and PKCE.
const CODE_RULES: CodeRules = CodeRules {
    used_first: true,
    replay_revokes: false,
    redirect: true,
    pkce: true,
};

/// A token shaped like Feishu's v2 tokens (JWS, `ES256` header).
pub(super) fn jws_shaped_token(now: u64, app_id: &str) -> String {
    let claims = serde_json::json!({ "app": app_id, "iat": now, "jti": oauth::random_token(16) });
    let header = r#"{"alg":"ES256","typ":"JWT","kid":"sim"}"#;
    oauth::jws_shaped(header, &claims, 64)
}

/// A v2 error: `{"code", "error", "error_description"}`, HTTP 400.
#[derive(Debug)]
struct V2Error {
    code: u32,
    error: &'static str,
    description: String,
}

impl V2Error {
    fn new(code: u32, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            error,
            description: description.into(),
        }
    }

    fn grant((code, description): (u32, impl Into<String>)) -> Self {
        Self::new(code, "invalid_grant", description)
    }
}

impl TokenErrors for V2Error {
    fn missing(param: &str) -> Self {
        Self::new(20001, "invalid_request", format!("missing {param}"))
    }

    fn unsupported_grant_type(grant_type: &str) -> Self {
        let description = format!("unsupported grant_type: {grant_type}");
        Self::new(20036, "unsupported_grant_type", description)
    }
}

impl IntoResponse for V2Error {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "code": self.code,
            "error": self.error,
            "error_description": self.description,
        });
        (
            StatusCode::BAD_REQUEST,
            oauth::no_store_headers(),
            Json(body),
        )
            .into_response()
    }
}

/// `POST /open-apis/authen/v2/oauth/token`: both grants, JSON in and out.
pub(super) async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Result<Json<TokenParams>, JsonRejection>,
) -> Response {
    if let Some(response) = token::begin(&ctx, &conn, COUNTERS, &body).await {
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
fn authenticate(world: &World, headers: &HeaderMap, body: &TokenParams) -> Result<String, V2Error> {
    let credentials = (non_empty(&body.client_id), non_empty(&body.client_secret));
    token::authenticate(world, NAME, headers, credentials, false)
        .map(|client| client.client_id)
        .map_err(|(failure, _)| match failure {
            AuthFailure::Both => V2Error::new(
                20070,
                "invalid_request",
                "send client_secret in the body or HTTP Basic, not both",
            ),
            AuthFailure::MissingClientId => V2Error::missing("client_id"),
            AuthFailure::UnknownClient => {
                V2Error::new(20048, "invalid_client", "app does not exist")
            }
            AuthFailure::WrongSecret => {
                V2Error::new(20002, "invalid_client", "client secret invalid")
            }
            _ => V2Error::missing("client_secret"),
        })
}

fn exchange(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: &TokenParams,
) -> Result<serde_json::Value, V2Error> {
    non_empty(&body.grant_type).ok_or_else(|| V2Error::missing("grant_type"))?;
    let client_id = authenticate(world, headers, body)?;
    let now = world.clock.now();
    let (user_id, grant_id, granted, old_access) = match body.grant(false, &client_id, now)? {
        Grant::Code(claim) => {
            let code = dialect.grants.redeem(&claim, CODE_RULES);
            let code =
                code.map_err(|failure| V2Error::grant(Generation::V2.code_error(failure)))?;
            (code.user_id, code.grant_id, code.extra, None)
        }
        Grant::Refresh { token, .. } => {
            let reuse_code = dialect.options.refresh_reuse_code;
            let spent = dialect
                .spend_refresh(token, &client_id, now, Generation::V2)
                .map_err(|failure| {
                    V2Error::grant(Generation::V2.refresh_error(failure, reuse_code))
                })?;
            let Pair {
                scope,
                access_token,
                ..
            } = spent.extra;
            (spent.user_id, spent.grant_id, scope, Some(access_token))
        }
    };
    let scope = narrow_scope(&granted, non_empty(&body.scope))?;
    if let Some(old) = old_access {
        dialect.retire_access_token(&old, now);
    }
    let grant = (user_id, grant_id);
    let issued = dialect.issue(now, &client_id, grant, Generation::V2, &scope);
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
        dialect.grants.refresh.remove(&issued.refresh_token);
    }
    Ok(response)
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
