//! HTTP routes, one module per area; each exposes `router()` for `/api`.

pub mod auth;
mod me;
mod meta;
mod webhooks;

use crate::{error::ApiError, providers::Provider, state::AppState};
use axum::{Router, http::StatusCode, routing::any};
use keyhole_api::ErrorCode;
use std::sync::Arc;

/// Everything under `/api` (unknown paths answer a JSON 404, never the app).
/// Routes carry their full paths rather than being nested under `/api`: a
/// nested router is one more routing step and URI rewrite on every request.
pub fn api() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(meta::router())
        .merge(webhooks::router())
        .route("/api", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("No such API route.")
}

pub use meta::probes;

/// The configured provider with this id, or 404 `not_found`.
fn provider(state: &AppState, id: &str) -> Result<Arc<Provider>, ApiError> {
    state
        .providers
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("No such provider."))
}

/// 400 `not_supported`: the provider lacks the capability asked for.
fn unsupported(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::NotSupported,
        "This provider does not support that.",
    )
    .for_provider(id)
}
