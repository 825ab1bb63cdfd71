//! `POST /oauth2/v2.1/token`: the code and refresh grants on the shared opening, the JWS-shaped access tokens they issue, and the ID token.

use axum::{
    Json,
    extract::{Form, State, rejection::FormRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::{
    Ctx, DialectState, ISSUER, NAME, Refreshing, TOKEN, TOKEN_CHANNEL, TOKEN_CODE, TOKEN_REFRESH,
    channel_api, channels::AppType, id_token, scopes::Scopes,
};
use crate::{
    flow::token::{self, Grant, TokenCounters, TokenParams},
    grants::{CodeFailure, CodeRules, Owner},
    line_messaging::tokens::{self, v21},
    net::Conn,
    oauth::{self, TokenError, non_empty, required},
    state::World,
    users::{self, User},
};

const COUNTERS: TokenCounters = TokenCounters {
    client: Some(TOKEN_CHANNEL),
    ..TokenCounters::new(TOKEN, TOKEN_CODE, TOKEN_REFRESH)
};

/// The token endpoint's success body; a refresh has no `id_token`.
#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    refresh_token: String,
    scope: String,
    token_type: &'static str,
}

/// `POST /oauth2/v2.1/token`: credentials in the body only, as LINE documents;
/// `client_credentials` issues the channel's own v2.1 token.
pub(super) async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    form: Result<Form<TokenParams>, FormRejection>,
) -> Response {
    let base_url = ctx.base_url(&headers);
    token::serve(&ctx, &conn, COUNTERS, form, |world, dialect, form| {
        if form.grant_type.as_deref() == Some("client_credentials") {
            return Ok(channel_api::run(world, dialect, v21::issue, &form.into()));
        }
        exchange(world, dialect, &form, &base_url).map(|body| Json(body).into_response())
    })
    .await
}

/// The channel's app type, once `client_id` (and, where needed, the secret) check out.
pub(super) fn authenticate(
    world: &World,
    dialect: &DialectState,
    client_id: &str,
    secret: Option<&str>,
    secret_always_required: bool,
) -> Result<AppType, TokenError> {
    let client = world
        .clients
        .get(NAME, client_id)
        .ok_or_else(TokenError::invalid_client)?;
    let app_type = dialect.channel(client_id).app_type;
    // Native channels need no secret on refresh and revoke (a sent one is ignored).
    if secret_always_required || app_type == AppType::Web {
        let secret = secret.ok_or_else(|| TokenError::missing("client_secret"))?;
        if !oauth::secrets_match(&client.client_secret, secret) {
            return Err(TokenError::invalid_client());
        }
    }
    Ok(app_type)
}

fn exchange(
    world: &World,
    dialect: &mut DialectState,
    form: &TokenParams,
    base_url: &str,
) -> Result<TokenResponse, TokenError> {
    required(&form.grant_type, "grant_type")?;
    let client_id = required(&form.client_id, "client_id")?;
    let now = world.clock.now();
    let grant = form.grant::<TokenError>(true, client_id, now)?;
    let code_grant = matches!(grant, Grant::Code(_));
    let secret = non_empty(&form.client_secret);
    let app_type = authenticate(world, dialect, client_id, secret, code_grant)?;
    let claim = match grant {
        Grant::Code(claim) => claim,
        Grant::Refresh { token, .. } => return refresh(world, dialect, client_id, token, now),
    };
    let code =
        dialect
            .grants
            .redeem(&claim, CodeRules::STRICT)
            .map_err(|failure| match failure {
                // As observed on LINE.
                CodeFailure::RedirectMismatch => {
                    TokenError::invalid_grant("redirect_uri does not match")
                }
                other => TokenError::code(other),
            })?;
    let Some(user) = world.user(code.user_id) else {
        return Err(TokenError::invalid_grant("the account no longer exists"));
    };
    let granted = code.extra;
    let access_token = dialect.issue_access(now, client_id, user, granted.scopes, code.grant_id);
    let refresh_token = oauth::random_token(15);
    let owner = Owner::new(client_id, user.id, code.grant_id);
    let expires_at = now.saturating_add(dialect.options.refresh_token_ttl_secs);
    let refreshing = Refreshing {
        scopes: granted.scopes,
        access_token: access_token.clone(),
    };
    let grants = &mut dialect.grants;
    grants.add_refresh(&refresh_token, owner, Some(expires_at), refreshing);
    let mut body = dialect.response(access_token, refresh_token, granted.scopes);
    if granted.scopes.openid {
        let ttl = dialect.options.id_token_ttl_secs;
        let mut claims = id_token::Claims::new(user, client_id, now, ttl, granted.amr);
        claims.auth_time = granted.auth_time;
        claims.nonce = granted.nonce.as_deref();
        if granted.scopes.profile {
            claims.name = Some(user.display_name);
            claims.picture = Some(format!("{base_url}{}", users::avatar_path(user.id)));
        }
        if granted.scopes.email {
            claims.email = Some(user.email);
        }
        let secret = world
            .clients
            .get(NAME, client_id)
            .map(|client| &client.client_secret);
        let signed = id_token::sign(&claims, app_type, secret.map_or("", String::as_str));
        let error = || TokenError::invalid_request("the simulator could not sign the ID token");
        body.id_token = Some(signed.ok_or_else(error)?);
    }
    Ok(body)
}

