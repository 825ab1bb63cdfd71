//! Keyhole's backend-for-frontend: it starts OAuth logins, receives callbacks,
//! exchanges codes with the client secret, keeps tokens in server-side
//! sessions, refreshes them, and answers the app with JSON.
//!
//! Layout:
//! - [`config`] — `keyhole.toml` + secrets from the environment or files.
//! - [`state`] — [`AppState`], shared by every handler.
//! - [`routes`] — `/api/...` handlers (`auth`, `me`, `meta`, `webhooks`).
//! - [`providers`] — the `Provider` trait and one adapter file per kind.
//! - [`session`] — session and pending-login records, the store trait,
//!   cookies.
//! - [`tokens`] — using a connection's token, with single-flight refresh.
//! - [`callback_page`] — the popup/redirect answer of a login callback.
//! - [`security`], [`error`] — headers, CSRF, `return_to`; the JSON errors.
//! - [`spa`] — serving the built app with its CSP.
//! - [`metrics`] — Prometheus counters and histograms for `/metrics`.
//! - [`messaging`] — LINE Messaging API: the webhook queue, per-user
//!   friendship and link records, pushing to the signed-in person.

pub mod callback_page;
pub mod clock;
pub mod config;
pub mod error;
pub mod grant;
pub mod messaging;
pub mod metrics;
pub mod oauth;
pub mod providers;
pub mod routes;
pub mod secret;
pub mod security;
pub mod session;
pub mod spa;
pub mod state;
pub mod tokens;
pub mod upstream;

pub use state::AppState;

use axum::{Router, body::Body, extract::Request, middleware};
use tower::ServiceBuilder;
use tower_http::{
    body::Limited,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

/// Largest request body accepted (JSON bodies and form_post callbacks are tiny).
const BODY_LIMIT: usize = 64 * 1024;

/// The whole HTTP surface. Having it separate from `main` lets tests drive it
/// with `oneshot`, no server needed.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new().merge(routes::api()).merge(routes::probes());
    app = match spa::service(&state.config) {
        Some(spa) => app.merge(spa),
        None => app.fallback(|| async { error::ApiError::not_found("Not found.") }),
    };
    let app = app.with_state(state.clone());
    // One stack around the whole router, outermost first: the request id
    // exists before tracing and error rendering need it; errors are rendered
    // before headers are added. Not `Router::layer`, which wraps every route
    // in its own boxed copy of the stack, so each request would clone ~30
    // boxes (a tenth of a `/api/me`'s instructions under callgrind).
    let stack = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .map_request(|request: http::Request<Limited<Body>>| request.map(Body::new))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(span_for))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn(security::headers))
        .layer(middleware::from_fn(error::render))
        .layer(middleware::from_fn_with_state(state, security::csrf))
        .service(app);
    Router::new().fallback_service(stack)
}

/// The request span: method, path and request id — never the query string,
/// which carries authorization codes on callbacks.
fn span_for(request: &Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get(error::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        request_id,
    )
}
