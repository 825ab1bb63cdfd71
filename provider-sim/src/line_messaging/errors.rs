//! The two error bodies of LINE's APIs: `{message, details?}` (Messaging API) and `{error, error_description?}` (token endpoints).

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

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

/// A Messaging API error: `{"message", "details"?}`, `details` left out when empty.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    details: Vec<Detail>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "message": self.message });
        if !self.details.is_empty() {
            body["details"] = json!(self.details);
        }
        (self.status, Json(body)).into_response()
    }
}

pub(super) fn api_error(status: StatusCode, message: &str, details: Vec<Detail>) -> ApiError {
    ApiError {
        status,
        message: message.to_owned(),
        details,
    }
}

/// A `{"message"}` error without details.
pub(super) fn message(status: StatusCode, message: &str) -> ApiError {
    api_error(status, message, Vec::new())
}

/// An OAuth-family error of the token endpoints: 400 `{"error", "error_description"?}`.
#[derive(Debug)]
pub(crate) struct OauthError {
    error: &'static str,
    description: Option<&'static str>,
}

impl IntoResponse for OauthError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.error });
        if let Some(description) = self.description {
            body["error_description"] = description.into();
        }
        (
            StatusCode::BAD_REQUEST,
            oauth::no_store_headers(),
            Json(body),
        )
            .into_response()
    }
}

pub(super) fn oauth_error(error: &'static str, description: Option<&'static str>) -> OauthError {
    OauthError { error, description }
}
