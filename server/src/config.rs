//! Configuration: `keyhole.toml` plus secrets from the environment or files.
//!
//! The file holds no secret. Each provider's client secret comes from, in
//! order: the file named by `client_secret_file`, the environment variable
//! named by `client_secret_env`, or the default variable
//! `KEYHOLE_<ID>_CLIENT_SECRET` (id upper-cased, `-` → `_`). A `client_secret`
//! key in the file is refused, so a secret cannot be committed by mistake.
//!
//! Environment (read once at start-up):
//! - `KEYHOLE_CONFIG` — path of the config file (default `keyhole.toml`;
//!   the `--config` flag wins).
//! - `KEYHOLE_<ID>_CLIENT_SECRET` — a provider's client secret (required per
//!   provider unless `client_secret_file` or `client_secret_env` is set).
//! - `KEYHOLE_REDIS_PASSWORD` — the Redis password, for a `redis://` or
//!   `rediss://` session store (optional; never in the store URL).
//!
//! Validation reports every problem at once, each with its key path.

use oauth2::ClientSecret;
use serde::Deserialize;
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

/// Every adapter kind this build knows.
pub const KINDS: &[&str] = &[
    "aihubmix",
    "elice",
    "feishu",
    "line-login",
    "line-messaging",
    "line-notify",
    "oauth2",
    "oidc",
];

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
    /// Built app to serve (`dist/`), if any.
    pub dist: Option<PathBuf>,
    /// Session settings.
    pub session: SessionConfig,
    /// Upstream HTTP settings.
    pub upstream: UpstreamConfig,
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
}

/// Upstream (provider) HTTP settings.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// One provider instance.
#[derive(Clone)]
pub struct ProviderConfig {
    /// URL segment, unique.
    pub id: String,
    /// Adapter kind.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (never from the file).
    pub client_secret: ClientSecret,
    /// Scopes, `None` for the kind's default.
    pub scopes: Option<Vec<String>>,
    /// Kind-specific keys, parsed by the adapter.
    pub options: toml::Table,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("options", &self.options)
            .finish()
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    public_url: String,
    #[serde(default = "default_bind")]
    bind: String,
    dist: Option<PathBuf>,
    #[serde(default)]
    session: RawSession,
    #[serde(default)]
    upstream: RawUpstream,
    #[serde(default)]
    providers: Vec<RawProvider>,
}

fn default_bind() -> String {
    "127.0.0.1:3000".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    #[serde(default = "default_store")]
    store: String,
    #[serde(default = "default_ttl")]
    ttl_secs: u64,
    #[serde(default = "default_idle")]
    idle_secs: u64,
    #[serde(default = "default_skew")]
    refresh_skew_secs: u64,
    redis_prefix: Option<String>,
    redis_timeout_ms: Option<u64>,
}

impl Default for RawSession {
    fn default() -> Self {
        Self {
            store: default_store(),
            ttl_secs: default_ttl(),
            idle_secs: default_idle(),
            refresh_skew_secs: default_skew(),
            redis_prefix: None,
            redis_timeout_ms: None,
        }
    }
}

fn default_store() -> String {
    "sqlite://data/keyhole.db".to_owned()
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    #[serde(default = "default_connect_timeout")]
    connect_timeout_ms: u64,
    #[serde(default = "default_timeout")]
    timeout_ms: u64,
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

#[derive(Deserialize)]
struct RawProvider {
    id: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    client_id: Option<String>,
    client_secret_file: Option<PathBuf>,
    client_secret_env: Option<String>,
    scopes: Option<Vec<String>>,
    #[serde(flatten)]
    options: toml::Table,
}

impl Config {
    /// Reads and validates the file at `path`, with secrets from the process
    /// environment.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::one(format!("{}: cannot read: {e}", path.display())))?;
        Self::from_toml(&text, &|name| std::env::var(name).ok())
    }

    /// Parses and validates `text`; `env` looks up secrets.
    pub fn from_toml(text: &str, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::one(e.to_string()))?;
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
        let bind = raw
            .bind
            .parse::<SocketAddr>()
            .map_err(|e| problems.push(format!("bind: {e}")))
            .ok();
        if raw.session.ttl_secs == 0 || raw.session.idle_secs == 0 {
            problems.push("session: ttl_secs and idle_secs must be greater than 0".to_owned());
        }
        let store = store_config(&raw.session, env, &mut problems);
        if raw.upstream.timeout_ms == 0 || raw.upstream.connect_timeout_ms == 0 {
            problems.push("upstream: timeouts must be greater than 0".to_owned());
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
                dist: raw.dist,
                session: SessionConfig {
                    store,
                    ttl: Duration::from_secs(raw.session.ttl_secs),
                    idle: Duration::from_secs(raw.session.idle_secs),
                    refresh_skew: Duration::from_secs(raw.session.refresh_skew_secs),
                },
                upstream: UpstreamConfig {
                    connect_timeout: Duration::from_millis(raw.upstream.connect_timeout_ms),
                    timeout: Duration::from_millis(raw.upstream.timeout_ms),
                },
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
        format!("{}/api/auth/{provider_id}/callback", self.public_origin())
    }
}

