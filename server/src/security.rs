//! Security defaults: response headers, the CSRF header and `Origin` check
//! of Keyhole's routes, and `return_to` validation.

use crate::{error::ApiError, state::Keyhole};
use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::Response,
};

/// CSP of JSON responses and anything without its own: nothing may load.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the headers every response carries (HSTS too when the public URL
/// is https). A handler that set its own CSP (the popup callback page, the
/// app shell) keeps it.
pub async fn headers(State(state): State<Keyhole>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_auth = path.starts_with("/auth/");
    // Sign-ins and everything about the person: never kept by a cache.
    let no_store = is_auth || path == "/me" || path.starts_with("/me/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if state.cookies.is_secure() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(API_CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if no_store {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_auth {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    } else {
        h.entry(header::REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    }
    response
}

/// Answers 503 `timeout` when a request runs longer than the configured
/// `limits.request_timeout`, rather than holding the connection. Work that
/// must not be lost halfway (a token refresh) runs in a task of its own.
pub async fn deadline(State(state): State<Keyhole>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::response::IntoResponse::into_response(ApiError::timeout()),
    }
}

/// Refuses state-changing requests to Keyhole's routes without `X-Keyhole-Csrf: 1` or
/// with a foreign `Origin`. The custom header forces a CORS preflight, which
/// another origin cannot pass. Provider callbacks (`form_post`) and webhooks
/// are exempt: they are cross-site by design and checked by state or
/// signature instead.
pub async fn csrf(State(state): State<Keyhole>, request: Request, next: Next) -> Response {
    if needs_csrf_check(request.method(), request.uri().path()) {
        let header_ok = request
            .headers()
            .get(keyhole_api::CSRF_HEADER)
            .is_some_and(|v| v == "1");
        if !header_ok {
            return axum::response::IntoResponse::into_response(ApiError::csrf(
                "Missing X-Keyhole-Csrf header.",
            ));
        }
        if let Some(origin) = request.headers().get(header::ORIGIN)
            && origin.as_bytes() != state.public_origin.as_bytes()
        {
            return axum::response::IntoResponse::into_response(ApiError::csrf(
                "Cross-origin request refused.",
            ));
        }
    }
    next.run(request).await
}

/// `path` is relative to Keyhole's base path (this runs on its routes only).
fn needs_csrf_check(method: &Method, path: &str) -> bool {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let exempt = path.starts_with("/webhooks/")
        || (path.starts_with("/auth/") && path.ends_with("/callback"));
    !safe && !exempt
}

/// Accepts only same-origin relative paths: `/x`, never `//host`, `/\host`,
/// a scheme, or control characters (which browsers strip or reinterpret).
pub fn safe_return_to(candidate: Option<&str>) -> Option<String> {
    let path = candidate.unwrap_or("/");
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control())
        && path.len() <= 512;
    ok.then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_accepts_only_local_paths() {
        assert_eq!(safe_return_to(None).as_deref(), Some("/"));
        assert_eq!(
            safe_return_to(Some("/account?tab=1")).as_deref(),
            Some("/account?tab=1")
        );
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/ok\\..\\x",
            "evil",
            "javascript:alert(1)",
            "/\t/evil.example",
            "",
        ] {
            assert_eq!(safe_return_to(Some(evil)), None, "{evil:?} accepted");
        }
    }

    #[test]
    fn csrf_check_covers_unsafe_api_methods_except_callbacks_and_webhooks() {
        assert!(needs_csrf_check(&Method::POST, "/auth/logout"));
        assert!(needs_csrf_check(&Method::DELETE, "/me"));
        assert!(!needs_csrf_check(&Method::GET, "/me"));
        assert!(!needs_csrf_check(&Method::POST, "/auth/line/callback"));
        assert!(!needs_csrf_check(&Method::POST, "/webhooks/line-bot"));
    }

    proptest::proptest! {
        /// Whatever is asked for, only a local path comes back.
        #[test]
        fn return_to_never_names_another_origin(candidate in proptest::prelude::any::<String>()) {
            if let Some(path) = safe_return_to(Some(&candidate)) {
                proptest::prop_assert!(path.starts_with('/') && !path.starts_with("//"));
                proptest::prop_assert!(!path.contains('\\') && !path.chars().any(char::is_control));
            }
        }
    }
}
