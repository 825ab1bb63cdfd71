//! Configuration: `keyhole.toml` plus secrets from the environment or files.
//!
//! The file holds no secret. Each provider's client secret comes from, in
//! order: the file named by `client_secret_file`, the environment variable
//! named by `client_secret_env`, or the default variable
//! `KEYHOLE_<ID>_CLIENT_SECRET` (id upper-cased, `-` → `_`). A `client_secret`
//! key in the file is refused, so a secret cannot be committed by mistake.
//!
//! Every key can also be set from the environment, which wins over the
//! file (`KEYHOLE_LIMITS__MAX_CONNECTIONS`: `config/env.rs` and
//! `docs/operating.md` give the rule), through [`Config::from_sources`]
//! and [`Loaded::read`].
//!
//! Environment (read once at start-up):
//! - `KEYHOLE_CONFIG` — path of the config file (the `--config` flag wins;
//!   default `keyhole.toml`, or the environment alone when there is none).
//! - `KEYHOLE_<ID>_CLIENT_SECRET` — a provider's client secret (required per
//!   provider unless `client_secret_file` or `client_secret_env` is set).
//! - `KEYHOLE_REDIS_PASSWORD` — the Redis password, for a `redis://` or
//!   `rediss://` session store (optional; never in the store URL).
//!
//! Validation reports every problem at once, each with its key path.
//! [`Draft`] reads a file whose providers are not registered yet.

mod draft;
mod env;
mod limits;
mod origin;
mod provider;
mod raw;
mod store;
#[cfg(any(not(feature = "sqlite"), not(feature = "redis")))]
pub(crate) use store::not_built as store_not_built;

pub use draft::{Draft, DraftProvider};
pub use keyhole_providers::config::{KINDS, ProviderConfig, UpstreamConfig};
pub use limits::Limits;
pub use origin::{Loaded, Origin, Setting};
pub use provider::{is_valid_id, secret_env_var};

use self::{provider::validate_provider, raw::RawConfig, store::store_config};
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

/// Longest session lifetime accepted, in seconds.
const TEN_YEARS: u64 = 10 * 366 * 24 * 3600;
/// Longest refresh skew accepted, in seconds.
const DAY: u64 = 24 * 3600;

/// The Redis key prefix when none is configured.
pub const DEFAULT_REDIS_PREFIX: &str = "keyhole:";

/// Where to find a variable: the process environment in production, a map in
/// tests.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Origin of the app as the browser sees it (redirect URIs and the popup's
    /// `postMessage` target are built from it, never from `Host`).
    pub public_url: Url,
    /// Address to listen on.
    pub bind: SocketAddr,
    /// A second, private address for `/metrics` and the probes; when set,
    /// the `keyhole` binary no longer serves `/metrics` on [`Self::bind`].
    pub metrics_bind: Option<SocketAddr>,
    /// Built app to serve (`dist/`), if any.
    pub dist: Option<PathBuf>,
    /// Where Keyhole's routes are mounted (`base_path`, default `/api`;
    /// empty for the root): redirect URIs and the popup page follow it.
    pub base_path: String,
    /// Session settings.
    pub session: SessionConfig,
    /// Upstream HTTP settings.
    pub upstream: UpstreamConfig,
    /// Request, header and connection limits.
    pub limits: Limits,
    /// Providers in display order.
    pub providers: Vec<ProviderConfig>,
}

/// Where sessions live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// In this process only (tests; lost at exit).
    Memory,
    /// A SQLite file (the embedded default).
    Sqlite(PathBuf),
    /// A Redis server, shared by several instances.
    Redis(RedisConfig),
}

/// Where and how to reach Redis.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://host:port/db` or `rediss://…` (TLS), with the password from
    /// `KEYHOLE_REDIS_PASSWORD` filled in when set.
    pub url: Url,
    /// Prefix of every key (`session.redis_prefix`, default `keyhole:`), so
    /// several deployments can share one Redis.
    pub prefix: String,
    /// Deadline of each command (`session.redis_timeout_ms`, default 2000):
    /// past it the request answers 503 instead of hanging.
    pub timeout: Duration,
}

