//! Feishu's current OAuth flow: authorize page with PKCE, and the flat v2 token endpoint.
//!
//! Unlike v1, errors carry real HTTP statuses and a flat body
//! `{"code", "error", "error_description"}`; successes are flat too
//! (`{"code": 0, "access_token", …}`, no `data`). A refresh token is issued only
//! when the granted scope includes `offline_access`, and is single-use.
//!
//! - this file: routes, the [`CodeRequest`] kept with a code, and
//!   [`jws_shaped_token`].
//! - `authorize`: the authorize page and its consent form.
//! - `token`: `POST /open-apis/authen/v2/oauth/token`.

mod authorize;
mod token;

use axum::{
    Router,
    routing::{get, post},
};

use super::Ctx;
use crate::oauth;

const AUTHORIZE_PATH: &str = "/open-apis/authen/v1/authorize";
const DECISION_PATH: &str = "/open-apis/authen/v1/authorize/decision";

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize::authorize))
        .route(DECISION_PATH, post(authorize::decide))
        .route("/open-apis/authen/v2/oauth/token", post(token::token))
}

/// What a v2 authorization request asked for, kept with its code.
#[derive(Debug, Clone)]
pub(super) struct CodeRequest {
    redirect_uri: String,
    scope: String,
    /// PKCE challenge and whether it is S256 (else `plain`, Feishu's default).
    challenge: Option<(String, bool)>,
}

/// A token shaped like Feishu's v2 tokens (JWS, `ES256` header). The
/// signature is random: clients must treat tokens as opaque.
pub(super) fn jws_shaped_token(now: u64, app_id: &str) -> String {
    let header = oauth::base64url(r#"{"alg":"ES256","typ":"JWT","kid":"sim"}"#);
    let claims = serde_json::json!({ "app": app_id, "iat": now, "jti": oauth::random_token(16) });
    let payload = oauth::base64url(claims.to_string());
    format!("{header}.{payload}.{}", oauth::random_token(64))
}
