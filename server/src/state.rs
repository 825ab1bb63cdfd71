//! Shared application state: config, providers, session store, cookies.

use crate::{
    config::{Config, ConfigError},
    providers::{Registry, upstream_client},
    session::{Cookies, MemoryStore, SessionStore},
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
    pub sessions: Arc<dyn SessionStore>,
    /// Cookie names and flags.
    pub cookies: Cookies,
    /// `public_url`'s origin, e.g. `http://127.0.0.1:8080`.
    pub public_origin: Arc<str>,
    /// Single-flight refresh per (session, provider).
    pub refresh_locks: RefreshLocks,
}

impl AppState {
    /// Builds the state with the given store.
    pub fn new(config: Config, sessions: Arc<dyn SessionStore>) -> Result<Self, ConfigError> {
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

    /// Builds the state with an in-memory store (tests, foundation default).
    pub fn in_memory(config: Config) -> Result<Self, ConfigError> {
        Self::new(config, Arc::new(MemoryStore::new()))
    }
}
