//! Login and logout: `/api/auth/{provider}/login`, `/api/auth/{provider}/callback`
//! (GET and `form_post`), `/api/auth/logout`.

use crate::{
    callback_page::{self, Outcome},
    error::ApiError,
    providers::{AuthorizeRequest, ExchangeRequest, Provider, ProviderError},
    secret::secrets_equal,
    security::safe_return_to,
    session::{
        ConnectionRecord, LoginMode, PENDING_TTL, PendingLogin, SessionId, SessionRecord,
        binding_hash, random_token,
    },
    state::Keyhole,
};
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use keyhole_api::{Capability, ConnectionStatus};
use oauth2::PkceCodeChallenge;
use serde::Deserialize;
use std::collections::BTreeMap;

const LOGIN: &str = "/auth/{provider}/login";
const CALLBACK: &str = "/auth/{provider}/callback";
const LOGOUT: &str = "/auth/logout";
const DISCONNECT: &str = "/auth/{provider}/disconnect";

/// Longest provider `error_description` passed on to the app.
const MAX_DESCRIPTION: usize = 300;

/// Routes of this module, relative to the base path.
pub(super) fn router() -> Router<Keyhole> {
    Router::new()
        .route(LOGIN, get(start_login))
        .route(CALLBACK, get(finish_login_query).post(finish_login_form))
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
    Path(super::ProviderId {
        provider: provider_id,
    }): Path<super::ProviderId>,
    jar: CookieJar,
    params: Result<Query<LoginParams>, axum::extract::rejection::QueryRejection>,
) -> Result<(CookieJar, Response), ApiError> {
    let Query(params) = params?;
    let provider = connectable(&state, &provider_id, &jar).await?;
    let mode = match params.mode.as_deref() {
        Some("popup") => LoginMode::Popup,
        Some("redirect") | None => LoginMode::Redirect,
        Some(_) => return Err(ApiError::invalid_request("mode must be popup or redirect.")),
    };
    let return_to = safe_return_to(params.return_to.as_deref())
        .ok_or_else(|| ApiError::invalid_request("return_to must be a path on this site."))?;

    let (binding, jar) = match jar.get(state.cookies.binding_name()) {
        Some(c) if !c.value().is_empty() => (c.value().to_owned(), jar),
        _ => {
            let value = random_token();
            let jar = jar.add(state.cookies.binding(&value));
            (value, jar)
        }
    };
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

/// What a provider sends back (query string, or form body with `form_post`).
#[derive(Debug, Default, Deserialize)]
struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// Provider-specific fields (e.g. LINE's `friendship_status_changed`).
    #[serde(flatten)]
    extra: BTreeMap<String, String>,
}

/// Marks a `form_post` callback that our own page re-sent same-site.
const RESUBMITTED: &str = "keyhole_resubmitted";

async fn finish_login_query(
    State(state): State<Keyhole>,
    Path(super::ProviderId {
        provider: provider_id,
    }): Path<super::ProviderId>,
    jar: CookieJar,
    params: Result<Query<CallbackParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    configured(&state, &provider_id)?;
    let params = params.map(|Query(p)| p).unwrap_or_default();
    Ok(finish_login(state, provider_id, jar, params).await)
}

/// 404 for a provider id that is not configured, before the id is used in a
/// metric label or a log line (labels come from the config only).
fn configured(state: &Keyhole, id: &str) -> Result<(), ApiError> {
    match state.providers.get(id) {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found("No such provider.")),
    }
}

async fn finish_login_form(
    State(state): State<Keyhole>,
    Path(super::ProviderId {
        provider: provider_id,
    }): Path<super::ProviderId>,
    jar: CookieJar,
    params: Result<Form<CallbackParams>, axum::extract::rejection::FormRejection>,
) -> Result<Response, ApiError> {
    configured(&state, &provider_id)?;
    let mut params = params.map(|Form(p)| p).unwrap_or_default();
    let resubmitted = params.extra.remove(RESUBMITTED).is_some();
    // A provider's `form_post` is a cross-site POST: browsers do not attach
    // our SameSite=Lax cookies to it. Re-send the same fields once from our
    // own origin, which carries them; the state check then runs as usual.
    if !resubmitted && jar.get(state.cookies.binding_name()).is_none() {
        let mut fields: Vec<(String, String)> = params.extra.clone().into_iter().collect();
        for (key, value) in [
            ("state", &params.state),
            ("code", &params.code),
            ("error", &params.error),
            ("error_description", &params.error_description),
        ] {
            if let Some(value) = value {
                fields.push((key.to_owned(), value.clone()));
            }
        }
        fields.push((RESUBMITTED.to_owned(), "1".to_owned()));
        return Ok(callback_page::resubmit(
            &format!("{}/auth/{provider_id}/callback", state.config.base_path),
            &fields,
        ));
    }
    Ok(finish_login(state, provider_id, jar, params).await)
}

