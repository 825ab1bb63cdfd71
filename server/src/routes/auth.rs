//! Starting a login (`/auth/{provider}/login`), and ending connections:
//! `/auth/{provider}/disconnect`, `/auth/logout`. The callback is in
//! [`super::callback`].

use crate::{
    cookies::binding_hash,
    error::ApiError,
    providers::{AuthorizeRequest, Provider},
    security::safe_return_to,
    session::{LoginMode, PENDING_TTL, PendingLogin, SessionId, random_token},
    state::Keyhole,
};
use axum::{
    Router,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use keyhole_api::Capability;
use oauth2::PkceCodeChallenge;
use serde::Deserialize;

const LOGIN: &str = "/auth/{provider}/login";
const LOGOUT: &str = "/auth/logout";
const DISCONNECT: &str = "/auth/{provider}/disconnect";

/// Routes of this module, relative to the base path.
pub(super) fn router() -> Router<Keyhole> {
    Router::new()
        .route(LOGIN, get(start_login))
        .route(LOGOUT, post(logout))
        .route(DISCONNECT, post(disconnect))
}

#[derive(Debug, Deserialize)]
struct LoginParams {
    mode: Option<String>,
    return_to: Option<String>,
    /// The app's UI language, passed on to providers that localise.
    lang: Option<String>,
}

/// Creates a pending login (state, PKCE verifier, nonce, browser binding) and
/// sends the browser to the provider.
async fn start_login(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    super::Client(client): super::Client,
    jar: CookieJar,
    params: Result<Query<LoginParams>, axum::extract::rejection::QueryRejection>,
) -> Result<(CookieJar, Response), ApiError> {
    // Each start stores a pending login: limited per address and browser.
    state.throttle.login(client)?;
    let Query(params) = params?;
    let provider = connectable(&state, &provider_id, &jar).await?;
    let mode = match params.mode.as_deref() {
        Some("popup") => LoginMode::Popup,
        Some("redirect") | None => LoginMode::Redirect,
        Some(_) => return Err(ApiError::invalid_request("mode must be popup or redirect.")),
    };
    let return_to = safe_return_to(params.return_to.as_deref())
        .ok_or_else(|| ApiError::invalid_request("return_to must be a path on this site."))?;

    let binding = match jar.get(state.cookies.binding_name()) {
        Some(c) if !c.value().is_empty() => c.value().to_owned(),
        _ => random_token(),
    };
    // Re-issued at every start, so the cookie lives as long as the newest
    // pending login it binds (a retry minutes later must still match).
    state.throttle.browser(&binding_hash(&binding))?;
    let jar = jar.add(state.cookies.binding(&binding));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let pending = PendingLogin {
        state: random_token(),
        provider: provider_id.clone(),
        mode,
        return_to,
        pkce_verifier: verifier.secret().clone(),
        nonce: random_token(),
        binding_hash: binding_hash(&binding),
        expires_at: crate::clock::now() + PENDING_TTL,
    };
    let redirect_uri = state.config.redirect_uri(&provider_id);
    let login = provider
        .login()
        .ok_or_else(|| super::unsupported(&provider_id))?;
    let url = login
        .authorize_url(&AuthorizeRequest {
            state: &pending.state,
            pkce_challenge: challenge.as_str(),
            nonce: &pending.nonce,
            redirect_uri: &redirect_uri,
            lang: params.lang.as_deref().filter(|l| is_language_tag(l)),
        })
        .await
        .map_err(|e| ApiError::from_provider(&provider_id, &e))?;
    state.sessions.put_pending(&pending).await?;
    state.metrics.login_started(&provider_id, mode.as_str());
    tracing::info!(provider = %provider_id, mode = ?mode, "login started");
    let response = (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response();
    Ok((jar, response))
}

/// The provider, if it can sign in — or, for connect-only providers such as
/// LINE Notify, if this browser already has a session to connect it to.
async fn connectable(
    state: &Keyhole,
    id: &str,
    jar: &CookieJar,
) -> Result<std::sync::Arc<Provider>, ApiError> {
    let provider = state
        .providers
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("No such provider."))?;
    if provider.can(Capability::Login) {
        return Ok(provider);
    }
    let session = match jar.get(state.cookies.session_name()) {
        Some(c) => {
            state
                .sessions
                .load(&SessionId::from_cookie(c.value()))
                .await?
        }
        None => None,
    };
    match session {
        Some(_) => Ok(provider),
        None => Err(ApiError::unauthenticated().for_provider(id)),
    }
}

/// A plausible BCP 47 tag (`th`, `zh-TW`): it goes into a provider URL.
fn is_language_tag(tag: &str) -> bool {
    (2..=12).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Revokes each connection's tokens where the provider supports it, deletes
/// the session and clears the cookie. Always 204, signed in or not.
async fn logout(State(state): State<Keyhole>, jar: CookieJar) -> Result<Response, ApiError> {
    if let Some(cookie) = jar.get(state.cookies.session_name()) {
        let id = SessionId::from_cookie(cookie.value());
        if let Some(record) = state.sessions.load(&id).await? {
            for connection in record.connections.values() {
                revoke(&state, connection).await;
            }
        }
        state.sessions.delete(&id).await?;
        tracing::info!("logged out");
    }
    let jar = jar.add(state.cookies.removal(state.cookies.session_name()));
    Ok((jar, StatusCode::NO_CONTENT).into_response())
}

/// Removes one provider from the session, revoking its tokens where the
/// provider supports it; the last one ends the session. 204.
async fn disconnect(
    State(state): State<Keyhole>,
    super::ProviderId(provider_id): super::ProviderId,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let id = jar
        .get(state.cookies.session_name())
        .map(|c| SessionId::from_cookie(c.value()))
        .ok_or_else(ApiError::unauthenticated)?;
    let record = state
        .sessions
        .load(&id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let connection = record.connections.get(&provider_id).ok_or_else(|| {
        ApiError::not_found("Not connected to this provider.").for_provider(&provider_id)
    })?;
    revoke(&state, connection).await;
    tracing::info!(provider = %provider_id, "disconnected");
    if record.connections.len() == 1 {
        state.sessions.delete(&id).await?;
        let jar = jar.add(state.cookies.removal(state.cookies.session_name()));
        return Ok((jar, StatusCode::NO_CONTENT).into_response());
    }
    state.sessions.delete_connection(&id, &provider_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Best effort: a provider that is down must not keep anyone signed in, so a
/// failed revocation is logged and the tokens are forgotten anyway.
async fn revoke(state: &Keyhole, connection: &crate::session::ConnectionRecord) {
    let Some(login) = state
        .providers
        .get(&connection.provider)
        .and_then(|p| p.login())
    else {
        return;
    };
    if let Err(e) = login.revoke(&connection.grant).await {
        tracing::warn!(provider = %connection.provider, error = %e, "token revocation failed");
    }
}
