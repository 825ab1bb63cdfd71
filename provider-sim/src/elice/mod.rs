//! The Elice dialect (docs/providers.md): comma scopes, a JSON token call with no `grant_type`, 1-hour tokens.
//!
//! Elice documents the happy path only (seed 002). Where it is silent — error
//! redirects, error bodies, the type of `id` — the behaviour is an admin option
//! (`PUT /_sim/elice/options`), defaulting to the likeliest reading ([I]).
//! Every route lives under [`PREFIX`]; the real service splits them across two
//! hosts (`ELICE_WEB_URL` for the page, `ELICE_SERVER_URL` for the API).

mod authorize;

use crate::oauth::non_empty;

use axum::{
    Json, Router,
    extract::{State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

use crate::{
    dev,
    dialect::{self, Dialect},
    flow::{
        self,
        authorize::{authorize, decide},
        token,
    },
    grants::{CodeRules, Grants, Owner, Redeem, Revoker},
    net::Conn,
    oauth, users,
};

type Ctx = dialect::Ctx<DialectState>;

const NAME: &str = "elice";
const PREFIX: &str = "/elice";

const AUTHORIZE: &str = "elice.authorize";
const DECISION: &str = "elice.decision";
const TOKEN: &str = "elice.token";
const ACCOUNT: &str = "elice.account";

const DECISION_PATH: &str = "/oauth/authorize/decision";

/// The only scope Elice documents (and the default).
const READ: &str = "read";

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) = ("Elice", "/oauth/…");
    const ENDPOINTS: &'static [&'static str] = &[AUTHORIZE, DECISION, TOKEN, ACCOUNT];
    type Options = Options;
    const DEV_CLIENT: (&'static str, &'static str, &'static str) = (
        dev::ELICE_CLIENT_ID,
        dev::ELICE_CLIENT_SECRET,
        dev::ELICE_REDIRECT_PATH,
    );

    fn options(&mut self) -> &mut Options {
        &mut self.options
    }

    fn routes() -> Router<Ctx> {
        Router::new()
            .route("/oauth/authorize", get(authorize::<authorize::Flow>))
            .route(DECISION_PATH, post(decide::<authorize::Flow>))
            .route("/oauth/token", post(token))
            .route("/oauth/account", get(account))
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn revoker(&mut self) -> Option<&mut dyn Revoker> {
        Some(&mut self.grants)
    }
}

crate::dialect::options! {
    /// Behaviour switches where Elice's documentation is silent or contradicts itself.
    struct Options {
        /// Access-token lifetime; the documentation says one hour.
        access_token_ttl_secs: u64 = 3600,
        /// Adds `expires_in` (the lifetime above) to the token response. Elice
        /// sends none and its clients assume the hour; a test that shortens the
        /// lifetime turns this on so the client learns it too, and sees the
        /// token expire without waiting an hour. Off by default: Elice's wire.
        report_expires_in: bool = false,
        /// Authorization-code lifetime (undocumented).
        code_ttl_secs: u64 = 600,
        /// JSON type of `id` in the account response: the field table says String,
        /// the example shows a number.
        id_format: IdFormat = IdFormat::Number,
        /// How an authorization error reaches the client (undocumented).
        error_redirect: ErrorRedirect = ErrorRedirect::Error,
        /// Whether a scope other than `read` is refused (`invalid_scope`) or ignored.
        reject_unknown_scopes: bool = true,
        /// Skip the consent page and sign this user in straight away.
        auto_approve_user_id: Option<u64> = None,
    }
}

/// The JSON type of the account's `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IdFormat {
    /// `"id": 12345`, as in the documentation's example.
    Number,
    /// `"id": "12345"`, as in the documentation's field table.
    String,
}

/// How authorization errors (deny, bad scope, missing state) are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErrorRedirect {
    /// `?error=access_denied&state=…`.
    Error,
    /// RFC 6749 §4.1.2.1: `?error=…&error_description=…&state=…`.
    ErrorDescription,
    /// No redirect at all: the user stays on an Elice error page.
    Page,
}

/// Options, and the codes and tokens this dialect has issued. No refresh
/// tokens: Elice has none.
#[derive(Debug, Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    grants: Grants<()>,
}

/// A code is single-use and short-lived, and that is all Elice checks.
const CODE_RULES: CodeRules = CodeRules {
    used_first: false,
    replay_revokes: false,
    redirect: false,
    pkce: false,
};

/// JSON body of `POST /oauth/token`. Anything else (`grant_type`,
/// `redirect_uri`) is ignored, as Elice never asks for it.
#[derive(Debug, Deserialize)]
struct TokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    /// Only with [`Options::report_expires_in`].
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
}

/// Elice's error bodies are undocumented; `{"error": "..."}` is assumed ([I]).
fn token_error(status: StatusCode, error: &'static str) -> Response {
    (
        status,
        oauth::no_store_headers(),
        Json(serde_json::json!({ "error": error })),
    )
        .into_response()
}

/// `POST /oauth/token`: JSON in, `{"access_token"}` out, nothing else.
async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Response {
    ctx.call(&conn, TOKEN, |world, dialect| {
        // A form-encoded body is the likeliest client bug: Elice wants JSON.
        let Ok(Json(request)) = body else {
            return token_error(StatusCode::BAD_REQUEST, "invalid_request");
        };
        let (Some(client_id), Some(client_secret), Some(code)) = (
            non_empty(&request.client_id),
            non_empty(&request.client_secret),
            non_empty(&request.code),
        ) else {
            return token_error(StatusCode::BAD_REQUEST, "invalid_request");
        };
        if token::verify(world, NAME, client_id, client_secret).is_err() {
            return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let now = world.clock.now();
        let claim = Redeem {
            code,
            client_id,
            now,
            redirect_uri: None,
            verifier: None,
        };
        let Ok(code) = dialect.grants.redeem(&claim, CODE_RULES) else {
            return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
        };
        let access_token = oauth::random_token(32);
        let ttl = dialect.options.access_token_ttl_secs;
        let expires_in = dialect.options.report_expires_in.then_some(ttl);
        let owner = Owner::new(client_id, code.user_id, code.grant_id);
        let expires_at = now.saturating_add(ttl);
        dialect
            .grants
            .add_access(&access_token, owner, expires_at, ());
        let body = TokenResponse {
            access_token,
            expires_in,
        };
        (oauth::no_store_headers(), Json(body)).into_response()
    })
    .await
}

/// `GET /oauth/account`: the signed-in user, `id` typed per [`IdFormat`].
async fn account(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let base = ctx.base_url(&headers);
    ctx.call(&conn, ACCOUNT, |world, dialect| {
        let (user, _) = match flow::bearer_user(world, &dialect.grants, &headers) {
            Ok(found) => found,
            Err(response) => return *response,
        };
        let id = match dialect.options.id_format {
            IdFormat::Number => serde_json::Value::from(user.id),
            IdFormat::String => serde_json::Value::from(user.id.to_string()),
        };
        Json(serde_json::json!({
            "id": id,
            "fullname": user.display_name,
            "email": user.email,
            "phone": user.phone,
            "profile_url": format!("{base}{}", users::avatar_path(user.id)),
            "locale": user.locale,
        }))
        .into_response()
    })
    .await
}
