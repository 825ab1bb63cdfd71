//! The two error bodies of LINE's APIs: `{message, details?}` (Messaging API) and `{error, error_description?}` (token endpoints).

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::oauth;

/// One entry of an error's `details`.
#[derive(Debug, Serialize)]
pub(super) struct Detail {
    pub(super) message: String,
    pub(super) property: String,
}

pub(super) fn detail(message: &str, property: impl Into<String>) -> Detail {
    Detail {
        message: message.to_owned(),
        property: property.into(),
    }
}

/// An error answer of either family; the token endpoints answer both.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
    /// Token-endpoint answers must not be cached (RFC 6749 §5.1).
    no_store: bool,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.no_store {
            response.headers_mut().extend(oauth::no_store_headers());
        }
        response
    }
}

/// A Messaging API error: `{"message", "details"?}`, `details` left out when empty.
pub(super) fn api_error(status: StatusCode, message: &str, details: Vec<Detail>) -> ApiError {
    let mut body = json!({ "message": message });
    if !details.is_empty() {
        body["details"] = json!(details);
    }
    ApiError {
        status,
        body,
        no_store: false,
    }
}

/// A `{"message"}` error without details.
pub(super) fn message(status: StatusCode, message: &str) -> ApiError {
    api_error(status, message, Vec::new())
}

/// An OAuth-family error of the token endpoints: 400 `{"error", "error_description"?}`.
pub(super) fn oauth_error(error: &str, description: Option<&str>) -> ApiError {
    let mut body = json!({ "error": error });
    if let Some(description) = description {
        body["error_description"] = description.into();
    }
    ApiError {
        status: StatusCode::BAD_REQUEST,
        body,
        no_store: true,
    }
}