impl RedisConfig {
    /// Whether sessions would travel in clear text to another machine
    /// (`redis://` to a host that is not loopback): worth a warning, since
    /// they are sealed but the password and the traffic pattern are not.
    pub fn is_cleartext_remote(&self) -> bool {
        let loopback = match self.url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            // `redis:` is not a special scheme: its IP hosts parse as names.
            Some(url::Host::Domain(name)) => {
                name == "localhost"
                    || name
                        .trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            None => true,
        };
        self.url.scheme() == "redis" && !loopback
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        if url.password().is_some() {
            // Cannot fail: the URL has a host, or it would have no password.
            let _ = url.set_password(Some("[redacted]"));
        }
        f.debug_struct("RedisConfig")
            .field("url", &url.as_str())
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Session settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Where sessions live.
    pub store: StoreConfig,
    /// Absolute lifetime of a session.
    pub ttl: Duration,
    /// A session unused this long ends.
    pub idle: Duration,
    /// Refresh an access token this long before it expires.
    pub refresh_skew: Duration,
    /// Lifetime of the store-wide refresh lock (`refresh_lock_ms`, default
    /// 10 000), renewed while the refresh runs: how soon another instance
    /// may take over when the one refreshing died.
    pub refresh_lock: Duration,
}

/// Why a configuration was refused: every problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    /// Each problem, prefixed with its key path.
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(problem: impl Into<String>) -> Self {
        Self {
            problems: vec![problem.into()],
        }
    }
}

impl Config {
    /// Reads and validates the file at `path` overlaid with the process
    /// environment, which also gives the secrets ([`Loaded::read`]).
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        Loaded::read(Some(path)).map(|loaded| loaded.config)
    }

    /// Parses and validates `text`; `env` looks up secrets. No key is
    /// overridden: a lookup cannot list the variables, which overrides
    /// need ([`Config::from_sources`] takes them all).
    pub fn from_toml(text: &str, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        Self::validate(parse(text)?, env)
    }

    /// Validates the file as parsed.
    fn validate(raw: RawConfig, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();

        let public_url = match Url::parse(&raw.public_url) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                problems.push("public_url: must be an http or https URL".to_owned());
                None
            }
            Ok(url) if url.path() != "/" || url.query().is_some() => {
                problems.push("public_url: must be an origin without a path".to_owned());
                None
            }
            Ok(url) => Some(url),
            Err(e) => {
                problems.push(format!("public_url: {e}"));
                None
            }
        };
        let base_path = raw.base_path.trim_end_matches('/').to_owned();
        if !(base_path.is_empty() || base_path.starts_with('/'))
            || base_path.contains(['{', '}', '*', '?', '#'])
        {
            problems.push(format!(
                "base_path: `{}` must be a path such as `/api` or `/auth` (or `/` for the root)",
                raw.base_path
            ));
        }
        let bind = raw
            .bind
            .parse::<SocketAddr>()
            .map_err(|e| problems.push(format!("bind: {e}")))
            .ok();
        let metrics_bind = raw.metrics_bind.as_deref().and_then(|addr| {
            addr.parse::<SocketAddr>()
                .map_err(|e| problems.push(format!("metrics_bind: {e}")))
                .ok()
        });
        if metrics_bind.is_some() && metrics_bind == bind && bind.is_some_and(|b| b.port() != 0) {
            problems.push("metrics_bind: must differ from bind".to_owned());
        }
        if ["/healthz", "/readyz", "/metrics"].contains(&base_path.as_str()) {
            problems.push(format!("base_path: `{base_path}` is a probe's path"));
        }
        // Bounded so no time arithmetic can overflow on a request.
        let bounded = |secs: u64, max: u64| (1..=max).contains(&secs);
        if !bounded(raw.session.ttl_secs, TEN_YEARS) || !bounded(raw.session.idle_secs, TEN_YEARS) {
            problems.push(format!(
                "session: ttl_secs and idle_secs must be from 1 to {TEN_YEARS} (ten years)"
            ));
        }
        if !(100..=600_000).contains(&raw.session.refresh_lock_ms) {
            problems.push("session.refresh_lock_ms: from 100 ms to 10 minutes".to_owned());
        }
        if raw.session.refresh_skew_secs > DAY {
            problems.push(format!("session.refresh_skew_secs: at most {DAY} (a day)"));
        }
        let store = store_config(&raw.session, env, &mut problems);
        let limits = limits::limits(&raw.limits, &mut problems);
        let minutes = |ms: u64| (1..=600_000).contains(&ms);
        if !minutes(raw.upstream.timeout_ms) || !minutes(raw.upstream.connect_timeout_ms) {
            problems.push("upstream: timeouts must be from 1 ms to 10 minutes".to_owned());
        }

        let mut providers = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, p) in raw.providers.into_iter().enumerate() {
            let at = format!("providers[{index}]");
            if let Some(provider) = validate_provider(p, &at, env, &mut problems) {
                if !seen.insert(provider.id.clone()) {
                    problems.push(format!("{at}.id: duplicate id `{}`", provider.id));
                }
                providers.push(provider);
            }
        }

        match (public_url, bind, store) {
            (Some(public_url), Some(bind), Some(store)) if problems.is_empty() => Ok(Self {
                public_url,
                bind,
                metrics_bind,
                dist: raw.dist,
                base_path,
                session: SessionConfig {
                    store,
                    ttl: Duration::from_secs(raw.session.ttl_secs),
                    idle: Duration::from_secs(raw.session.idle_secs),
                    refresh_skew: Duration::from_secs(raw.session.refresh_skew_secs),
                    refresh_lock: Duration::from_millis(raw.session.refresh_lock_ms),
                },
                upstream: UpstreamConfig {
                    connect_timeout: Duration::from_millis(raw.upstream.connect_timeout_ms),
                    timeout: Duration::from_millis(raw.upstream.timeout_ms),
                },
                limits,
                providers,
            }),
            _ => Err(ConfigError { problems }),
        }
    }

    /// The public origin without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// Whether cookies must be `Secure` (and `__Host-` prefixed).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The one redirect URI registered for `provider_id`.
    pub fn redirect_uri(&self, provider_id: &str) -> String {
        format!(
            "{}{}/auth/{provider_id}/callback",
            self.public_origin(),
            self.base_path
        )
    }
}