/// `memory`, `sqlite://PATH` (relative paths from the working directory),
/// or `redis://host:port/db` / `rediss://…`.
fn parse_store(text: &str) -> Result<StoreConfig, String> {
    if text == "memory" {
        return Ok(StoreConfig::Memory);
    }
    if let Some(path) = text.strip_prefix("sqlite://").filter(|p| !p.is_empty()) {
        return Ok(StoreConfig::Sqlite(PathBuf::from(path)));
    }
    if text.starts_with("redis://") || text.starts_with("rediss://") {
        let url = Url::parse(text).map_err(|e| format!("`{text}`: {e}"))?;
        if url.password().is_some() {
            // Not echoed: it is the secret being refused.
            return Err("a password in the Redis URL is refused (the file holds no \
                        secret); set KEYHOLE_REDIS_PASSWORD instead"
                .to_owned());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("`{text}`: the Redis URL needs a host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{text}`: use redis://host:port/db, without query or fragment"
            ));
        }
        // The client's own parser, so a bad database number fails here and
        // not at the first request.
        redis::IntoConnectionInfo::into_connection_info(url.as_str())
            .map_err(|e| format!("`{text}`: {e}"))?;
        return Ok(StoreConfig::Redis(RedisConfig {
            url,
            prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            timeout: Duration::from_millis(default_redis_timeout()),
        }));
    }
    Err(format!(
        "`{text}` is not a store (use `memory`, `sqlite://data/keyhole.db` \
         or `redis://127.0.0.1:6379/0`)"
    ))
}

fn default_redis_timeout() -> u64 {
    2_000
}

/// The store with its Redis options; problems go to `problems`.
fn store_config(
    raw: &RawSession,
    env: EnvLookup<'_>,
    problems: &mut Vec<String>,
) -> Option<StoreConfig> {
    let store = parse_store(&raw.store)
        .map_err(|e| problems.push(format!("session.store: {e}")))
        .ok()?;
    let StoreConfig::Redis(mut redis) = store else {
        // Redis options beside another store are a mistake worth saying.
        for (key, set) in [
            ("redis_prefix", raw.redis_prefix.is_some()),
            ("redis_timeout_ms", raw.redis_timeout_ms.is_some()),
        ] {
            if set {
                problems.push(format!(
                    "session.{key}: only used with a redis:// or rediss:// store"
                ));
            }
        }
        return Some(store);
    };
    if let Some(prefix) = &raw.redis_prefix {
        redis.prefix.clone_from(prefix);
    }
    match raw.redis_timeout_ms {
        Some(0) => problems.push("session.redis_timeout_ms: must be greater than 0".to_owned()),
        Some(ms) => redis.timeout = Duration::from_millis(ms),
        None => {}
    }
    if let Some(password) = env("KEYHOLE_REDIS_PASSWORD").filter(|p| !p.is_empty())
        && redis.url.set_password(Some(&password)).is_err()
    {
        problems.push("KEYHOLE_REDIS_PASSWORD: cannot be used with this URL".to_owned());
    }
    Some(StoreConfig::Redis(redis))
}

