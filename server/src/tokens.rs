//! Using a connection's access token: proactive refresh near expiry, reactive
//! refresh after a 401 (once, then one retry), single-flight per (session,
//! provider) with a re-read after the lock so a refresh another request just
//! did is reused rather than repeated with a rotated-away refresh token.

use crate::{
    error::ApiError,
    metrics::Metrics,
    providers::{Grant, Provider, ProviderError},
    session::{ConnectionRecord, SessionId, SessionStore},
};
use keyhole_api::ConnectionStatus;
use oauth2::AccessToken;
use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

type LockKey = (SessionId, String);

/// In-process refresh locks, one per (session, provider) while in use.
#[derive(Debug, Clone, Default)]
pub struct RefreshLocks {
    map: Arc<Mutex<HashMap<LockKey, Arc<AsyncMutex<()>>>>>,
}

/// Holds a refresh lock; removes the map entry when nobody else wants it.
#[derive(Debug)]
struct RefreshGuard {
    locks: RefreshLocks,
    key: LockKey,
    guard: Option<OwnedMutexGuard<()>>,
}

impl RefreshLocks {
    async fn lock(&self, key: LockKey) -> RefreshGuard {
        let mutex = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(map.entry(key.clone()).or_default())
        };
        let guard = mutex.lock_owned().await;
        RefreshGuard {
            locks: self.clone(),
            key,
            guard: Some(guard),
        }
    }

    /// Number of live lock entries (for tests: they must not leak).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no lock entry is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.locks.map.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map holds it now: no request waits for this key.
        if map
            .get(&self.key)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            map.remove(&self.key);
        }
    }
}

/// Access tokens of stored connections, refreshed when needed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tokens {
    sessions: SessionStore,
    locks: RefreshLocks,
    metrics: Metrics,
    /// Refresh this long before expiry.
    skew: time::Duration,
    /// How long a request waits for another's refresh.
    wait: Duration,
    /// Lifetime of the store lock, renewed while a refresh runs.
    lease: Duration,
}

impl Tokens {
    /// Tokens kept in `sessions`; `skew` before expiry a token is refreshed;
    /// a request waits at most `wait` for another's refresh; the store-wide
    /// lock lives `lease` and is renewed while its refresh runs.
    pub fn new(
        sessions: SessionStore,
        metrics: Metrics,
        skew: Duration,
        wait: Duration,
        lease: Duration,
    ) -> Self {
        Self {
            sessions,
            locks: RefreshLocks::default(),
            metrics,
            skew: time::Duration::try_from(skew).unwrap_or(time::Duration::ZERO),
            wait,
            lease,
        }
    }

    /// The store the tokens live in.
    pub fn sessions(&self) -> &SessionStore {
        &self.sessions
    }

    /// The in-process refresh locks (tests check that none leak).
    pub fn locks(&self) -> &RefreshLocks {
        &self.locks
    }

    /// Runs `op` with a usable access token of `provider` in this session,
    /// refreshing proactively and, after a 401, once reactively.
    pub async fn with_token<T, F, Fut>(
        &self,
        session: &SessionId,
        provider: &Arc<Provider>,
        op: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let connection = connection(self, session, provider.id()).await?;
        self.call(session, provider, connection.grant, op).await
    }

    /// [`Tokens::with_token`], also handing back the connection as it was
    /// read before the call (its grant may have been refreshed since): a
    /// caller can tell whether what it got changes anything to store.
    pub async fn with_connection<T, F, Fut>(
        &self,
        session: &SessionId,
        provider: &Arc<Provider>,
        op: F,
    ) -> Result<(T, ConnectionRecord), ApiError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let connection = connection(self, session, provider.id()).await?;
        let value = self
            .call(session, provider, connection.grant.clone(), op)
            .await?;
        Ok((value, connection))
    }

    async fn call<T, F, Fut>(
        &self,
        session: &SessionId,
        provider: &Arc<Provider>,
        mut grant: Grant,
        op: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let id = provider.id();
        let mut refreshed = false;
        if expiring(self, &grant) {
            if grant.refresh_token.is_some() {
                grant = refresh(self, session, provider, &grant).await?;
                refreshed = true;
            } else if grant.expires_at.is_some_and(|at| at <= crate::clock::now()) {
                // Nothing to refresh with (Elice, for one): sign in again.
                mark_reauth(self, session, id).await?;
                return Err(ApiError::reauth_required(id));
            }
        }
        match op(grant.access_token.clone()).await {
            Ok(value) => Ok(value),
            Err(ProviderError::Unauthorized) if !refreshed && grant.refresh_token.is_some() => {
                let grant = refresh(self, session, provider, &grant).await?;
                match op(grant.access_token.clone()).await {
                    Ok(value) => Ok(value),
                    Err(e) => Err(fail(self, session, id, e).await),
                }
            }
            Err(e) => Err(fail(self, session, id, e).await),
        }
    }

    /// Changes the non-grant part of one connection (status, balance), freshly
    /// read; the grant is never written here, so a concurrent refresh is kept.
    pub async fn update_state(
        &self,
        session: &SessionId,
        provider: &str,
        change: impl FnOnce(&mut ConnectionRecord),
    ) -> Result<(), ApiError> {
        let Some(connection) = self.sessions.load_connection(session, provider).await? else {
            return Err(ApiError::unauthenticated());
        };
        if let Some(mut connection) = connection {
            change(&mut connection);
            self.sessions.put_state(session, &connection).await?;
        }
        Ok(())
    }
}

