//! The provider's answer: `/auth/{provider}/callback`, GET or `form_post`.
//! It checks the pending login, exchanges the code, stores the connection
//! in a session under a fresh id, and answers the popup or the redirect.

use crate::{
    callback_page::{self, Outcome},
    cookies::binding_hash,
    error::ApiError,
    page_lang::PageLang,
    providers::{ExchangeRequest, ProviderError},
    session::{ConnectionRecord, LoginMode, PendingLogin, SessionId, SessionRecord},
    state::Keyhole,
};
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use axum_extra::extract::CookieJar;
use keyhole_api::{Capability, ConnectionStatus};
use serde::Deserialize;
use std::collections::BTreeMap;

const CALLBACK: &str = "/auth/{provider}/callback";

/// Longest provider `error_description` passed on to the app.
const MAX_DESCRIPTION: usize = 300;

/// Routes of this module, relative to the base path.
pub(super) fn router() -> Router<Keyhole> {
    Router::new().route(CALLBACK, get(finish_login_query).post(finish_login_form))
}

/// What a provider sends back (query string, or form body with `form_post`).
// No `Debug`: it holds the authorization code.
#[derive(Default, Deserialize)]
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
    super::ProviderId(provider_id): super::ProviderId,
    super::Client(client): super::Client,
    lang: PageLang,
    jar: CookieJar,
    params: Result<Query<CallbackParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    configured(&state, &provider_id)?;
    state.throttle.login(client)?;
    let params = params.map(|Query(p)| p).unwrap_or_default();
    Ok(finish_login(state, provider_id, jar, lang, params).await)
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
    super::ProviderId(provider_id): super::ProviderId,
    super::Client(client): super::Client,
    lang: PageLang,
    jar: CookieJar,
    params: Result<Form<CallbackParams>, axum::extract::rejection::FormRejection>,
) -> Result<Response, ApiError> {
    configured(&state, &provider_id)?;
    state.throttle.login(client)?;
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
            lang,
        ));
    }
    Ok(finish_login(state, provider_id, jar, lang, params).await)
}

/// Validates the callback, exchanges the code, stores the connection in a
/// session with a fresh id, and answers the popup (its page in `lang`) or
/// the redirect.
async fn finish_login(
    state: Keyhole,
    provider_id: String,
    jar: CookieJar,
    lang: PageLang,
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
            let mut page = callback_page::respond(
                &state,
                &provider_id,
                LoginMode::Popup,
                lang,
                "/",
                &outcome,
                jar,
            );
            // The same page, with a status that says what happened: a
            // forged, replayed or foreign callback is the client's error.
            *page.status_mut() = match outcome.code() {
                "store_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            return page;
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
        lang,
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
    let store = |e: crate::session::StoreError| {
        tracing::error!(error = %e, "session store failed");
        Outcome::failure("store_unavailable", None)
    };
    let login_state = login_state.filter(|s| !s.is_empty()).ok_or_else(csrf)?;
    let binding = jar
        .get(state.cookies.binding_name())
        .map(|c| binding_hash(c.value()))
        .unwrap_or_default();
    // Checked and spent in one atomic step: it is stored under this
    // provider and this browser's binding as well as the state, so of two
    // racing callbacks one gets it, and someone who learnt the state but is
    // not this browser, or names another provider, finds nothing and
    // cannot cancel the login.
    state
        .sessions
        .take_pending(login_state, provider_id, &binding)
        .await
        .map_err(store)?
        .ok_or_else(csrf)
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
