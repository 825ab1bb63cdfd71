//! Shared application state: config, providers, session store, cookies.

use crate::{
    config::{Config, ConfigError, StoreConfig},
    cookies::Cookies,
    metrics::Metrics,
    providers::Registry,
    session::{Keyring, MemoryBackend, SessionStore},
    stores::{open_redis, open_sqlite},
    tokens::Tokens,
    upstream::Upstream,
};
use std::{ops::Deref, sync::Arc};

// Defined beside the store openers, which return it; named here, with
// `Keyhole::open`.
pub use crate::stores::OpenError;

/// Everything handlers share. axum clones the state several times per
/// request (router, method router, each stateful middleware), so it is one
/// `Arc`: a clone is one reference-count increment, whatever it holds.
#[derive(Debug, Clone)]
pub struct Keyhole(Arc<Shared>);

impl Deref for Keyhole {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`Keyhole`] shares.
#[derive(Debug)]
pub struct Shared {
    /// Validated configuration.
    pub config: Arc<Config>,
    /// Provider adapters.
    pub providers: Registry,
    /// Sessions and pending logins.
    pub sessions: SessionStore,
    /// Cookie names and flags.
    pub cookies: Cookies,
    /// `public_url`'s origin, e.g. `http://127.0.0.1:8080`.
    pub public_origin: Arc<str>,
    /// Access tokens with single-flight refresh.
    pub tokens: Tokens,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Verified LINE webhooks waiting to be processed.
    pub webhooks: crate::messaging::WebhookQueue,
    /// Rate limits.
    pub throttle: crate::throttle::Throttle,
}

impl Keyhole {
    /// Builds the state around an opened store.
    pub fn new(config: Config, sessions: SessionStore) -> Result<Self, ConfigError> {
        let metrics = Metrics::new();
        let upstream =
            Upstream::new(&config.upstream, metrics.upstream()).map_err(|e| ConfigError {
                problems: vec![format!("upstream: cannot build the HTTP client: {e}")],
            })?;
        let providers = Registry::from_config(&config.providers, &upstream)
            .map_err(|problems| ConfigError { problems })?;
        let tokens = Tokens::new(
            sessions.clone(),
            metrics.clone(),
            config.session.refresh_skew,
            // Waiting for another's refresh: at most the longest refresh —
            // Feishu's renews its app token and retries once (four upstream
            // calls), an OIDC one may discover first — plus the store writes.
            config.upstream.timeout.saturating_mul(4) + std::time::Duration::from_secs(5),
            config.session.refresh_lock,
        );
        let throttle = crate::throttle::Throttle::new(&config.limits);
        Ok(Self(Arc::new(Shared {
            metrics,
            cookies: Cookies::new(config.is_https()),
            public_origin: config.public_origin().into(),
            config: Arc::new(config),
            providers,
            sessions,
            tokens,
            throttle,
            webhooks: crate::messaging::WebhookQueue::default(),
        })))
    }

    /// Builds the state with an in-memory store and a throw-away key (tests).
    pub fn in_memory(config: Config) -> Result<Self, ConfigError> {
        let store = SessionStore::new(
            Arc::new(MemoryBackend::new()),
            Keyring::ephemeral(),
            config.session.idle,
        );
        Self::new(config, store)
    }

    /// Opens the configured store. The sealing key comes from
    /// `KEYHOLE_SESSION_KEY` (+ `KEYHOLE_SESSION_OLD_KEYS`), or for SQLite
    /// from `session.key` beside the database, generated on first start.
    /// Redis requires the variable: every instance must seal with the same
    /// key, so none may invent its own.
    pub async fn open(
        config: Config,
        env: crate::config::EnvLookup<'_>,
    ) -> Result<Self, OpenError> {
        let from_env = Keyring::from_env(env)?;
        let store = match &config.session.store {
            StoreConfig::Memory => SessionStore::new(
                Arc::new(MemoryBackend::new()),
                from_env.unwrap_or_else(Keyring::ephemeral),
                config.session.idle,
            ),
            StoreConfig::Sqlite(path) => open_sqlite(path, from_env, config.session.idle).await?,
            StoreConfig::Redis(redis) => open_redis(redis, from_env, config.session.idle).await?,
        };
        Ok(Self::new(config, store)?)
    }

    /// The one upstream path for calls to the configured provider `id` (its
    /// timeouts, body cap and metrics), for a host's own calls with a
    /// [`Session`](crate::Session)'s token; `None` for an id not configured.
    pub fn upstream(&self, id: &str) -> Option<crate::upstream::Http> {
        self.providers.get(id).map(|p| p.http().clone())
    }

    /// Waits, at most `deadline`, until every webhook already answered 200
    /// has been processed: call it after the server stopped accepting, so a
    /// shutdown loses none of them. True when the queue drained in time.
    pub async fn drain(&self, deadline: std::time::Duration) -> bool {
        tokio::time::timeout(deadline, self.webhooks.idle())
            .await
            .is_ok()
    }

    /// Deletes expired sessions, logins and records (and the rate limiter's
    /// idle keys) every `every`, forever:
    /// spawn it once per process (the `keyhole` binary does).
    pub async fn sweep_every(self, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            self.throttle.prune();
            match self.sessions.sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(removed = n, "expired sessions swept"),
                Err(e) => tracing::warn!(error = %e, "session sweep failed"),
            }
        }
    }
}
