//! `POST /api/webhooks/{provider}`: the LINE Messaging API webhook. The
//! signature is checked over the raw bytes before anything is parsed; a
//! verified body is queued and answered 200 at once (LINE wants an answer
//! within a second), and [`crate::messaging`] processes its events after.

use crate::{error::ApiError, state::Keyhole};
use axum::{
    Router,
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    routing::post,
};
use keyhole_api::ErrorCode;
use serde::Deserialize;
use serde_json::Value;

const WEBHOOK: &str = "/webhooks/{provider}";

/// The signature header. Header names are case-insensitive (`HeaderMap`
/// stores them lowercased), as LINE warns its case may change.
const SIGNATURE: &str = "x-line-signature";

/// LINE's webhook event types (Messaging API reference); any other type is
/// counted as `other`.
const EVENT_TYPES: &[&str] = &[
    "message",
    "unsend",
    "follow",
    "unfollow",
    "join",
    "leave",
    "memberJoined",
    "memberLeft",
    "postback",
    "videoPlayComplete",
    "beacon",
    "accountLink",
    "things",
    "membership",
    "module",
    "activated",
    "deactivated",
    "botSuspended",
    "botResumed",
];

/// Routes of this module, relative to the base path.
pub(super) fn router() -> Router<Keyhole> {
    Router::new().route(WEBHOOK, post(receive))
}

/// The envelope: `destination` and other fields are not needed.
#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    events: Vec<Value>,
}

/// Verifies, queues, answers 200. Bad or missing signature → 401 and nothing
/// is read further; the body size is capped by the router's limit (413).
async fn receive(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let provider = state
        .providers
        .get(&provider_id)
        .filter(|p| p.messaging().is_some())
        .ok_or_else(|| ApiError::not_found("No such webhook."))?;
    let body = body.map_err(|e| {
        ApiError::new(
            e.status(),
            ErrorCode::InvalidRequest,
            "The body is too large or could not be read.",
        )
    })?;
    let messaging = provider
        .messaging()
        .ok_or_else(|| ApiError::not_found("No such webhook."))?;
    let signature = headers.get(SIGNATURE).map(|v| v.as_bytes());
    if !messaging.verify_webhook(&body, signature) {
        tracing::warn!(provider = %provider_id, present = signature.is_some(), "webhook signature refused");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "Missing or invalid x-line-signature.",
        )
        .for_provider(&provider_id));
    }
    // Signed by LINE, so well-formed in practice; new fields are welcome.
    let payload: Payload = serde_json::from_slice(&body).map_err(|_| {
        ApiError::invalid_request("The body is not a LINE webhook.").for_provider(&provider_id)
    })?;
    // No events: the console's "Verify" button, or a connectivity check.
    if payload.events.is_empty() {
        return Ok(StatusCode::OK);
    }
    for event in &payload.events {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        // A label per distinct text would let the body grow `/metrics`.
        let kind = EVENT_TYPES.iter().find(|t| **t == kind).unwrap_or(&"other");
        state.metrics.webhook_event(&provider_id, kind);
    }
    let count = payload.events.len();
    state
        .webhooks
        .enqueue(
            &state.sessions,
            &state.providers,
            &provider_id,
            payload.events,
        )
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                "Too many webhooks at once. Try again shortly.",
            )
            .with_cause(e.to_string())
            .for_provider(&provider_id)
        })?;
    tracing::debug!(provider = %provider_id, count, "webhook queued");
    Ok(StatusCode::OK)
}
