//! The file as written: serde shapes of `keyhole.toml` and their defaults
//! (serialized back, defaults included, for `check-config --show`).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) public_url: String,
    #[serde(default = "default_bind")]
    pub(super) bind: String,
    pub(super) metrics_bind: Option<String>,
    pub(super) dist: Option<PathBuf>,
    #[serde(default = "default_base_path")]
    pub(super) base_path: String,
    #[serde(default)]
    pub(super) session: RawSession,
    #[serde(default)]
    pub(super) upstream: RawUpstream,
    #[serde(default)]
    pub(super) limits: super::limits::RawLimits,
    #[serde(default)]
    pub(super) providers: Vec<RawProvider>,
}

fn default_base_path() -> String {
    "/api".to_owned()
}

fn default_bind() -> String {
    "127.0.0.1:3000".to_owned()
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSession {
    #[serde(default = "default_store")]
    pub(super) store: String,
    #[serde(default = "default_ttl")]
    pub(super) ttl_secs: u64,
    #[serde(default = "default_idle")]
    pub(super) idle_secs: u64,
    #[serde(default = "default_skew")]
    pub(super) refresh_skew_secs: u64,
    #[serde(default = "default_refresh_lock")]
    pub(super) refresh_lock_ms: u64,
    pub(super) redis_prefix: Option<String>,
    pub(super) redis_timeout_ms: Option<u64>,
}

fn default_refresh_lock() -> u64 {
    10_000
}

impl Default for RawSession {
    fn default() -> Self {
        Self {
            store: default_store(),
            ttl_secs: default_ttl(),
            idle_secs: default_idle(),
            refresh_skew_secs: default_skew(),
            refresh_lock_ms: default_refresh_lock(),
            redis_prefix: None,
            redis_timeout_ms: None,
        }
    }
}

/// SQLite, so sessions survive a restart; memory in a build without the
/// `sqlite` feature (which has no durable store to default to).
fn default_store() -> String {
    if cfg!(feature = "sqlite") {
        "sqlite://data/keyhole.db".to_owned()
    } else {
        "memory".to_owned()
    }
}

fn default_ttl() -> u64 {
    30 * 24 * 3600
}

fn default_idle() -> u64 {
    7 * 24 * 3600
}

fn default_skew() -> u64 {
    60
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpstream {
    #[serde(default = "default_connect_timeout")]
    pub(super) connect_timeout_ms: u64,
    #[serde(default = "default_timeout")]
    pub(super) timeout_ms: u64,
}

impl Default for RawUpstream {
    fn default() -> Self {
        Self {
            connect_timeout_ms: default_connect_timeout(),
            timeout_ms: default_timeout(),
        }
    }
}

fn default_connect_timeout() -> u64 {
    3_000
}

fn default_timeout() -> u64 {
    10_000
}

#[derive(Deserialize, Serialize)]
pub(super) struct RawProvider {
    pub(super) id: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) client_secret_file: Option<PathBuf>,
    pub(super) client_secret_env: Option<String>,
    pub(super) scopes: Option<Vec<String>>,
    #[serde(flatten)]
    pub(super) options: toml::Table,
}
