//! The OIDC token endpoint: code and refresh grants, and the ID tokens they carry.

use super::DialectState;
use crate::oauth::non_empty;
use crate::oidc::Ctx;
use axum::{
    Form, Json, Router,
    extract::{State, rejection::FormRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{
    AccessGrant, RefreshGrant, RefreshStatus, Scopes, TOKEN, TOKEN_CODE, TOKEN_REFRESH,
    client_auth::{Failure, authenticate},
    issuer,
};
use crate::{
    net::Conn,
    oauth::{self, TokenError},
    state::World,
    users::{self, User},
};

pub(super) fn router() -> Router<Ctx> {
    Router::new().route("/token", post(token))
}

// ---------------------------------------------------------------------------
// Claims

/// Profile claims by scope (OIDC Core §5.4), shared by ID tokens and userinfo.
#[derive(Debug, Default, Serialize)]
pub(super) struct ProfileClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
}

impl ProfileClaims {
    pub(super) fn new(user: &User, scopes: Scopes, base_url: &str) -> Self {
        let mut claims = Self::default();
        if scopes.profile {
            claims.name = Some(user.display_name.to_owned());
            claims.preferred_username = Some(user.username.to_owned());
            claims.picture = Some(format!("{base_url}{}", users::avatar_path(user.id)));
            claims.locale = Some(user.locale.to_owned());
        }
        if scopes.email {
            claims.email = Some(user.email.to_owned());
            claims.email_verified = Some(true);
        }
        claims
    }
}

#[derive(Debug, Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    /// Left half of SHA-256 of the access token (OIDC Core §3.1.3.6).
    at_hash: String,
    #[serde(flatten)]
    profile: ProfileClaims,
}

/// What a successful grant hands to [`issue`].
struct Grant<'a> {
    client_id: &'a str,
    user_id: u64,
    scopes: Scopes,
    grant_id: u64,
    auth_time: u64,
    /// `None` on refresh: the nonce belongs to the authentication request.
    nonce: Option<&'a str>,
    with_id_token: bool,
    /// Refresh without rotation hands back the token it was given.
    keep_refresh_token: Option<&'a str>,
}

/// Stores new tokens and builds the token response (OIDC Core §3.1.3.3).
fn issue(
    world: &mut World,
    dialect: &mut DialectState,
    grant: &Grant<'_>,
    iss: &str,
    base_url: &str,
) -> Result<Value, Failure> {
    let now = world.clock.now();
    let Some(user) = world.user(grant.user_id).cloned() else {
        return Err(TokenError::invalid_grant("the account no longer exists").into());
    };
    let options = dialect.options.clone();
    let access_token = oauth::random_token(32);
    let mut body = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": options.access_token_ttl_secs,
        "scope": grant.scopes.to_string(),
    });
    if grant.with_id_token {
        let digest = Sha256::digest(access_token.as_bytes());
        let claims = IdTokenClaims {
            iss,
            sub: user.oidc_sub,
            aud: grant.client_id,
            exp: now.saturating_add(options.id_token_ttl_secs),
            iat: now,
            auth_time: grant.auth_time,
            nonce: grant.nonce,
            at_hash: oauth::base64url(&digest[..16]),
            profile: ProfileClaims::new(&user, grant.scopes, base_url),
        };
        let Some(id_token) = dialect.keys.sign(&claims) else {
            return Err(Failure::Signing);
        };
        body["id_token"] = id_token.into();
    }
    dialect.access_tokens.insert(
        access_token,
        AccessGrant {
            client_id: grant.client_id.to_owned(),
            user_id: grant.user_id,
            scopes: grant.scopes,
            expires_at: now.saturating_add(options.access_token_ttl_secs),
            grant_id: grant.grant_id,
            revoked: false,
        },
    );
    if let Some(kept) = grant.keep_refresh_token {
        body["refresh_token"] = kept.into();
    } else if grant.scopes.offline_access || !options.refresh_requires_offline_access {
        let refresh_token = oauth::random_token(32);
        dialect.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: grant.client_id.to_owned(),
                user_id: grant.user_id,
                scopes: grant.scopes,
                auth_time: grant.auth_time,
                grant_id: grant.grant_id,
                expires_at: options
                    .refresh_token_ttl_secs
                    .map(|ttl| now.saturating_add(ttl)),
                status: RefreshStatus::Active,
            },
        );
        body["refresh_token"] = refresh_token.into();
    }
    Ok(body)
}

// ---------------------------------------------------------------------------
// Token endpoint

/// Body of `POST /token` (both grants).
#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

/// `POST /token`.
async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
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
    let iss = issuer(&ctx, &headers);
    let base_url = ctx.base_url(&headers);
    match ctx.with(|world, dialect| exchange(world, dialect, &headers, &form, &iss, &base_url)) {
        Ok(body) => (oauth::no_store_headers(), Json(body)).into_response(),
        Err(failure) => failure.into_response(),
    }
}

