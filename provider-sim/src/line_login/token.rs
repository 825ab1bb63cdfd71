//! `POST /oauth2/v2.1/token`: the code and refresh grants, and the JWS-shaped access tokens they issue.

use crate::line_login::{Ctx, NAME};
use crate::oauth::non_empty;
use axum::{
    Json,
    extract::{Form, State, rejection::FormRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

use super::{
    ISSUER, TOKEN, TOKEN_CHANNEL, TOKEN_CODE, TOKEN_REFRESH, channel_api,
    channels::AppType,
    grants::{AccessGrant, DialectState, RefreshGrant},
    id_token,
    scopes::Scopes,
};
use crate::{
    line_messaging::tokens::{
        self,
        v21::{self, ChannelForm},
    },
    net::Conn,
    oauth::{self, PkceFailure, TokenError},
    state::World,
    users,
};

/// Body of `POST /oauth2/v2.1/token` (every grant).
#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenForm {
    /// `grant_type` and the client's credentials or assertion.
    #[serde(flatten)]
    channel: ChannelForm,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

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

pub(super) fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, TokenError> {
    non_empty(value).ok_or_else(|| TokenError::missing(name))
}

/// An access token shaped like LINE's (a JWS), so the verify endpoint's
/// "not JWS" check means something.
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

impl DialectState {
    fn issue_access_token(&mut self, now: u64, grant: &RefreshGrant, sub: &str) -> String {
        let ttl = self.options.access_token_ttl_secs;
        let token = jws_shaped_token(now, ttl, &grant.client_id, sub, grant.scopes);
        self.access_tokens.insert(
            token.clone(),
            AccessGrant {
                client_id: grant.client_id.clone(),
                user_id: grant.user_id,
                scopes: grant.scopes,
                expires_at: now.saturating_add(ttl),
                grant_id: grant.grant_id,
                revoked: false,
            },
        );
        token
    }
}

/// `POST /oauth2/v2.1/token`: credentials in the body only, as LINE documents.
pub(super) async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let grant_type = form
        .as_ref()
        .ok()
        .and_then(|Form(form)| form.channel.grant_type.as_deref());
    let grant_counter = oauth::grant_counter(grant_type, TOKEN_CODE, TOKEN_REFRESH)
        .or_else(|| (grant_type == Some("client_credentials")).then_some(TOKEN_CHANNEL));
    if let Some(response) = ctx.begin(&conn, TOKEN, grant_counter).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return TokenError::invalid_request(
            "the body must be application/x-www-form-urlencoded, each parameter once",
        )
        .into_response();
    };
    if form.channel.grant_type.as_deref() == Some("client_credentials") {
        return ctx
            .with(|world, dialect| channel_api::run(world, dialect, v21::issue, &form.channel));
    }
    let base_url = ctx.base_url(&headers);
    match ctx.with(|world, dialect| exchange(world, dialect, &form, &base_url)) {
        Ok(tokens) => (oauth::no_store_headers(), Json(tokens)).into_response(),
        Err(error) => error.into_response(),
    }
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
    world: &mut World,
    dialect: &mut DialectState,
    form: &TokenForm,
    base_url: &str,
) -> Result<TokenResponse, TokenError> {
    let grant_type = required(&form.channel.grant_type, "grant_type")?;
    let client_id = required(&form.channel.client_id, "client_id")?;
    let secret = non_empty(&form.channel.client_secret);
    match grant_type {
        "authorization_code" => {
            let app_type = authenticate(world, dialect, client_id, secret, true)?;
            redeem_code(world, dialect, client_id, app_type, form, base_url)
        }
        "refresh_token" => {
            authenticate(world, dialect, client_id, secret, false)?;
            refresh(world, dialect, client_id, form)
        }
        other => Err(TokenError::unsupported_grant_type(other)),
    }
}

