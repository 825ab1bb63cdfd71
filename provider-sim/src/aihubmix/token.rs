//! The token endpoint, and the access and refresh tokens it issues and revokes.

use crate::aihubmix::{Ctx, NAME};
use crate::oauth::non_empty;
use axum::{
    Json,
    extract::{Form, State, rejection::FormRejection},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

use super::{
    AccessGrant, DialectState, RefreshGrant, RefreshStatus, Scopes, TOKEN, TOKEN_CODE,
    TOKEN_REFRESH,
};
use crate::{
    grants,
    net::Conn,
    oauth::{self, TokenError},
    state::World,
};

// ---------------------------------------------------------------------------
// Issuing and revoking

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
        self.access_tokens.insert(
            access_token.clone(),
            AccessGrant {
                user_id,
                scopes,
                expires_at: now.saturating_add(ttl),
                grant_id,
                revoked: false,
            },
        );
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                user_id,
                scopes,
                grant_id,
                expires_at: self
                    .options
                    .refresh_token_ttl_secs
                    .map(|ttl| now.saturating_add(ttl)),
                status: RefreshStatus::Active,
            },
        );
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ttl,
            refresh_token,
            scope: scopes.to_string(),
        }
    }

    /// Revokes every token of one grant (RFC 6749 §4.1.2: a replayed code
    /// "SHOULD revoke (when possible) all tokens previously issued based on" it).
    fn revoke_grant(&mut self, grant_id: u64) {
        grants::revoke_matching(&mut self.access_tokens, |g| g.grant_id == grant_id);
        grants::revoke_matching(&mut self.refresh_tokens, |g| g.grant_id == grant_id);
    }
}

/// An access token shaped like AIHubMix's HS256 JWT, so lengths and characters
/// look real. The signature is random: clients must treat the token as opaque,
/// and the simulator looks tokens up instead of verifying them.
fn jwt_shaped_token(now: u64, ttl: u64, client_id: &str, user_id: u64, scopes: Scopes) -> String {
    let header = oauth::base64url(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "sub": user_id.to_string(),
        "client_id": client_id,
        "scope": scopes.to_string(),
        "iat": now,
        "exp": now.saturating_add(ttl),
        "jti": oauth::random_token(12),
    });
    let payload = oauth::base64url(claims.to_string());
    format!("{header}.{payload}.{}", oauth::random_token(32))
}

// ---------------------------------------------------------------------------
// Token endpoint

/// Body of `POST /api/oauth2/token` (both grants).
#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, TokenError> {
    non_empty(value).ok_or_else(|| TokenError::missing(name))
}

/// `POST /api/oauth2/token`: client credentials in the form body only, as in
/// every AIHubMix example (no HTTP Basic).
pub(super) async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let grant_counter = form.as_ref().ok().and_then(|Form(form)| {
        crate::oauth::grant_counter(form.grant_type.as_deref(), TOKEN_CODE, TOKEN_REFRESH)
    });
    if let Some(response) = ctx.begin(&conn, TOKEN, grant_counter).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return TokenError::invalid_request(
            "the body must be application/x-www-form-urlencoded, each parameter once",
        )
        .into_response();
    };
    match ctx.with(|world, dialect| exchange(world, dialect, &form)) {
        Ok(tokens) => (oauth::no_store_headers(), Json(tokens)).into_response(),
        Err(error) => error.into_response(),
    }
}

fn exchange(
    world: &mut World,
    dialect: &mut DialectState,
    form: &TokenForm,
) -> Result<TokenResponse, TokenError> {
    let grant_type = required(&form.grant_type, "grant_type")?;
    let client_id = required(&form.client_id, "client_id")?;
    let client_secret = required(&form.client_secret, "client_secret")?;
    let authenticated = world
        .clients
        .get(NAME, client_id)
        .is_some_and(|client| oauth::secrets_match(&client.client_secret, client_secret));
    if !authenticated {
        return Err(TokenError::invalid_client());
    }
    match grant_type {
        "authorization_code" => redeem_code(world, dialect, client_id, form),
        "refresh_token" => refresh(world, dialect, client_id, form),
        other => Err(TokenError::unsupported_grant_type(other)),
    }
}

fn redeem_code(
    world: &mut World,
    dialect: &mut DialectState,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, TokenError> {
    let code = required(&form.code, "code")?;
    let redirect_uri = required(&form.redirect_uri, "redirect_uri")?;
    let now = world.clock.now();
    let Some(grant) = dialect.codes.get_mut(code) else {
        return Err(TokenError::invalid_grant("unknown authorization code"));
    };
    if grant.client_id != client_id {
        return Err(TokenError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if grant.redeemed {
        let grant_id = grant.grant_id;
        dialect.revoke_grant(grant_id);
        return Err(TokenError::invalid_grant(
            "the code was already used; tokens issued from it are revoked",
        ));
    }
    if now >= grant.expires_at {
        return Err(TokenError::invalid_grant("the code has expired"));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(TokenError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let challenge = grant
        .challenge
        .as_deref()
        .map(|challenge| (challenge, true));
    oauth::check_pkce(challenge, non_empty(&form.code_verifier))
        .map_err(|failure| TokenError::invalid_grant(failure.describe()))?;
    grant.redeemed = true;
    let (user_id, scopes, grant_id) = (grant.user_id, grant.scopes, grant.grant_id);
    Ok(dialect.issue_tokens(now, client_id, user_id, scopes, grant_id))
}

fn refresh(
    world: &mut World,
    dialect: &mut DialectState,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, TokenError> {
    let token = required(&form.refresh_token, "refresh_token")?;
    let now = world.clock.now();
    let invalidate_old = dialect.options.rotate_invalidates_old;
    let Some(grant) = dialect.refresh_tokens.get_mut(token) else {
        return Err(TokenError::invalid_grant("unknown refresh token"));
    };
    if grant.client_id != client_id {
        return Err(TokenError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    match grant.status {
        RefreshStatus::Active => {}
        RefreshStatus::Rotated => {
            return Err(TokenError::invalid_grant(
                "the refresh token was already used",
            ));
        }
        RefreshStatus::Revoked => {
            return Err(TokenError::invalid_grant("the refresh token was revoked"));
        }
    }
    if grant.expires_at.is_some_and(|expires_at| now >= expires_at) {
        return Err(TokenError::invalid_grant("the refresh token has expired"));
    }
    // RFC 6749 §6: a refresh may narrow the scope, never widen it.
    let scopes = match non_empty(&form.scope) {
        None => grant.scopes,
        Some(raw) => {
            let asked = Scopes::parse_list(raw).map_err(|unknown| {
                TokenError::invalid_scope(format!("unknown scope: {unknown}"))
            })?;
            if !grant.scopes.contains(asked) {
                return Err(TokenError::invalid_scope(
                    "a refresh cannot widen the granted scope",
                ));
            }
            asked
        }
    };
    if invalidate_old {
        grant.status = RefreshStatus::Rotated;
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