fn exchange(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    form: &TokenForm,
    iss: &str,
    base_url: &str,
) -> Result<Value, Failure> {
    let client_id = authenticate(
        world,
        headers,
        non_empty(&form.client_id),
        non_empty(&form.client_secret),
    )?;
    let error = Failure::Token;
    match non_empty(&form.grant_type) {
        None => Err(error(TokenError::missing("grant_type"))),
        Some("authorization_code") => redeem_code(world, dialect, &client_id, form, iss, base_url),
        Some("refresh_token") => refresh(world, dialect, &client_id, form, iss, base_url),
        Some(other) => Err(error(TokenError::unsupported_grant_type(other))),
    }
}

fn redeem_code(
    world: &mut World,
    dialect: &mut DialectState,
    client_id: &str,
    form: &TokenForm,
    iss: &str,
    base_url: &str,
) -> Result<Value, Failure> {
    let fail = Failure::Token;
    let code = non_empty(&form.code).ok_or_else(|| fail(TokenError::missing("code")))?;
    let redirect_uri =
        non_empty(&form.redirect_uri).ok_or_else(|| fail(TokenError::missing("redirect_uri")))?;
    let now = world.clock.now();
    let grant = dialect
        .codes
        .get_mut(code)
        .ok_or_else(|| fail(TokenError::invalid_grant("unknown authorization code")))?;
    if grant.client_id != client_id {
        return Err(fail(TokenError::invalid_grant(
            "the code was issued to another client",
        )));
    }
    if grant.redeemed {
        // RFC 6749 §4.1.2: revoke what the code already produced.
        let grant_id = grant.grant_id;
        dialect.revoke_grant(grant_id);
        return Err(fail(TokenError::invalid_grant(
            "the code was already used; tokens issued from it are revoked",
        )));
    }
    if now >= grant.expires_at {
        return Err(fail(TokenError::invalid_grant("the code has expired")));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(fail(TokenError::invalid_grant(
            "redirect_uri does not match the authorization request",
        )));
    }
    let challenge = grant.challenge.as_ref();
    let challenge = challenge.map(|(challenge, s256)| (challenge.as_str(), *s256));
    oauth::check_pkce(challenge, non_empty(&form.code_verifier))
        .map_err(|failure| fail(TokenError::invalid_grant(failure.describe())))?;
    grant.redeemed = true;
    let nonce = grant.nonce.clone();
    let issued = Grant {
        client_id,
        user_id: grant.user_id,
        scopes: grant.scopes,
        grant_id: grant.grant_id,
        auth_time: grant.auth_time,
        nonce: nonce.as_deref(),
        with_id_token: true,
        keep_refresh_token: None,
    };
    issue(world, dialect, &issued, iss, base_url)
}

fn refresh(
    world: &mut World,
    dialect: &mut DialectState,
    client_id: &str,
    form: &TokenForm,
    iss: &str,
    base_url: &str,
) -> Result<Value, Failure> {
    let fail = Failure::Token;
    let token =
        non_empty(&form.refresh_token).ok_or_else(|| fail(TokenError::missing("refresh_token")))?;
    let now = world.clock.now();
    let rotate = dialect.options.rotate_refresh_tokens;
    let with_id_token = dialect.options.id_token_on_refresh;
    let grant = dialect
        .refresh_tokens
        .get_mut(token)
        .ok_or_else(|| fail(TokenError::invalid_grant("unknown refresh token")))?;
    if grant.client_id != client_id {
        return Err(fail(TokenError::invalid_grant(
            "the refresh token was issued to another client",
        )));
    }
    match grant.status {
        RefreshStatus::Active => {}
        RefreshStatus::Rotated => {
            // Reuse of a rotated token means it leaked: end the whole grant.
            let grant_id = grant.grant_id;
            dialect.revoke_grant(grant_id);
            return Err(fail(TokenError::invalid_grant(
                "the refresh token was already used; the grant is revoked",
            )));
        }
        RefreshStatus::Revoked => {
            return Err(fail(TokenError::invalid_grant(
                "the refresh token was revoked",
            )));
        }
    }
    if grant.expires_at.is_some_and(|expires_at| now >= expires_at) {
        return Err(fail(TokenError::invalid_grant(
            "the refresh token has expired",
        )));
    }
    // RFC 6749 §6: a refresh may narrow the scope, never widen it.
    let scopes = match non_empty(&form.scope) {
        None => grant.scopes,
        Some(raw) => {
            let asked = Scopes::parse(raw);
            if !grant.scopes.contains(asked) {
                return Err(fail(TokenError::invalid_scope(
                    "a refresh cannot widen the granted scope",
                )));
            }
            asked
        }
    };
    if rotate {
        grant.status = RefreshStatus::Rotated;
    }
    let (user_id, grant_id, auth_time) = (grant.user_id, grant.grant_id, grant.auth_time);
    let issued = Grant {
        client_id,
        user_id,
        scopes,
        grant_id,
        auth_time,
        nonce: None,
        with_id_token: with_id_token && scopes.openid,
        keep_refresh_token: (!rotate).then_some(token),
    };
    issue(world, dialect, &issued, iss, base_url)
}
