//! Public metadata and probes: `/api/providers`, `/healthz`, `/readyz`, `/metrics`.

use crate::{error::ApiError, state::AppState};
use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use keyhole_api::ProviderInfo;

const PROVIDERS: &str = "/api/providers";

/// API routes of this module (full `/api/...` paths).
pub(super) fn router() -> Router<AppState> {
    Router::new().route(PROVIDERS, get(providers))
}

/// Probe routes, at the root.
pub fn probes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The configured providers, in config order.
async fn providers(State(state): State<AppState>) -> Json<Vec<ProviderInfo>> {
    Json(state.providers.iter().map(|p| p.info().clone()).collect())
}

/// Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
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
async fn readyz(State(state): State<AppState>) -> Result<(StatusCode, &'static str), ApiError> {
    state.sessions.ping().await?;
    Ok((StatusCode::OK, "ready"))
}
