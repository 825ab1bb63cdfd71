//! Feishu's response envelope: `{code, msg}` errors, `{code: 0, msg, data}` success, and the user fields.

use super::DialectState;
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};

use crate::{
    oauth,
    users::{self, User},
};

/// The one tenant every simulated user belongs to.
const TENANT_KEY: &str = "736588c9260f175d";

/// A Feishu error: `{"code": <non-zero>, "msg": "..."}` with an HTTP status
/// (200 for every v1 business error).
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    code: u32,
    msg: String,
}

impl ApiError {
    /// A v1 business error: always HTTP 200.
    pub(super) fn new(code: u32, msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::OK,
            code,
            msg: msg.into(),
        }
    }

    /// A gateway error (9999xxxx): its realistic status, or the configured one.
    pub(super) fn gateway(dialect: &DialectState, code: u32, msg: impl Into<String>) -> Self {
        let configured = dialect.options.gateway_error_status;
        Self {
            status: configured
                .and_then(|status| StatusCode::from_u16(status).ok())
                .unwrap_or_else(|| gateway_status(code)),
            code,
            msg: msg.into(),
        }
    }

    pub(super) fn invalid_param(what: &str) -> Self {
        Self::new(20001, format!("invalid request param: {what}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "msg": self.msg });
        (self.status, oauth::no_store_headers(), Json(body)).into_response()
    }
}

/// The HTTP status Feishu's gateway sends with `code` ([I]: the documents
/// leave it open; these are what clients of the Open API report).
fn gateway_status(code: u32) -> StatusCode {
    match code {
        // Malformed token (must start with t- / u-).
        99_991_671 => StatusCode::BAD_REQUEST,
        // The app, token or user lacks a scope.
        99_991_672 | 99_991_676 | 99_991_679 => StatusCode::FORBIDDEN,
        99_991_400 => StatusCode::TOO_MANY_REQUESTS,
        // Missing, invalid or expired tokens.
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// `{"code": 0, "msg": msg, "data": data}`.
pub(super) fn success(msg: &str, data: Value) -> Response {
    let body = serde_json::json!({ "code": 0, "msg": msg, "data": data });
    (oauth::no_store_headers(), Json(body)).into_response()
}

/// The user fields of v1 token responses and `user_info`.
pub(super) fn user_fields(user: &User, base_url: &str, contact: bool) -> Map<String, Value> {
    let avatar = format!("{base_url}{}", users::avatar_path(user.id));
    let mut fields = Map::new();
    let mut put = |key: &str, value: Value| {
        fields.insert(key.to_owned(), value);
    };
    put("name", user.display_name.into());
    put("en_name", user.en_name.into());
    for key in ["avatar_url", "avatar_thumb", "avatar_middle", "avatar_big"] {
        put(key, avatar.clone().into());
    }
    put("open_id", user.feishu.open_id.into());
    put("union_id", user.feishu.union_id.into());
    put("tenant_key", TENANT_KEY.into());
    if contact {
        put("email", user.email.into());
        put(
            "enterprise_email",
            format!("{}@keyhole-sim.feishu.cn", user.username).into(),
        );
        put("user_id", user.feishu.user_id.into());
        put("mobile", user.mobile.into());
    }
    fields
}