/// Validates the callback, exchanges the code, stores the connection in a
/// session with a fresh id, and answers the popup or the redirect.
async fn finish_login(
    state: Keyhole,
    provider_id: String,
    jar: CookieJar,
    params: CallbackParams,
) -> Response {
    // Without a valid pending login we do not know the mode: the page form
    // works for both (it posts to an opener if there is one, else redirects).
    let pending = match claim_pending(&state, &provider_id, &jar, params.state.as_deref()).await {
        Ok(p) => p,
        Err(outcome) => {
            state
                .metrics
                .login_finished(&provider_id, "unknown", outcome.code());
            tracing::warn!(provider = %provider_id, error = outcome.code(), "login callback refused");
            return callback_page::respond(
                &state,
                &provider_id,
                LoginMode::Popup,
                "/",
                &outcome,
                jar,
            );
        }
    };
    let (outcome, jar) = match complete(&state, &pending, &jar, params).await {
        Ok(jar) => (Outcome::Success, jar),
        Err(outcome) => (outcome, jar),
    };
    state
        .metrics
        .login_finished(&provider_id, pending.mode.as_str(), outcome.code());
    match &outcome {
        Outcome::Success => tracing::info!(provider = %provider_id, "login completed"),
        Outcome::Failure { code, .. } => {
            tracing::warn!(provider = %provider_id, error = %code, "login failed");
        }
    }
    callback_page::respond(
        &state,
        &provider_id,
        pending.mode,
        &pending.return_to,
        &outcome,
        jar,
    )
}

/// Takes the pending login for `state`: single use, unexpired, same provider,
/// same browser.
async fn claim_pending(
    state: &Keyhole,
    provider_id: &str,
    jar: &CookieJar,
    login_state: Option<&str>,
) -> Result<PendingLogin, Outcome> {
    let csrf = || Outcome::failure("csrf", None);
    let login_state = login_state.filter(|s| !s.is_empty()).ok_or_else(csrf)?;
    let pending = state
        .sessions
        .take_pending(login_state)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "session store failed");
            Outcome::failure("store_unavailable", None)
        })?
        .ok_or_else(csrf)?;
    let binding = jar
        .get(state.cookies.binding_name())
        .map(|c| binding_hash(c.value()))
        .unwrap_or_default();
    if pending.provider != provider_id || !secrets_equal(&binding, &pending.binding_hash) {
        return Err(csrf());
    }
    Ok(pending)
}

async fn complete(
    state: &Keyhole,
    pending: &PendingLogin,
    jar: &CookieJar,
    params: CallbackParams,
) -> Result<CookieJar, Outcome> {
    if let Some(error) = params.error {
        let code = if error.eq_ignore_ascii_case("access_denied") {
            "access_denied"
        } else {
            "provider_error"
        };
        let description = params
            .error_description
            .map(|d| d.chars().take(MAX_DESCRIPTION).collect());
        return Err(Outcome::failure(code, description));
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Outcome::failure("invalid_request", None))?;
    let provider = state
        .providers
        .get(&pending.provider)
        .cloned()
        .ok_or_else(|| Outcome::failure("invalid_request", None))?;

    let old = match jar.get(state.cookies.session_name()) {
        Some(c) => {
            let id = SessionId::from_cookie(c.value());
            state.sessions.load(&id).await.map_err(store_outcome)?
        }
        None => None,
    };
    // A connect-only provider (LINE Notify) joins a session; it cannot start one.
    if old.is_none() && !provider.can(Capability::Login) {
        return Err(Outcome::failure("unauthenticated", None));
    }
    let redirect_uri = state.config.redirect_uri(&pending.provider);
    let login = provider
        .login()
        .ok_or_else(|| Outcome::failure("invalid_request", None))?;
    let verifier = login.uses_pkce().then(|| pending.pkce_verifier.clone());
    let grant = login
        .exchange(ExchangeRequest {
            code,
            pkce_verifier: verifier,
            redirect_uri: &redirect_uri,
            nonce: &pending.nonce,
            callback: &params.extra,
        })
        .await
        .map_err(provider_outcome)?;
    let identity = login.identity(&grant).await.map_err(provider_outcome)?;

    let now = crate::clock::now();
    let ttl = time::Duration::try_from(state.config.session.ttl).unwrap_or(time::Duration::DAY);
    // A fresh id at every login (session fixation), keeping other connections.
    let mut record = SessionRecord {
        id: SessionId::generate(),
        created_at: old.as_ref().map_or(now, |o| o.created_at),
        expires_at: old.as_ref().map_or(now + ttl, |o| o.expires_at),
        connections: old
            .as_ref()
            .map(|o| o.connections.clone())
            .unwrap_or_default(),
    };
    record.connections.insert(
        pending.provider.clone(),
        ConnectionRecord {
            provider: pending.provider.clone(),
            grant,
            status: ConnectionStatus::Active,
            profile: identity.profile,
            balance: identity.balance,
            connected_at: now,
        },
    );
    state
        .sessions
        .create(&record)
        .await
        .map_err(store_outcome)?;
    if let Some(old) = old {
        state
            .sessions
            .delete(&old.id)
            .await
            .map_err(store_outcome)?;
    }
    let max_age = record.expires_at - now;
    Ok(jar
        .clone()
        .add(state.cookies.session(record.id.secret(), max_age)))
}

fn provider_outcome(e: ProviderError) -> Outcome {
    let code = match e {
        ProviderError::Rejected { .. } => "provider_error",
        _ => "provider_unavailable",
    };
    tracing::warn!(error = %e, "provider call failed during login");
    Outcome::failure(code, None)
}

fn store_outcome(e: crate::session::StoreError) -> Outcome {
    tracing::error!(error = %e, "session store failed during login");
    Outcome::failure("store_unavailable", None)
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
    Path(super::ProviderId {
        provider: provider_id,
    }): Path<super::ProviderId>,
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