fn validate_provider(
    p: RawProvider,
    at: &str,
    env: EnvLookup<'_>,
    problems: &mut Vec<String>,
) -> Option<ProviderConfig> {
    let before = problems.len();
    if p.options.contains_key("client_secret") {
        problems.push(format!(
            "{at}.client_secret: secrets never go in the config file; \
             use client_secret_file, client_secret_env, or KEYHOLE_<ID>_CLIENT_SECRET"
        ));
    }
    let id = p.id.unwrap_or_default();
    if id.is_empty() {
        problems.push(format!("{at}.id: required"));
    } else if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        problems.push(format!(
            "{at}.id: `{id}` must use only a-z, 0-9 and `-` (it is a URL segment)"
        ));
    }
    let kind = p.kind.unwrap_or_default();
    if kind.is_empty() {
        problems.push(format!("{at}.kind: required"));
    } else if !KINDS.contains(&kind.as_str()) {
        problems.push(format!(
            "{at}.kind: unknown kind `{kind}` (known: {})",
            KINDS.join(", ")
        ));
    }
    let client_id = p.client_id.unwrap_or_default();
    if client_id.is_empty() {
        problems.push(format!("{at}.client_id: required"));
    }

    let default_env = format!(
        "KEYHOLE_{}_CLIENT_SECRET",
        id.to_ascii_uppercase().replace('-', "_")
    );
    let secret = if let Some(path) = &p.client_secret_file {
        match std::fs::read_to_string(path) {
            Ok(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Ok(_) => {
                problems.push(format!(
                    "{at}.client_secret_file: {} is empty",
                    path.display()
                ));
                None
            }
            Err(e) => {
                problems.push(format!(
                    "{at}.client_secret_file: cannot read {}: {e}",
                    path.display()
                ));
                None
            }
        }
    } else {
        let var = p.client_secret_env.as_deref().unwrap_or(&default_env);
        match env(var).filter(|s| !s.is_empty()) {
            Some(s) => Some(s),
            None => {
                problems.push(format!(
                    "{at}: client secret missing: set the environment variable {var} \
                     (or client_secret_file)"
                ));
                None
            }
        }
    };

    if problems.len() > before {
        return None;
    }
    let name = p.name.unwrap_or_else(|| id.clone());
    Some(ProviderConfig {
        id,
        kind,
        name,
        client_id,
        client_secret: ClientSecret::new(secret?),
        scopes: p.scopes,
        options: p.options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(name: &'static str, value: &'static str) -> impl Fn(&str) -> Option<String> {
        move |n| (n == name).then(|| value.to_owned())
    }

    const GOOD: &str = r#"
        public_url = "http://127.0.0.1:8080"
        [[providers]]
        id = "aihubmix"
        kind = "aihubmix"
        name = "AIHubMix"
        client_id = "client_abc"
        base_url = "http://127.0.0.1:9000/aihubmix"
    "#;

    #[test]
    fn reads_secret_from_default_env_var() {
        let config =
            Config::from_toml(GOOD, &env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "s3cret")).unwrap();
        assert_eq!(config.providers.len(), 1);
        assert_eq!(config.providers[0].client_secret.secret(), "s3cret");
        assert_eq!(
            config.redirect_uri("aihubmix"),
            "http://127.0.0.1:8080/api/auth/aihubmix/callback"
        );
        assert!(config.providers[0].options.contains_key("base_url"));
    }

    #[test]
    fn debug_output_redacts_the_secret() {
        let config =
            Config::from_toml(GOOD, &env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "s3cret")).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("[redacted]"));
    }

    #[test]
    fn refuses_a_secret_in_the_file_and_reports_every_problem() {
        let text = r#"
            public_url = "ftp://example.com/app"
            [[providers]]
            id = "Bad Id"
            kind = "nope"
            client_secret = "oops"
            [[providers]]
            kind = "aihubmix"
        "#;
        let err = Config::from_toml(text, &|_| None).unwrap_err();
        let all = err.problems.join("\n");
        for needle in [
            "public_url",
            "providers[0].client_secret",
            "providers[0].id",
            "providers[0].kind: unknown kind `nope`",
            "providers[0].client_id: required",
            "providers[1].id: required",
            "providers[1]: client secret missing",
        ] {
            assert!(all.contains(needle), "missing `{needle}` in:\n{all}");
        }
        assert!(
            !all.contains("oops"),
            "the refused secret must not be echoed"
        );
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

    #[test]
    fn session_store_defaults_to_sqlite_and_is_validated() {
        let env = env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "x");
        let config = Config::from_toml(GOOD, &env).unwrap();
        assert_eq!(
            config.session.store,
            StoreConfig::Sqlite(PathBuf::from("data/keyhole.db"))
        );
        let memory = GOOD.replace(
            "[[providers]]",
            "[session]\nstore = \"memory\"\n[[providers]]",
        );
        assert_eq!(
            Config::from_toml(&memory, &env).unwrap().session.store,
            StoreConfig::Memory
        );
        let bad = GOOD.replace(
            "[[providers]]",
            "[session]\nstore = \"mongo://x\"\n[[providers]]",
        );
        let err = Config::from_toml(&bad, &env).unwrap_err();
        assert!(
            err.problems[0].starts_with("session.store:"),
            "{:?}",
            err.problems
        );
    }

    fn with_session(session: &str) -> String {
        GOOD.replace(
            "[[providers]]",
            &format!("[session]\n{session}\n[[providers]]"),
        )
    }

    #[test]
    fn redis_store_takes_its_options_and_defaults() {
        let env = env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "x");
        let plain =
            Config::from_toml(&with_session("store = \"redis://10.0.0.5:6379/2\""), &env).unwrap();
        let StoreConfig::Redis(redis) = plain.session.store else {
            panic!("not redis: {:?}", plain.session.store)
        };
        assert_eq!(redis.url.as_str(), "redis://10.0.0.5:6379/2");
        assert_eq!(redis.prefix, "keyhole:");
        assert_eq!(redis.timeout, Duration::from_secs(2));

        let tuned = with_session(
            "store = \"rediss://cache.internal:6380/0\"\n\
             redis_prefix = \"shop-a:\"\nredis_timeout_ms = 500",
        );
        let StoreConfig::Redis(redis) = Config::from_toml(&tuned, &env).unwrap().session.store
        else {
            panic!("not redis")
        };
        assert_eq!(redis.url.scheme(), "rediss");
        assert_eq!(redis.prefix, "shop-a:");
        assert_eq!(redis.timeout, Duration::from_millis(500));
    }

    #[test]
    fn redis_password_comes_from_the_environment_and_is_redacted() {
        let env = |n: &str| match n {
            "KEYHOLE_AIHUBMIX_CLIENT_SECRET" => Some("x".to_owned()),
            "KEYHOLE_REDIS_PASSWORD" => Some("hunter2-redis".to_owned()),
            _ => None,
        };
        let config =
            Config::from_toml(&with_session("store = \"redis://127.0.0.1:6379\""), &env).unwrap();
        let StoreConfig::Redis(redis) = &config.session.store else {
            panic!("not redis")
        };
        assert_eq!(redis.url.password(), Some("hunter2-redis"));
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2-redis"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");

        // In the file it is refused, and not echoed back.
        let err = Config::from_toml(
            &with_session("store = \"redis://:in-the-file@127.0.0.1:6379\""),
            &env,
        )
        .unwrap_err();
        let all = err.problems.join("\n");
        assert!(all.contains("KEYHOLE_REDIS_PASSWORD"), "{all}");
        assert!(!all.contains("in-the-file"), "{all}");
    }

    #[test]
    fn redis_mistakes_are_all_reported() {
        let env = env_with("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "x");
        let err = Config::from_toml(
            &with_session("store = \"redis://127.0.0.1:6379/notadb\"\nredis_timeout_ms = 0"),
            &env,
        )
        .unwrap_err();
        assert!(
            err.problems[0].starts_with("session.store:"),
            "{:?}",
            err.problems
        );
        let err = Config::from_toml(
            &with_session("store = \"redis://127.0.0.1:6379\"\nredis_timeout_ms = 0"),
            &env,
        )
        .unwrap_err();
        assert!(
            err.problems[0].contains("redis_timeout_ms"),
            "{:?}",
            err.problems
        );
        // Redis options beside another store are flagged, every one of them.
        let err = Config::from_toml(
            &with_session("store = \"memory\"\nredis_prefix = \"a:\"\nredis_timeout_ms = 9"),
            &env,
        )
        .unwrap_err();
        assert_eq!(err.problems.len(), 2, "{:?}", err.problems);
        assert!(err.problems[0].contains("session.redis_prefix"));
    }

    #[test]
    fn secret_file_wins_and_must_exist() {
        let dir = std::env::temp_dir().join(format!("keyhole-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        let text = format!(
            "{GOOD}\nclient_secret_file = {:?}",
            file.display().to_string()
        );
        let config = Config::from_toml(&text, &|_| None).unwrap();
        assert_eq!(config.providers[0].client_secret.secret(), "from-file");

        let missing = format!("{GOOD}\nclient_secret_file = \"/nonexistent/keyhole\"");
        let err = Config::from_toml(&missing, &|_| None).unwrap_err();
        assert!(err.problems[0].contains("cannot read"));
    }
}
