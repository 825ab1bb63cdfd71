//! Opening the configured session store; SQLite and Redis each sit behind their Cargo feature.

use crate::{
    config::{ConfigError, RedisConfig},
    session::{Keyring, SessionStore},
};
use std::{path::Path, time::Duration};

/// Why Keyhole could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The session key could not be read or created.
    #[error(transparent)]
    Key(#[from] crate::session::KeyError),
    /// The session store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::session::StoreError),
}

/// The SQLite store at `path`, sealed with the environment's key or else
/// `session.key` beside the database (generated on first start).
#[cfg(feature = "sqlite")]
pub(crate) async fn open_sqlite(
    path: &Path,
    from_env: Option<Keyring>,
    idle: Duration,
) -> Result<SessionStore, OpenError> {
    let keys = match from_env {
        Some(keys) => keys,
        None => Keyring::from_file(&path.with_file_name("session.key"))?,
    };
    let backend = crate::session::SqliteBackend::open(path).await?;
    Ok(SessionStore::new(std::sync::Arc::new(backend), keys, idle))
}

#[cfg(not(feature = "sqlite"))]
pub(crate) async fn open_sqlite(
    _: &Path,
    _: Option<Keyring>,
    _: Duration,
) -> Result<SessionStore, OpenError> {
    Err(not_built("sqlite"))
}

/// The Redis store. It needs the environment's key: every instance must
/// seal with the same one, so none may invent its own. Redis not answering
/// yet is no error: keyhole starts and answers 503 until it does.
#[cfg(feature = "redis")]
pub(crate) async fn open_redis(
    redis: &RedisConfig,
    from_env: Option<Keyring>,
    idle: Duration,
) -> Result<SessionStore, OpenError> {
    let Some(keys) = from_env else {
        return Err(OpenError::Config(ConfigError {
            problems: vec![
                "session.store: a Redis store needs KEYHOLE_SESSION_KEY (32 random \
                 bytes, base64), the same on every instance"
                    .to_owned(),
            ],
        }));
    };
    if redis.is_cleartext_remote() {
        tracing::warn!(
            "session.store: redis:// to another host sends the Redis password and \
             traffic in clear text; use rediss:// (TLS)"
        );
    }
    let backend =
        crate::session::RedisBackend::open(redis.url.as_str(), &redis.prefix, redis.timeout)?;
    let store = SessionStore::new(std::sync::Arc::new(backend), keys, idle);
    if let Err(e) = store.ping().await {
        tracing::warn!(error = %e, "Redis does not answer yet");
    }
    Ok(store)
}

#[cfg(not(feature = "redis"))]
pub(crate) async fn open_redis(
    _: &RedisConfig,
    _: Option<Keyring>,
    _: Duration,
) -> Result<SessionStore, OpenError> {
    Err(not_built("redis"))
}

/// A store the config names but this build left out (a config built in
/// code, since `Config::from_toml` already refuses it).
#[cfg(any(not(feature = "sqlite"), not(feature = "redis")))]
fn not_built(feature: &str) -> OpenError {
    OpenError::Config(ConfigError {
        problems: vec![format!(
            "session.store: {}",
            crate::config::store_not_built(feature)
        )],
    })
}
