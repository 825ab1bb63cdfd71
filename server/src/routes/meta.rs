//! Public metadata (`/providers`) and the operator's probes (`/healthz`,
//! `/readyz`, `/metrics`), which an operator may serve on another listener.

use crate::{error::ApiError, state::Keyhole};
use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use keyhole_api::ProviderInfo;

const PROVIDERS: &str = "/providers";

/// Routes of this module, relative to the base path.
pub(super) fn router() -> Router<Keyhole> {
    Router::new().route(PROVIDERS, get(providers))
}

/// Probe routes, at the root.
pub(crate) fn probes() -> Router<Keyhole> {
    health().route("/metrics", get(metrics))
}

/// Liveness and readiness only: the public listener's probes when metrics
/// have a listener of their own (`metrics_bind`).
pub(crate) fn health() -> Router<Keyhole> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The configured providers, in config order.
async fn providers(State(state): State<Keyhole>) -> Json<Vec<ProviderInfo>> {
    Json(state.providers.iter().map(|p| p.info().clone()).collect())
}

/// Prometheus text exposition.
async fn metrics(State(state): State<Keyhole>) -> impl axum::response::IntoResponse {
    let sessions = state.sessions.count().await.ok().flatten();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(sessions),
    )
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the session store answers.
async fn readyz(State(state): State<Keyhole>) -> Result<(StatusCode, &'static str), ApiError> {
    state.sessions.ping().await?;
    Ok((StatusCode::OK, "ready"))
}