/// The text of the file at `path`.
fn read(path: &std::path::Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| ConfigError::one(format!("{}: cannot read: {e}", path.display())))
}

/// `text` as the file's serde shape, unknown keys refused.
fn parse(text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::one(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn env_with(
        name: &'static str,
        value: &'static str,
    ) -> impl Fn(&str) -> Option<String> {
        move |n| (n == name).then(|| value.to_owned())
    }

    pub(super) const GOOD: &str = r#"
        public_url = "http://127.0.0.1:8080"
        [[providers]]
        id = "aihubmix"
        kind = "aihubmix"
        name = "AIHubMix"
        client_id = "client_abc"
        base_url = "http://127.0.0.1:9000/aihubmix"
    "#;

    #[test]
    fn debug_output_redacts_the_secret() {
        let config =
            Config::from_toml(GOOD, &env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "s3cret")).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("[redacted]"));
    }

    #[test]
    fn rejects_duplicate_ids_and_unknown_top_level_keys() {
        let dup = format!("{GOOD}\n{}", &GOOD[GOOD.find("[[providers]]").unwrap()..]);
        let err =
            Config::from_toml(&dup, &env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "x")).unwrap_err();
        assert!(err.problems.iter().any(|p| p.contains("duplicate id")));

        let err = Config::from_toml("public_url = \"http://a\"\nbogus = 1", &|_| None).unwrap_err();
        assert!(err.problems[0].contains("bogus"), "{:?}", err.problems);
    }

    /// Lifetimes and timeouts are bounded, so no time arithmetic on a
    /// request can overflow; the base path cannot shadow a probe.
    #[test]
    fn lifetimes_timeouts_and_the_base_path_are_bounded() {
        let env = env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "x");
        let with = |top: &str| {
            let (head, providers) = GOOD.split_at(GOOD.find("[[providers]]").unwrap());
            format!("{head}{top}\n{providers}")
        };
        for bad in [
            "base_path = \"/metrics\"",
            "base_path = \"api\"",
            "base_path = \"/a/{x}\"",
            "[session]\nttl_secs = 18446744073709551615",
            "[session]\nidle_secs = 0",
            "[session]\nrefresh_skew_secs = 9999999999",
            "[upstream]\ntimeout_ms = 18446744073709551615",
        ] {
            assert!(
                Config::from_toml(&with(bad), &env).is_err(),
                "{bad} accepted"
            );
        }
        let root = Config::from_toml(&with("base_path = \"/\""), &env).unwrap();
        assert_eq!(root.base_path, "");
        assert_eq!(
            root.redirect_uri("p"),
            "http://127.0.0.1:8080/auth/p/callback"
        );
        let auth = Config::from_toml(&with("base_path = \"/auth/\""), &env).unwrap();
        assert_eq!(
            auth.redirect_uri("p"),
            "http://127.0.0.1:8080/auth/auth/p/callback"
        );
    }

    proptest::proptest! {
        /// Any file is either a config or a list of problems, never a panic.
        #[test]
        fn arbitrary_config_text_never_panics(text in "[a-z_\\[\\]=\" 0-9./:\n-]{0,300}") {
            let _ = Config::from_toml(&text, &|_| None);
        }
    }
}
