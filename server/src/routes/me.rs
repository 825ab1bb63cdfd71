//! The signed-in person: `/api/me`, and per-provider balance, top-up,
//! friendship, notifications and messages.

use crate::{cookies::binding_hash, error::ApiError, session::SessionId, state::Keyhole};
use axum::{
    Json, Router,
    extract::State,
    extract::rejection::JsonRejection,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use keyhole_api::{
    Balance, Connection, Friendship, Me, NOTIFY_MESSAGE_MAX_CHARS, NotifyRequest, NotifyResult,
    SessionInfo, Topup,
};

const ME: &str = "/me";
const BALANCE: &str = "/me/{provider}/balance";
const TOPUP: &str = "/me/{provider}/topup";
const FRIENDSHIP: &str = "/me/{provider}/friendship";
const NOTIFY: &str = "/me/{provider}/notify";
const MESSAGE: &str = "/me/{provider}/message";

/// Routes of this module, relative to the base path; nothing here may be
/// cached (`security::headers` says so on every answer under `/me`).
pub(super) fn router() -> Router<Keyhole> {
    Router::new()
        .route(ME, get(me))
        .route(BALANCE, get(balance))
        .route(TOPUP, get(topup))
        .route(FRIENDSHIP, get(friendship))
        .route(NOTIFY, post(notify))
        .route(MESSAGE, post(message))
}

/// The session id from the cookie, or 401.
fn session_id(state: &Keyhole, jar: &CookieJar) -> Result<SessionId, ApiError> {
    jar.get(state.cookies.session_name())
        .filter(|c| !c.value().is_empty())
        .map(|c| SessionId::from_cookie(c.value()))
        .ok_or_else(ApiError::unauthenticated)
}

/// The session id of a request that costs a provider call, counted
/// against the session's allowance (429 past it): each spends a quota the
/// whole deployment shares.
fn calling_session(state: &Keyhole, jar: &CookieJar) -> Result<SessionId, ApiError> {
    let id = session_id(state, jar)?;
    state.throttle.call(&binding_hash(id.secret()))?;
    Ok(id)
}

/// The session and its connections; 401 (never a redirect) without one.
/// Reads the summary: no grant is opened for a response that never shows one.
///
/// A status is as of now, not as last stored: a token that cannot be
/// refreshed (Elice's, one hour) shows `reauth_required` from the moment it
/// expires, so the app offers "Sign in again" before anything fails. The
/// summary computes that from the expiry kept beside the status — no write
/// and no call to the provider on this read (why: `State::into_view` in
/// `keyhole-session`).
async fn me(State(state): State<Keyhole>, jar: CookieJar) -> Result<Response, ApiError> {
    let id = session_id(&state, &jar)?;
    let summary = state
        .sessions
        .load_summary(&id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let connections = summary
        .connections
        .into_iter()
        .filter_map(|c| {
            // A connection whose provider left the config is not shown.
            let info = state.providers.get(&c.provider)?.info();
            Some(Connection {
                provider_name: info.name.clone(),
                kind: info.kind.clone(),
                status: c.status,
                profile: c.profile,
                balance: c.balance,
                capabilities: info.capabilities.clone(),
                connected_at: crate::clock::rfc3339(c.connected_at),
                provider: c.provider,
            })
        })
        .collect();
    let me = Me {
        session: SessionInfo {
            expires_at: crate::clock::rfc3339(summary.expires_at),
        },
        connections,
    };
    // Into one growable vector rather than through axum's `Json`, which
    // writes each piece into a `BytesMut` with a capacity check apiece
    // (this is the app's most frequent answer).
    let body = serde_json::to_vec(&me).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// A fresh balance from the provider (also remembered for `/api/me`, when
/// it differs from the one remembered: an unchanged balance writes nothing).
async fn balance(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    jar: CookieJar,
) -> Result<Json<Balance>, ApiError> {
    let provider = super::provider(&state, &provider_id)?;
    let wallet = provider
        .wallet()
        .ok_or_else(|| super::unsupported(&provider_id))?;
    let id = calling_session(&state, &jar)?;
    let (balance, seen) = state
        .tokens
        .with_connection(&id, &provider, |token| async move {
            wallet.balance(&token).await
        })
        .await?;
    // Skipping the write is safe: what is stored is the balance just read,
    // or one another request stored since, as fresh.
    if seen.balance.as_ref() != Some(&balance) {
        let stored = balance.clone();
        state
            .tokens
            .update_state(&id, &provider_id, move |c| c.balance = Some(stored))
            .await?;
    }
    Ok(Json(balance))
}

/// The provider's top-up page.
async fn topup(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    jar: CookieJar,
) -> Result<Json<Topup>, ApiError> {
    let provider = super::provider(&state, &provider_id)?;
    let topup = provider
        .topup()
        .ok_or_else(|| super::unsupported(&provider_id))?;
    let id = calling_session(&state, &jar)?;
    let url = state
        .tokens
        .with_token(&id, &provider, |token| async move {
            topup.topup_url(&token).await
        })
        .await?;
    Ok(Json(Topup {
        url: url.to_string(),
    }))
}

/// Whether the person befriended the provider's official account (LINE).
async fn friendship(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    jar: CookieJar,
) -> Result<Json<Friendship>, ApiError> {
    let provider = super::provider(&state, &provider_id)?;
    let friends = provider
        .friends()
        .ok_or_else(|| super::unsupported(&provider_id))?;
    let id = calling_session(&state, &jar)?;
    let friend = state
        .tokens
        .with_token(&id, &provider, |token| async move {
            friends.is_friend(&token).await
        })
        .await?;
    Ok(Json(Friendship {
        friend,
        add_friend_url: friends.add_friend_url().map(String::from),
    }))
}

/// Sends a notification with the stored token (LINE Notify); the provider's
/// rate limit comes back in the body and as `X-RateLimit-*` headers.
async fn notify(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    jar: CookieJar,
    body: Result<Json<NotifyRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let provider = super::provider(&state, &provider_id)?;
    let notifier = provider
        .notifier()
        .ok_or_else(|| super::unsupported(&provider_id))?;
    let id = calling_session(&state, &jar)?;
    count_send(&state, &id).await?;
    let Json(request) = body?;
    let length = request.message.chars().count();
    if request.message.trim().is_empty() || length > NOTIFY_MESSAGE_MAX_CHARS {
        return Err(ApiError::invalid_request(format!(
            "message must be 1 to {NOTIFY_MESSAGE_MAX_CHARS} characters (got {length})."
        )));
    }
    let message = request.message.as_str();
    let rate_limit = state
        .tokens
        .with_token(&id, &provider, |token| async move {
            notifier.notify(&token, message).await
        })
        .await?;
    tracing::info!(provider = %provider_id, "notification sent");
    let mut response = Json(NotifyResult { rate_limit }).into_response();
    if let Some(limit) = rate_limit {
        let headers = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", limit.limit.to_string()),
            ("x-ratelimit-remaining", limit.remaining.to_string()),
            ("x-ratelimit-reset", limit.reset.to_string()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
    }
    Ok(response)
}

/// Pushes `{text}` to the LINE account the person signed in with, through the
/// provider's official account (LINE Messaging API).
async fn message(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    jar: CookieJar,
    body: Result<Json<keyhole_api::MessageRequest>, JsonRejection>,
) -> Result<Json<keyhole_api::MessageResult>, ApiError> {
    let provider = super::provider(&state, &provider_id)?;
    if provider.messaging().is_none() {
        return Err(super::unsupported(&provider_id));
    }
    let id = calling_session(&state, &jar)?;
    count_send(&state, &id).await?;
    let Json(request) = body?;
    let max = keyhole_api::MESSAGE_TEXT_MAX_CHARS;
    let length = request.text.chars().count();
    if request.text.trim().is_empty() || length > max {
        return Err(ApiError::invalid_request(format!(
            "text must be 1 to {max} characters (got {length})."
        )));
    }
    crate::messaging::send_to_person(
        &state.tokens,
        &state.providers,
        &provider,
        &id,
        &request.text,
    )
    .await
    .map(Json)
}

/// Notifications and pushes spend a quota the whole deployment shares (a
/// LINE channel's monthly pushes): counted in the session store, so every
/// instance sees one count per session and minute.
async fn count_send(state: &Keyhole, session: &SessionId) -> Result<(), ApiError> {
    let key = format!("quota:send:{}", binding_hash(session.secret()));
    let count = state
        .sessions
        .kv_incr(&key, std::time::Duration::from_secs(60))
        .await?;
    if count > u64::from(state.config.limits.sends_per_minute) {
        return Err(ApiError::rate_limited(60));
    }
    Ok(())
}