async fn connection(
    state: &Tokens,
    session: &SessionId,
    provider: &str,
) -> Result<ConnectionRecord, ApiError> {
    let connection = state
        .sessions
        .load_connection(session, provider)
        .await?
        .ok_or_else(ApiError::unauthenticated)?
        .ok_or_else(|| {
            ApiError::not_found("Not connected to this provider.").for_provider(provider)
        })?;
    if connection.status == ConnectionStatus::ReauthRequired {
        return Err(ApiError::reauth_required(provider));
    }
    Ok(connection)
}

fn expiring(state: &Tokens, grant: &Grant) -> bool {
    grant
        .expires_at
        .is_some_and(|at| at - state.skew <= crate::clock::now())
}

/// A provider failure after the token was (maybe) refreshed: a refused token
/// means the person must sign in again.
async fn fail(state: &Tokens, session: &SessionId, provider: &str, e: ProviderError) -> ApiError {
    if matches!(e, ProviderError::Unauthorized)
        && let Err(store) = mark_reauth(state, session, provider).await
    {
        return store;
    }
    ApiError::from_provider(provider, &e)
}

async fn mark_reauth(state: &Tokens, session: &SessionId, provider: &str) -> Result<(), ApiError> {
    state
        .update_state(session, provider, |c| {
            c.status = ConnectionStatus::ReauthRequired;
        })
        .await
}

async fn refresh(
    state: &Tokens,
    session: &SessionId,
    provider: &Arc<Provider>,
    stale: &Grant,
) -> Result<Grant, ApiError> {
    let id = provider.id();
    // In-process first, so one instance sends one request to the store lock.
    let _local = state.locks.lock((session.clone(), id.to_owned())).await;
    let lock = format!("refresh:{}:{id}", session.secret());
    let owner = crate::secret::random_token();
    let deadline = tokio::time::Instant::now() + state.wait;
    loop {
        // Re-read: another request or instance may have refreshed already.
        let current = connection(state, session, id).await?.grant;
        if current.access_token.secret() != stale.access_token.secret() {
            state.metrics.refresh(id, "reused");
            return Ok(current);
        }
        if state.sessions.try_lock(&lock, &owner, state.lease).await? {
            // The refresh, the lock's renewal and its release run in a task
            // of their own: once the provider has rotated the refresh
            // token, the new grant must be stored even if the request that
            // asked gives up (a timeout, a client gone).
            let task = tokio::spawn(locked_refresh(
                state.clone(),
                session.clone(),
                Arc::clone(provider),
                stale.access_token.clone(),
                (lock, owner),
            ));
            return match task.await {
                Ok(result) => result,
                Err(e) => Err(ApiError::internal(format!("refresh task failed: {e}"))),
            };
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::from_provider(
                id,
                &ProviderError::Unavailable("refresh lock wait timed out".to_owned()),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Under the store lock `(name, owner)`, renewed every third of its lease
/// while this runs: a fencing re-read (the previous holder, maybe on
/// another instance, may have stored its refresh between our read and our
/// lock, and refreshing again would spend the rotated-away token), the
/// refresh, and the release.
async fn locked_refresh(
    state: Tokens,
    session: SessionId,
    provider: Arc<Provider>,
    stale: AccessToken,
    (name, owner): (String, String),
) -> Result<Grant, ApiError> {
    let renewal = tokio::spawn({
        let (sessions, name, owner, lease) = (
            state.sessions.clone(),
            name.clone(),
            owner.clone(),
            state.lease,
        );
        async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match sessions.try_lock(&name, &owner, lease).await {
                    Ok(true) => {}
                    Ok(false) => break tracing::warn!("refresh lock lost while refreshing"),
                    Err(e) => tracing::warn!(error = %e, "refresh lock not renewed"),
                }
            }
        }
    });
    let id = provider.id();
    let result = match connection(&state, &session, id).await {
        Ok(c) if c.grant.access_token.secret() != stale.secret() => {
            state.metrics.refresh(id, "reused");
            Ok(c.grant)
        }
        Ok(c) => store_refresh(&state, &session, &provider, c.grant).await,
        Err(e) => Err(e),
    };
    renewal.abort();
    if let Err(e) = state.sessions.unlock(&name, &owner).await {
        tracing::warn!(error = %e, "refresh lock not released; it expires by itself");
    }
    result
}

async fn store_refresh(
    state: &Tokens,
    session: &SessionId,
    provider: &Provider,
    current: Grant,
) -> Result<Grant, ApiError> {
    let id = provider.id();
    let Some(login) = provider.login() else {
        return Err(ApiError::from_provider(id, &ProviderError::NotSupported));
    };
    match login.refresh(&current).await {
        Ok(fresh) => {
            // Compare-and-set: written only over the grant just used.
            if !state
                .sessions
                .replace_grant(session, id, &current, &fresh)
                .await?
            {
                tracing::warn!(
                    provider = id,
                    "the grant changed during the refresh; keeping it"
                );
                return Ok(connection(state, session, id).await?.grant);
            }
            state.metrics.refresh(id, "ok");
            tracing::info!(provider = id, "access token refreshed");
            Ok(fresh)
        }
        Err(e) if e.is_invalid_grant() => {
            state.metrics.refresh(id, "invalid_grant");
            mark_reauth(state, session, id).await?;
            Err(ApiError::from_provider(id, &e))
        }
        // Transport trouble: keep the grant, the next request tries again.
        Err(e) => {
            state.metrics.refresh(id, "error");
            Err(ApiError::from_provider(id, &e))
        }
    }
}