/// A refresh: a new access token, the *same* refresh token, no ID token, and
/// the refresh token's expiry unchanged.
fn refresh(
    world: &World,
    dialect: &mut DialectState,
    client_id: &str,
    token: &str,
    now: u64,
) -> Result<TokenResponse, TokenError> {
    // LINE words every refusal the same (documented).
    let invalid = || TokenError::invalid_grant("invalid refresh token");
    let grant = dialect.grants.refresh_token(token, client_id, now, false);
    let grant = grant.map_err(|_| invalid())?.clone();
    let user = world.user(grant.user_id).ok_or_else(invalid)?;
    if dialect.options.refresh_revokes_old_access_token
        && let Some(old) = dialect.grants.access.get_mut(&grant.extra.access_token)
    {
        old.revoked = true;
    }
    let scopes = grant.extra.scopes;
    let access_token = dialect.issue_access(now, client_id, user, scopes, grant.grant_id);
    if let Some(kept) = dialect.grants.refresh.get_mut(token) {
        kept.extra.access_token = access_token.clone();
    }
    Ok(dialect.response(access_token, token.to_owned(), scopes))
}

impl DialectState {
    /// Stores a new access token, shaped like LINE's (a JWS, so the verify
    /// endpoint's "not JWS" check means something).
    fn issue_access(
        &mut self,
        now: u64,
        client_id: &str,
        user: &User,
        scopes: Scopes,
        grant_id: u64,
    ) -> String {
        let ttl = self.options.access_token_ttl_secs;
        let token = jws_shaped_token(now, ttl, client_id, user.line_user_id, scopes);
        let owner = Owner::new(client_id, user.id, grant_id);
        let expires_at = now.saturating_add(ttl);
        self.grants.add_access(&token, owner, expires_at, scopes);
        token
    }

    fn response(
        &self,
        access_token: String,
        refresh_token: String,
        scopes: Scopes,
    ) -> TokenResponse {
        TokenResponse {
            access_token,
            expires_in: self.options.access_token_ttl_secs,
            id_token: None,
            refresh_token,
            scope: scopes.reported(self.options.scope_lists_openid),
            token_type: "Bearer",
        }
    }
}

fn jws_shaped_token(now: u64, ttl: u64, client_id: &str, sub: &str, scopes: Scopes) -> String {
    tokens::jws_shaped(&serde_json::json!({
        "iss": ISSUER,
        "sub": sub,
        "client_id": client_id,
        "scope": scopes.to_string(),
        "iat": now,
        "exp": now.saturating_add(ttl),
        "jti": oauth::random_token(12),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_messaging::tokens::is_jws;

    #[test]
    fn access_tokens_are_jws_shaped() {
        let scopes = Scopes {
            openid: true,
            profile: true,
            email: false,
        };
        let token = jws_shaped_token(1, 2, "1234567890", "U0", scopes);
        assert!(is_jws(&token));
        assert!(!is_jws("opaque-token"));
        assert!(!is_jws("a.b.c"));
        assert!(!is_jws(&format!("{token}.extra")));
    }
}
