//! What the handlers of an app that mounts Keyhole ask of it: who is signed
//! in, and a fresh access token for one of their providers.

use crate::{
    error::{ApiError, REQUEST_ID},
    session::{ConnectionView, SessionId},
    state::Keyhole,
    upstream::ProviderError,
};
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum_extra::extract::CookieJar;
use http::request::Parts;
use oauth2::AccessToken;
use std::{fmt, future::Future};
use time::OffsetDateTime;

/// The signed-in session, for the host app's own handlers (the host's state
/// provides [`Keyhole`] through `FromRef`). Extracting it answers 401
/// `unauthenticated` in the contract's JSON when nobody is signed in; use
/// `Option<Session>` where signing in is optional.
pub struct Session {
    keyhole: Keyhole,
    id: SessionId,
    expires_at: OffsetDateTime,
    connections: Vec<ConnectionView>,
    request_id: Option<String>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The id is a bearer credential; `SessionId` prints it redacted.
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// When the session ends at the latest.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// The providers connected to this session, with their profiles (never
    /// their tokens), ordered by provider id.
    pub fn connections(&self) -> &[ConnectionView] {
        &self.connections
    }

    /// The connection to `provider`, if any.
    pub fn connection(&self, provider: &str) -> Option<&ConnectionView> {
        self.connections.iter().find(|c| c.provider == provider)
    }

    /// A usable access token for `provider`: refreshed first when it is
    /// about to expire, once however many requests ask at the same moment
    /// (across instances too). `reauth_required` when the grant is dead;
    /// 404 when the session has no such connection.
    pub async fn access_token(&self, provider: &str) -> Result<AccessToken, ApiError> {
        self.with_token(provider, |token| async move { Ok(token) })
            .await
    }

    /// Runs `call` with a usable access token for `provider`; when `call`
    /// reports [`ProviderError::Unauthorized`] (the provider refused the
    /// token), refreshes once and calls again — as Keyhole's own routes do.
    pub async fn with_token<T, F, Fut>(&self, provider: &str, call: F) -> Result<T, ApiError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let result = match self.keyhole.providers.get(provider) {
            Some(p) => self.keyhole.tokens.with_token(&self.id, p, call).await,
            None => Err(ApiError::not_found("No such provider.")),
        };
        result.map_err(|e| e.for_request(self.request_id.as_deref()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session
where
    Keyhole: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let found = <Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?;
        found.ok_or_else(|| ApiError::unauthenticated().for_request(request_id(parts).as_deref()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Session
where
    Keyhole: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, ApiError> {
        let keyhole = Keyhole::from_ref(state);
        let request_id = request_id(parts);
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar
            .get(keyhole.cookies.session_name())
            .filter(|c| !c.value().is_empty())
        else {
            return Ok(None);
        };
        let id = SessionId::from_cookie(cookie.value());
        let summary = keyhole
            .sessions
            .load_summary(&id)
            .await
            .map_err(|e| ApiError::from(e).for_request(request_id.as_deref()))?;
        Ok(summary.map(|s| Session {
            // A connection whose provider left the config is not shown.
            connections: s
                .connections
                .into_iter()
                .filter(|c| keyhole.providers.get(&c.provider).is_some())
                .collect(),
            keyhole,
            id,
            expires_at: s.expires_at,
            request_id,
        }))
    }
}

fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
