//! Composing the HTTP surface: Keyhole's own routes with their middleware,
//! ready to nest in any axum app; the operator's probes as a router of
//! their own; and the standalone app the `keyhole` binary serves.

use crate::{error, routes, security, spa, state::Keyhole};
use axum::{
    Router,
    body::Body,
    extract::{OriginalUri, Request},
    middleware,
    routing::any,
};
use tower::ServiceBuilder;
use tower_http::{
    body::Limited,
    limit::{RequestBodyLimitLayer, ResponseBody},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

/// Largest request body accepted (JSON bodies and form_post callbacks are tiny).
const BODY_LIMIT: usize = 64 * 1024;

impl Keyhole {
    /// Keyhole's routes (`/auth/…`, `/me…`, `/providers`, `/webhooks/…`),
    /// relative to where they are mounted, with their security middleware
    /// (body limit, request id, tracing, headers, CSRF header and `Origin`
    /// check, JSON errors) on these routes only, and no fallback: nest it
    /// at the configured `base_path`, or see [`Keyhole::mount`].
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        // One stack around one inner router rather than `Router::layer`,
        // which would wrap every route in a boxed copy of the stack to be
        // cloned on each request (a tenth of `/api/me`'s instructions under
        // callgrind, BENCHMARKS.md).
        let inner = routes::api().with_state(self.clone());
        let service = ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(span_for))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(middleware::from_fn_with_state(
                self.clone(),
                security::headers,
            ))
            .layer(middleware::from_fn(error::render))
            // Inside `render`, so a body over the limit answers in the
            // contract's JSON with the request id like any other error.
            .map_response(|response: http::Response<ResponseBody<Body>>| {
                error::too_large_as_json(response.map(Body::new))
            })
            .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
            .map_request(|request: http::Request<Limited<Body>>| request.map(Body::new))
            .layer(middleware::from_fn_with_state(
                self.clone(),
                security::deadline,
            ))
            .layer(middleware::from_fn_with_state(self.clone(), security::csrf))
            .service(inner);
        routes::PREFIXES
            .iter()
            .fold(Router::new(), |router, prefix| {
                router.route_service(prefix, service.clone())
            })
    }

    /// `app` with [`Keyhole::router`] at the configured `base_path`: nested
    /// under it, or merged when Keyhole sits at the root.
    pub fn mount<S: Clone + Send + Sync + 'static>(&self, app: Router<S>) -> Router<S> {
        match self.config.base_path.as_str() {
            "" => app.merge(self.router()),
            base => app.nest(base, self.router()),
        }
    }

    /// Liveness (`/healthz`), readiness (`/readyz`: the session store
    /// answers) and Prometheus metrics (`/metrics`), to serve wherever the
    /// operator wants them — on the app's listener or a private one.
    pub fn ops_router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        routes::probes().with_state(self.clone())
    }
}

/// The whole app of the `keyhole` binary: Keyhole at its base path, the
/// probes, and the built app (`dist`) for every other path — or a JSON 404
/// without one. Any path under the base path that is no route answers a
/// JSON 404, never the app's page. Tests drive it with `oneshot`.
pub fn router(keyhole: Keyhole) -> Router {
    // With `metrics_bind`, `/metrics` is served there only (see `main.rs`);
    // load balancers still find the probes here.
    let mut app = match keyhole.config.metrics_bind {
        // Named, so it is a plain 404 rather than the app's page.
        Some(_) => routes::health()
            .route("/metrics", any(routes::not_found))
            .with_state(keyhole.clone()),
        None => keyhole.ops_router(),
    };
    let base = keyhole.config.base_path.as_str();
    if !base.is_empty() {
        let rest = format!("{base}/{{*rest}}");
        app = app
            .route(base, any(routes::not_found))
            .route(&rest, any(routes::not_found));
    }
    app = match spa::service(&keyhole.config) {
        Some(spa) => app.merge(spa),
        None => app.fallback(|| async { error::ApiError::not_found("Not found.") }),
    };
    // What Keyhole's own routes get from their stack, the rest gets here.
    let app = app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(span_for))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(middleware::from_fn_with_state(
                keyhole.clone(),
                security::headers,
            ))
            .layer(middleware::from_fn(error::render)),
    );
    let app = keyhole.mount(app);
    // A client's own `x-request-id` is not trusted: every request gets ours
    // (a log line must not be forgeable to tie to another request). One
    // layer around the whole app, as a fallback service, so no route is
    // wrapped on its own.
    Router::new().fallback_service(
        ServiceBuilder::new()
            .map_request(|mut request: Request| {
                request.headers_mut().remove(error::REQUEST_ID);
                request
            })
            .service(app),
    )
}

/// The request span: method, path as the client sent it (not as seen
/// below a nested prefix) and request id — never the query string, which
/// carries authorization codes on callbacks.
fn span_for(request: &Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get(error::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let uri = match request.extensions().get::<OriginalUri>() {
        Some(OriginalUri(original)) => original,
        None => request.uri(),
    };
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = uri.path(),
        request_id,
    )
}