fn redeem_code(
    world: &mut World,
    dialect: &mut DialectState,
    client_id: &str,
    app_type: AppType,
    form: &TokenForm,
    base_url: &str,
) -> Result<TokenResponse, TokenError> {
    let code = required(&form.code, "code")?;
    let redirect_uri = required(&form.redirect_uri, "redirect_uri")?;
    let now = world.clock.now();
    let Some(grant) = dialect.codes.get_mut(code) else {
        return Err(TokenError::invalid_grant("invalid authorization code"));
    };
    if grant.client_id != client_id {
        return Err(TokenError::invalid_grant("invalid authorization code"));
    }
    if grant.redeemed {
        let grant_id = grant.grant_id;
        dialect.revoked_grants.insert(grant_id);
        return Err(TokenError::invalid_grant(
            "the authorization code was already used; tokens issued from it are revoked",
        ));
    }
    if now >= grant.expires_at {
        return Err(TokenError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    // Exact string comparison, extra query parameters included.
    if grant.redirect_uri != redirect_uri {
        return Err(TokenError::invalid_grant("redirect_uri does not match"));
    }
    let challenge = grant
        .challenge
        .as_deref()
        .map(|challenge| (challenge, true));
    oauth::check_pkce(challenge, non_empty(&form.code_verifier)).map_err(|failure| {
        TokenError::invalid_grant(match failure {
            PkceFailure::Unexpected => failure.describe(),
            PkceFailure::Missing => "code_verifier is required",
            PkceFailure::Mismatch => "invalid code_verifier",
        })
    })?;
    grant.redeemed = true;
    let (user_id, scopes, grant_id) = (grant.user_id, grant.scopes, grant.grant_id);
    let (nonce, auth_time, amr) = (grant.nonce.clone(), grant.auth_time, grant.amr);
    let Some(user) = world.user(user_id).cloned() else {
        return Err(TokenError::invalid_grant("the account no longer exists"));
    };
    let secret = world
        .clients
        .get(NAME, client_id)
        .map(|client| client.client_secret.clone())
        .unwrap_or_default();
    let options = dialect.options.clone();
    let refresh_token = oauth::random_token(15);
    let mut refresh = RefreshGrant {
        client_id: client_id.to_owned(),
        user_id,
        scopes,
        grant_id,
        expires_at: now.saturating_add(options.refresh_token_ttl_secs),
        access_token: String::new(),
    };
    let access_token = dialect.issue_access_token(now, &refresh, user.line_user_id);
    refresh.access_token = access_token.clone();
    dialect
        .refresh_tokens
        .insert(refresh_token.clone(), refresh);
    let id_token = if scopes.openid {
        let mut claims =
            id_token::Claims::new(&user, client_id, now, options.id_token_ttl_secs, amr);
        claims.auth_time = auth_time;
        claims.nonce = nonce.as_deref();
        if scopes.profile {
            claims.name = Some(user.display_name);
            claims.picture = Some(format!("{base_url}{}", users::avatar_path(user.id)));
        }
        if scopes.email {
            claims.email = Some(user.email);
        }
        let signed = id_token::sign(&claims, app_type, &secret).ok_or_else(|| {
            TokenError::invalid_request("the simulator could not sign the ID token")
        })?;
        Some(signed)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        expires_in: options.access_token_ttl_secs,
        id_token,
        refresh_token,
        scope: scopes.reported(options.scope_lists_openid),
        token_type: "Bearer",
    })
}

/// A refresh: a new access token, the *same* refresh token, no ID token, and
/// the refresh token's expiry unchanged.
fn refresh(
    world: &mut World,
    dialect: &mut DialectState,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, TokenError> {
    let token = required(&form.refresh_token, "refresh_token")?;
    let now = world.clock.now();
    let invalid = || TokenError::invalid_grant("invalid refresh token");
    let grant = dialect.refresh_tokens.get(token).ok_or_else(invalid)?;
    if grant.client_id != client_id
        || dialect.grant_revoked(grant.grant_id)
        || now >= grant.expires_at
    {
        return Err(invalid());
    }
    let user_id = grant.user_id;
    let sub = world
        .user(user_id)
        .map(|user| user.line_user_id)
        .ok_or_else(invalid)?;
    let Some(mut grant) = dialect.refresh_tokens.remove(token) else {
        return Err(invalid());
    };
    if dialect.options.refresh_revokes_old_access_token
        && let Some(old) = dialect.access_tokens.get_mut(&grant.access_token)
    {
        old.revoked = true;
    }
    let access_token = dialect.issue_access_token(now, &grant, sub);
    grant.access_token = access_token.clone();
    let scopes = grant.scopes;
    dialect.refresh_tokens.insert(token.to_owned(), grant);
    Ok(TokenResponse {
        access_token,
        expires_in: dialect.options.access_token_ttl_secs,
        id_token: None,
        refresh_token: token.to_owned(),
        scope: scopes.reported(dialect.options.scope_lists_openid),
        token_type: "Bearer",
    })
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
