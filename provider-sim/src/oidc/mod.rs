//! A generic, standards-conforming OpenID Connect provider (OIDC Core 1.0, RFC 6749/7636/7009/9207).
//!
//! The issuer is `{simulator origin}/oidc`, so discovery at
//! `{issuer}/.well-known/openid-configuration` works with any OIDC library.

mod authorize;
mod keys;
mod resource;
mod token;

use std::collections::{HashMap, HashSet};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    dev,
    dialect::{self, Dialect},
    grants::{Grants, Revoker},
    net::Conn,
    users::User,
};

type Ctx = dialect::Ctx<DialectState>;

const NAME: &str = "oidc";
/// Path prefix of this dialect on the simulator (and the issuer's path).
const PREFIX: &str = "/oidc";

const DISCOVERY: &str = "oidc.discovery";
const JWKS: &str = "oidc.jwks";
const AUTHORIZE: &str = "oidc.authorize";
const DECISION: &str = "oidc.decision";
const TOKEN: &str = "oidc.token";
const TOKEN_CODE: &str = "oidc.token.authorization_code";
const TOKEN_REFRESH: &str = "oidc.token.refresh_token";
const USERINFO: &str = "oidc.userinfo";
const REVOKE: &str = "oidc.revoke";

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) =
        ("OpenID Connect", "/.well-known/openid-configuration");
    const ENDPOINTS: &'static [&'static str] = &[
        DISCOVERY, JWKS, AUTHORIZE, DECISION, TOKEN, USERINFO, REVOKE,
    ];
    const COUNTERS: &'static [&'static str] = &[TOKEN_CODE, TOKEN_REFRESH];
    type Options = Options;
    const DEV_CLIENT: (&'static str, &'static str, &'static str) = (
        dev::OIDC_CLIENT_ID,
        dev::OIDC_CLIENT_SECRET,
        dev::OIDC_REDIRECT_PATH,
    );

    fn options(&mut self) -> &mut Options {
        &mut self.options
    }

    fn routes() -> Router<Ctx> {
        Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .merge(authorize::router())
            .merge(token::router())
            .merge(resource::router())
    }

    fn admin_routes() -> Router<Ctx> {
        Router::new()
            .route("/_sim/oidc/keys", get(list_keys))
            .route("/_sim/oidc/rotate-keys", post(rotate_keys))
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn revoker(&mut self) -> Option<&mut dyn Revoker> {
        Some(&mut self.grants)
    }
    /// Revokes one refresh token and its grant; `false` if it is unknown.
    fn revoke_refresh_token(&mut self, token: &str) -> bool {
        self.grants.revoke_token_grant(token)
    }
    /// Revokes every token of a user and ends their session; returns how many
    /// tokens were still usable.
    fn revoke_user(&mut self, user_id: u64) -> usize {
        self.logins.remove(&user_id);
        self.consents.retain(|(_, user)| *user != user_id);
        self.grants.revoke_user(user_id)
    }

    fn describe_user(&self, user: &User, view: &mut Map<String, Value>) {
        view.insert("oidc_sub".to_owned(), user.oidc_sub.into());
    }
}

crate::dialect::options! {
    /// Lifetimes and the choices the standards leave to the provider.
    struct Options {
        access_token_ttl_secs: u64 = 3600,
        id_token_ttl_secs: u64 = 3600,
        code_ttl_secs: u64 = 600,
        /// `null`: refresh tokens never expire.
        refresh_token_ttl_secs: Option<u64> = None,
        /// Each refresh returns a new refresh token and retires the old one; using
        /// a retired one revokes the whole grant (RFC 9700 §4.14.2).
        rotate_refresh_tokens: bool = true,
        /// Refuse authorization requests without `code_challenge`.
        require_pkce: bool = false,
        /// Accept `code_challenge_method=plain` (RFC 7636's default method).
        allow_plain_pkce: bool = true,
        /// Issue refresh tokens only when `offline_access` was granted (OIDC Core §11).
        refresh_requires_offline_access: bool = false,
        /// Return a new ID token from the refresh grant (OIDC Core §12.2).
        id_token_on_refresh: bool = true,
        /// Add `iss` to authorization responses (RFC 9207).
        authorization_response_iss: bool = true,
        /// Skip the consent page and sign this user in straight away.
        auto_approve_user_id: Option<u64> = None,
    }
}

