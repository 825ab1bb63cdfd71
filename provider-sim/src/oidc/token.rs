//! The OIDC token endpoint: client authentication, code and refresh grants, and the ID tokens they carry.

use axum::{
    Form, Json, Router,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Ctx, DialectState, Granted, NAME, PREFIX, Scopes, TOKEN, TOKEN_CODE, TOKEN_REFRESH};
use crate::{
    flow::token::{self, AuthFailure, Grant, TokenCounters, TokenParams},
    grants::{CodeRules, Owner, RefreshStatus},
    net::Conn,
    oauth::{self, TokenError, non_empty},
    state::World,
    users::{self, User},
};

const COUNTERS: TokenCounters = TokenCounters::new(TOKEN, TOKEN_CODE, TOKEN_REFRESH);

pub(super) fn router() -> Router<Ctx> {
    Router::new().route("/token", post(token))
}

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
struct Issue<'a> {
    client_id: &'a str,
    user_id: u64,
    scopes: Scopes,
    grant_id: u64,
    auth_time: u64,
    /// `None` on refresh: the nonce belongs to the authentication request.
    nonce: Option<String>,
    with_id_token: bool,
    /// Refresh without rotation hands back the token it was given.
    keep_refresh_token: Option<&'a str>,
}

/// Stores new tokens and builds the token response (OIDC Core §3.1.3.3).
fn issue(
    world: &mut World,
    dialect: &mut DialectState,
    grant: &Issue<'_>,
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
        let iss = format!("{base_url}{PREFIX}");
        let claims = IdTokenClaims {
            iss: &iss,
            sub: user.oidc_sub,
            aud: grant.client_id,
            exp: now.saturating_add(options.id_token_ttl_secs),
            iat: now,
            auth_time: grant.auth_time,
            nonce: grant.nonce.as_deref(),
            at_hash: oauth::base64url(&digest[..16]),
            profile: ProfileClaims::new(&user, grant.scopes, base_url),
        };
        let Some(id_token) = dialect.keys.sign(&claims) else {
            return Err(Failure::Signing);
        };
        body["id_token"] = id_token.into();
    }
    let owner = Owner::new(grant.client_id, grant.user_id, grant.grant_id);
    let expires_at = now.saturating_add(options.access_token_ttl_secs);
    let grants = &mut dialect.grants;
    grants.add_access(&access_token, owner, expires_at, grant.scopes);
    if let Some(kept) = grant.keep_refresh_token {
        body["refresh_token"] = kept.into();
    } else if grant.scopes.offline_access || !options.refresh_requires_offline_access {
        let refresh_token = oauth::random_token(32);
        let granted = Granted {
            scopes: grant.scopes,
            auth_time: grant.auth_time,
            nonce: None,
        };
        let expires_at = options
            .refresh_token_ttl_secs
            .map(|ttl| now.saturating_add(ttl));
        grants.add_refresh(&refresh_token, owner, expires_at, granted);
        body["refresh_token"] = refresh_token.into();
    }
    Ok(body)
}

/// `POST /token`.
async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    form: Result<Form<TokenParams>, FormRejection>,
) -> Response {
    let base_url = ctx.base_url(&headers);
    token::serve(&ctx, &conn, COUNTERS, form, |world, dialect, form| {
        exchange(world, dialect, &headers, &form, &base_url).map(Json)
    })
    .await
}

fn exchange(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    form: &TokenParams,
    base_url: &str,
) -> Result<Value, Failure> {
    let client_id = &authenticate(world, headers, &form.client_id, &form.client_secret)?;
    let now = world.clock.now();
    let issued = match form.grant::<TokenError>(true, client_id, now)? {
        Grant::Code(claim) => {
            let code = dialect.grants.redeem(&claim, CodeRules::STRICT);
            let code = code.map_err(TokenError::code)?;
            Issue {
                client_id,
                user_id: code.user_id,
                scopes: code.extra.scopes,
                grant_id: code.grant_id,
                auth_time: code.extra.auth_time,
                nonce: code.extra.nonce,
                with_id_token: true,
                keep_refresh_token: None,
            }
        }
        Grant::Refresh { token, scope } => refresh(dialect, now, client_id, token, scope)?,
    };
    issue(world, dialect, &issued, base_url)
}

fn refresh<'a>(
    dialect: &mut DialectState,
    now: u64,
    client_id: &'a str,
    token: &'a str,
    scope: Option<&str>,
) -> Result<Issue<'a>, TokenError> {
    let rotate = dialect.options.rotate_refresh_tokens;
    let with_id_token = dialect.options.id_token_on_refresh;
    // Reuse of a rotated token means it leaked: end the whole grant.
    let grant = dialect
        .grants
        .refresh_token(token, client_id, now, true)
        .map_err(|failure| TokenError::refresh(failure, true))?;
    // RFC 6749 §6: a refresh may narrow the scope, never widen it.
    let scopes = match scope {
        None => grant.extra.scopes,
        Some(raw) => {
            let asked = Scopes::known(raw);
            if !grant.extra.scopes.contains(asked) {
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
    Ok(Issue {
        client_id,
        user_id: grant.user_id,
        scopes,
        grant_id: grant.grant_id,
        auth_time: grant.extra.auth_time,
        nonce: None,
        with_id_token: with_id_token && scopes.openid,
        keep_refresh_token: (!rotate).then_some(token),
    })
}

/// Why a call failed; kept small rather than a whole `Response`.
#[derive(Debug)]
pub(super) enum Failure {
    Token(TokenError),
    /// 401 `invalid_client`, with a Basic challenge when Basic was tried (RFC 6749 §5.2).
    Client {
        basic: bool,
    },
    /// The ID token could not be signed.
    Signing,
}

impl From<TokenError> for Failure {
    fn from(error: TokenError) -> Self {
        Self::Token(error)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Self::Token(error) => error.into_response(),
            Self::Client { basic } => {
                let mut response = TokenError::invalid_client().into_response();
                if basic {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static(r#"Basic realm="provider-sim""#),
                    );
                }
                response
            }
            Self::Signing => {
                let body = serde_json::json!({
                    "error": "server_error",
                    "error_description": "the ID token could not be signed",
                });
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
        }
    }
}

/// The authenticated client's id: client_secret_basic or client_secret_post,
/// never both (RFC 6749 §2.3), Basic components form-encoded (§2.3.1).
pub(super) fn authenticate(
    world: &World,
    headers: &HeaderMap,
    client_id: &Option<String>,
    secret: &Option<String>,
) -> Result<String, Failure> {
    let body = (non_empty(client_id), non_empty(secret));
    match token::authenticate(world, NAME, headers, body, true) {
        Ok(client) => Ok(client.client_id),
        Err((AuthFailure::Both, _)) => Err(TokenError::invalid_request(
            "use one client authentication method, not both",
        )
        .into()),
        Err((AuthFailure::ClientIdMismatch, _)) => Err(TokenError::invalid_request(
            "client_id in the body differs from the Authorization header",
        )
        .into()),
        Err((AuthFailure::MissingClientId, _)) => Err(TokenError::missing("client_id").into()),
        Err((_, basic)) => Err(Failure::Client { basic }),
    }
}
