//! Shared application state: config, providers, session store, cookies.

use crate::{
    config::{Config, ConfigError, StoreConfig},
    providers::{Registry, upstream_client},
    session::{Cookies, Keyring, MemoryBackend, SessionStore, SqliteBackend},
    tokens::RefreshLocks,
};
use std::sync::Arc;

/// Everything handlers share; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
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
    /// Single-flight refresh per (session, provider), in this process.
    pub refresh_locks: RefreshLocks,
}

impl AppState {
    /// Builds the state around an opened store.
    pub fn new(config: Config, sessions: SessionStore) -> Result<Self, ConfigError> {
        let http = upstream_client(&config.upstream).map_err(|e| ConfigError {
            problems: vec![format!("upstream: cannot build the HTTP client: {e}")],
        })?;
        let providers = Registry::from_config(&config, &http)?;
        Ok(Self {
            cookies: Cookies::new(config.is_https()),
            public_origin: config.public_origin().into(),
            config: Arc::new(config),
            providers,
            sessions,
            refresh_locks: RefreshLocks::default(),
        })
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
    pub async fn open(config: Config, env: crate::config::EnvLookup<'_>) -> anyhow::Result<Self> {
        let from_env = Keyring::from_env(env)?;
        let store = match &config.session.store {
            StoreConfig::Memory => SessionStore::new(
                Arc::new(MemoryBackend::new()),
                from_env.unwrap_or_else(Keyring::ephemeral),
                config.session.idle,
            ),
            StoreConfig::Sqlite(path) => {
                let keys = match from_env {
                    Some(keys) => keys,
                    None => Keyring::from_file(&path.with_file_name("session.key"))?,
                };
                let backend = SqliteBackend::open(path).await?;
                SessionStore::new(Arc::new(backend), keys, config.session.idle)
            }
        };
        Ok(Self::new(config, store)?)
    }
}