#[derive(Debug, Serialize)]
struct KeysView {
    /// The `kid` new tokens are signed with.
    active: String,
    /// Every `kid` in the JWKS, oldest first.
    published: Vec<String>,
}

async fn list_keys(State(ctx): State<Ctx>) -> Json<KeysView> {
    Json(ctx.with(|_, dialect| KeysView {
        active: dialect.keys.active_kid().to_owned(),
        published: dialect.keys.kids(),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateRequest {
    /// Drop the older keys from the JWKS too.
    #[serde(default)]
    retire_previous: bool,
}

/// `POST /_sim/oidc/rotate-keys` (body optional): a new signing key.
async fn rotate_keys(State(ctx): State<Ctx>, body: Option<Json<RotateRequest>>) -> Json<KeysView> {
    let request = body.map(|Json(request)| request).unwrap_or_default();
    Json(ctx.with(|_, dialect| {
        let keys = &mut dialect.keys;
        keys.rotate(request.retire_previous);
        KeysView {
            active: keys.active_kid().to_owned(),
            published: keys.kids(),
        }
    }))
}

crate::oauth::scope_set! {
    /// The scopes this provider understands.
    struct Scopes {
        openid = "openid" => "Your account identifier",
        profile = "profile" => "Your name, picture and language",
        email = "email" => "Your email address",
        offline_access = "offline_access" => "Access while you are not signed in",
    }
}

impl Scopes {
    /// Unknown scopes are ignored (OIDC Core §3.1.2.1).
    fn known(raw: &str) -> Self {
        let known = raw.split(' ').filter_map(|scope| Self::parse(scope).ok());
        known.fold(Self::default(), Self::union)
    }
}

/// Everything this provider has issued, plus its keys and browser sessions.
#[derive(Debug, Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    keys: keys::KeyRing,
    /// Access tokens carry their scopes; codes and refresh tokens their grant.
    grants: Grants<Granted, Scopes, Granted>,
    /// When each user last signed in on the consent page (`auth_time`).
    logins: HashMap<u64, u64>,
    /// (client, user) pairs the user has consented to, for `prompt=none`.
    consents: HashSet<(String, u64)>,
}

/// What a code or refresh token grants, beyond the grant store's fields.
#[derive(Debug, Clone)]
struct Granted {
    scopes: Scopes,
    auth_time: u64,
    /// The authentication request's nonce (codes only).
    nonce: Option<String>,
}

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3).
async fn discovery(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let issuer = format!("{}{PREFIX}", ctx.base_url(&headers));
    ctx.call(&conn, DISCOVERY, |_, dialect| {
        let options = &dialect.options;
        let methods: &[&str] = if options.allow_plain_pkce { &["S256", "plain"] } else { &["S256"] };
        Json(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
            "jwks_uri": format!("{issuer}/jwks"),
            "revocation_endpoint": format!("{issuer}/revoke"),
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": methods,
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "claims_supported": [
                "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                "name", "preferred_username", "picture", "locale", "email", "email_verified",
            ],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": options.authorization_response_iss,
        }))
        .into_response()
    })
    .await
}

/// `GET /jwks`: every published key, so tokens signed before a rotation verify.
async fn jwks(State(ctx): State<Ctx>, conn: Conn) -> Response {
    ctx.call(&conn, JWKS, |_, dialect| {
        let body = dialect.keys.jwks().to_string();
        let content_type = [(axum::http::header::CONTENT_TYPE, "application/jwk-set+json")];
        (StatusCode::OK, content_type, body).into_response()
    })
    .await
}
