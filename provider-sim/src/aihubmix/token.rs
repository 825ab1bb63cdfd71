//! The token endpoint, and the access and refresh tokens it issues.

use axum::{
    Json,
    extract::{Form, State, rejection::FormRejection},
    response::Response,
};
use serde::Serialize;

use super::{Ctx, DialectState, NAME, Scopes, TOKEN, TOKEN_CODE, TOKEN_REFRESH};
use crate::{
    flow::token::{self, Grant, TokenCounters, TokenParams},
    grants::{CodeRules, Owner, RefreshStatus},
    net::Conn,
    oauth::{self, TokenError, required},
    state::World,
};

const COUNTERS: TokenCounters = TokenCounters::new(TOKEN, TOKEN_CODE, TOKEN_REFRESH);

/// The token endpoint's success body.
#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    scope: String,
}

impl DialectState {
    fn issue_tokens(
        &mut self,
        now: u64,
        client_id: &str,
        user_id: u64,
        scopes: Scopes,
        grant_id: u64,
    ) -> TokenResponse {
        let ttl = self.options.access_token_ttl_secs;
        let access_token = jwt_shaped_token(now, ttl, client_id, user_id, scopes);
        let refresh_token = format!("refresh_{}", oauth::random_token(32));
        let owner = Owner::new(client_id, user_id, grant_id);
        self.grants
            .add_access(&access_token, owner, now.saturating_add(ttl), scopes);
        let refresh_ttl = self.options.refresh_token_ttl_secs;
        let expires_at = refresh_ttl.map(|ttl| now.saturating_add(ttl));
        self.grants
            .add_refresh(&refresh_token, owner, expires_at, scopes);
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ttl,
            refresh_token,
            scope: scopes.to_string(),
        }
    }
}

/// An access token shaped like AIHubMix's HS256 JWT, so lengths and characters look real.
fn jwt_shaped_token(now: u64, ttl: u64, client_id: &str, user_id: u64, scopes: Scopes) -> String {
    let claims = serde_json::json!({
        "sub": user_id.to_string(),
        "client_id": client_id,
        "scope": scopes.to_string(),
        "iat": now,
        "exp": now.saturating_add(ttl),
        "jti": oauth::random_token(12),
    });
    oauth::jws_shaped(r#"{"alg":"HS256","typ":"JWT"}"#, &claims, 32)
}

/// `POST /api/oauth2/token`: client credentials in the form body only, as in
/// every AIHubMix example (no HTTP Basic).
pub(super) async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<TokenParams>, FormRejection>,
) -> Response {
    token::serve(&ctx, &conn, COUNTERS, form, |world, dialect, form| {
        exchange(world, dialect, &form).map(Json)
    })
    .await
}

fn exchange(
    world: &mut World,
    dialect: &mut DialectState,
    form: &TokenParams,
) -> Result<TokenResponse, TokenError> {
    required(&form.grant_type, "grant_type")?;
    let client_id = required(&form.client_id, "client_id")?;
    let secret = required(&form.client_secret, "client_secret")?;
    token::verify(world, NAME, client_id, secret).map_err(|_| TokenError::invalid_client())?;
    let now = world.clock.now();
    match form.grant(true, client_id, now)? {
        Grant::Code(claim) => {
            let grants = &mut dialect.grants;
            let code = grants
                .redeem(&claim, CodeRules::STRICT)
                .map_err(TokenError::code)?;
            let (user_id, scopes, grant_id) = (code.user_id, code.extra, code.grant_id);
            Ok(dialect.issue_tokens(now, client_id, user_id, scopes, grant_id))
        }
        Grant::Refresh { token, scope } => refresh(dialect, now, client_id, token, scope),
    }
}

fn refresh(
    dialect: &mut DialectState,
    now: u64,
    client_id: &str,
    token: &str,
    scope: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let rotate = dialect.options.rotate_invalidates_old;
    let grant = dialect
        .grants
        .refresh_token(token, client_id, now, false)
        .map_err(|failure| TokenError::refresh(failure, false))?;
    // RFC 6749 §6: a refresh may narrow the scope, never widen it.
    let scopes = match scope {
        None => grant.extra,
        Some(raw) => {
            let asked = Scopes::parse(raw).map_err(|unknown| {
                TokenError::invalid_scope(format!("unknown scope: {unknown}"))
            })?;
            if !grant.extra.contains(asked) {
                return Err(TokenError::invalid_scope(
                    "a refresh cannot widen the granted scope",
                ));
            }
            asked
        }
    };
    if rotate {
        grant.status = RefreshStatus::Used;
    }
    let (user_id, grant_id) = (grant.user_id, grant.grant_id);
    Ok(dialect.issue_tokens(now, client_id, user_id, scopes, grant_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_look_like_jwts() {
        let scopes = Scopes {
            profile: true,
            balance: true,
        };
        let token = jwt_shaped_token(1_700_000_000, 7200, "client", 12345, scopes);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
    }
}
