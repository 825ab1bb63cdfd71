//! API errors: one type that maps to a status and a stable `{code, message,
//! provider?, request_id}` body. The conversion has no side effects: the
//! real cause rides along in a response extension, and the `render` middleware
//! logs it and writes the body with the request id.

use crate::{session::StoreError, upstream::ProviderError};
use axum::{
    Json,
    extract::{
        Request,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use keyhole_api::ErrorCode;

/// Header carrying the request id (set by tower-http, echoed in responses).
pub const REQUEST_ID: &str = "x-request-id";

/// An error answered to the app.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    provider: Option<String>,
    /// What really happened, for the log only.
    cause: Option<String>,
    /// The request's id, when known where the error is made.
    request_id: Option<String>,
    /// Seconds for `Retry-After`, when waiting helps.
    retry_after: Option<u64>,
}

/// `Retry-After` of a 503 (`store_unavailable`, `timeout`), in seconds.
const RETRY_UNAVAILABLE_SECS: u64 = 2;

impl ApiError {
    /// An error with an explicit status, code and public message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            provider: None,
            cause: None,
            request_id: None,
            retry_after: None,
        }
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "Not signed in.",
        )
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    /// 403 `csrf`.
    pub fn csrf(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Csrf, message)
    }

    /// 500 `internal`; the cause is logged, never sent.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Something went wrong. The request id identifies it in the server log.",
        )
        .with_cause(cause)
    }

    /// 429 `rate_limited`, to try again after `retry_after` seconds.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "Too many requests. Try again shortly.",
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// 503 `timeout`: the request took longer than `limits.request_timeout`.
    pub fn timeout() -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Timeout,
            "The request took too long. Try again shortly.",
        );
        error.retry_after = Some(RETRY_UNAVAILABLE_SECS);
        error
    }

    /// 401 `reauth_required` for `provider`.
    pub fn reauth_required(provider: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::ReauthRequired,
            "This provider needs you to sign in again.",
        )
        .for_provider(provider)
    }

    /// Maps a provider failure; `provider` is the instance id.
    pub fn from_provider(provider: &str, e: &ProviderError) -> Self {
        let error = match e {
            ProviderError::NotSupported => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::NotSupported,
                "This provider does not support that.",
            ),
            ProviderError::Rejected { .. } if e.is_invalid_grant() => {
                return Self::reauth_required(provider).with_cause(e.to_string());
            }
            ProviderError::Unauthorized => {
                return Self::reauth_required(provider).with_cause(e.to_string());
            }
            ProviderError::Rejected { .. } => Self::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::ProviderError,
                "The provider refused the request.",
            ),
            ProviderError::RateLimited(_) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "The provider's rate limit is reached. Try again later.",
            ),
            ProviderError::Unavailable(_) | ProviderError::Malformed(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::ProviderUnavailable,
                "The provider is unavailable or answered unexpectedly. Try again shortly.",
            ),
        };
        error.for_provider(provider).with_cause(e.to_string())
    }

    /// Names the provider concerned.
    pub fn for_provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.to_owned());
        self
    }

    /// Names the request the error answers (its `x-request-id`).
    pub fn for_request(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(str::to_owned);
        self
    }

    /// Attaches the real cause, for the log.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    fn body(&self, request_id: String) -> keyhole_api::ApiError {
        keyhole_api::ApiError {
            code: self.code,
            message: self.message.clone(),
            provider: self.provider.clone(),
            request_id,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::StoreUnavailable,
            "The session store is unavailable. Try again shortly.",
        )
        .with_cause(e.to_string());
        // A store outage is usually a restart or failover: seconds.
        error.retry_after = Some(RETRY_UNAVAILABLE_SECS);
        error
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        Self::invalid_request(format!("Bad JSON body: {}", e.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::invalid_request(format!("Bad query string: {}", e.body_text()))
    }
}

impl IntoResponse for ApiError {
    /// The contract's JSON body, so a host's own handler (no [`render`]
    /// around it) answers in the same shape. Inside Keyhole's routes the
    /// error also rides along for [`render`], which logs its cause and
    /// writes the request id in.
    fn into_response(self) -> Response {
        let body = self.body(self.request_id.clone().unwrap_or_else(|| "-".to_owned()));
        let mut response = (
            self.status,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Json(body),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// tower-http's body limit answers a bare 413; this gives it the contract's
/// shape (`invalid_request`), so every error a client sees is JSON.
pub fn too_large_as_json(response: Response) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE
        || response.extensions().get::<ApiError>().is_some()
    {
        return response;
    }
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::InvalidRequest,
        "The request body is too large.",
    )
    .into_response()
}

/// Writes the JSON body of every [`ApiError`] with the request id, and logs
/// its cause. 4xx are the caller's doing and log at debug; 5xx at error.
pub async fn render(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let mut response = next.run(request).await;
    let Some(error) = response.extensions_mut().remove::<ApiError>() else {
        return response;
    };
    if error.status.is_server_error() {
        tracing::error!(
            request_id,
            code = error.code.as_str(),
            provider = error.provider.as_deref(),
            cause = error.cause.as_deref(),
            "request failed"
        );
    } else {
        tracing::debug!(
            request_id,
            code = error.code.as_str(),
            provider = error.provider.as_deref(),
            cause = error.cause.as_deref(),
            "request refused"
        );
    }
    let body = error.body(request_id);
    let (mut parts, _) = response.into_parts();
    // The old body is dropped: a length set for it must not describe the new one.
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut fresh = (error.status, Json(body)).into_response();
    // Keep headers set by the handler (cookies, cache policy), replace the body.
    for (name, value) in fresh.headers_mut().drain() {
        if let Some(name) = name {
            parts.headers.insert(name, value);
        }
    }
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, fresh.into_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_map_to_stable_codes() {
        let cases = [
            (
                ProviderError::Rejected {
                    error: "invalid_grant".into(),
                    description: None,
                },
                StatusCode::UNAUTHORIZED,
                ErrorCode::ReauthRequired,
            ),
            (
                ProviderError::Rejected {
                    error: "invalid_client".into(),
                    description: None,
                },
                StatusCode::BAD_GATEWAY,
                ErrorCode::ProviderError,
            ),
            (
                ProviderError::Unavailable("timed out".into()),
                StatusCode::BAD_GATEWAY,
                ErrorCode::ProviderUnavailable,
            ),
            (
                ProviderError::Malformed("x".into()),
                StatusCode::BAD_GATEWAY,
                ErrorCode::ProviderUnavailable,
            ),
            (
                ProviderError::NotSupported,
                StatusCode::BAD_REQUEST,
                ErrorCode::NotSupported,
            ),
        ];
        for (e, status, code) in cases {
            let api = ApiError::from_provider("p", &e);
            assert_eq!((api.status, api.code), (status, code), "{e:?}");
            assert_eq!(api.provider.as_deref(), Some("p"));
        }
    }

    #[test]
    fn internal_errors_never_carry_the_cause_in_the_message() {
        let e = ApiError::internal("db password wrong: hunter2");
        assert!(!e.message.contains("hunter2"));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
