//! Keyhole's routes, one module per area, at paths relative to the base
//! path where Keyhole is mounted (`/api` in the `keyhole` binary).

mod auth;
mod callback;
mod me;
mod meta;
mod webhooks;

use crate::{error::ApiError, providers::Provider, state::Keyhole};
use axum::{
    Router,
    extract::{ConnectInfo, FromRequestParts, Path},
    http::{StatusCode, request::Parts},
};
use keyhole_api::ErrorCode;
use std::sync::Arc;

/// The paths Keyhole answers under its base path: everything below them is
/// its own, and anything else is the host's. No catch-all at the root, so a
/// host that merges Keyhole at `/` keeps its own fallback.
pub(crate) const PREFIXES: [&str; 5] = [
    "/providers",
    "/me",
    "/me/{*rest}",
    "/auth/{*rest}",
    "/webhooks/{*rest}",
];

/// Every route, relative to the base path; an unknown path below
/// [`PREFIXES`] answers a JSON 404, never the host's page.
pub(crate) fn api() -> Router<Keyhole> {
    Router::new()
        .merge(auth::router())
        .merge(callback::router())
        .merge(me::router())
        .merge(meta::router())
        .merge(webhooks::router())
        .fallback(not_found)
}

/// 404 `not_found` for a path that is no route.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("No such API route.")
}

pub(crate) use meta::{health, probes};

/// The `{provider}` segment of a route. Read by name, because the router
/// that mounts Keyhole may add parameters of its own (`{*rest}`); a bad
/// segment is the contract's JSON 404, never axum's plain-text rejection.
struct ProviderId(String);

impl<S: Send + Sync> FromRequestParts<S> for ProviderId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        #[derive(serde::Deserialize)]
        struct Segment {
            provider: String,
        }
        Path::<Segment>::from_request_parts(parts, state)
            .await
            .map(|Path(s)| Self(s.provider))
            .map_err(|_| ApiError::not_found("No such provider."))
    }
}

/// The client address a request came from, as the rate limits see it: the
/// peer (`ConnectInfo`), or the forwarded client behind a trusted proxy.
#[derive(Debug, Clone, Copy)]
struct Client(Option<std::net::IpAddr>);

impl FromRequestParts<Keyhole> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Keyhole,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(Self(state.throttle.client(peer, &parts.headers)))
    }
}

/// The configured provider with this id, or 404 `not_found`.
fn provider(state: &Keyhole, id: &str) -> Result<Arc<Provider>, ApiError> {
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
