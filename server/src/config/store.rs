//! The session store setting: `memory`, `sqlite://…` or Redis, with its options.

use super::{DEFAULT_REDIS_PREFIX, EnvLookup, RedisConfig, StoreConfig, raw::RawSession};
use std::{path::PathBuf, time::Duration};
use url::Url;

/// `memory`, `sqlite://PATH` (relative paths from the working directory),
/// or `redis://host:port/db` / `rediss://…`.
fn parse_store(text: &str) -> Result<StoreConfig, String> {
    if text == "memory" {
        return Ok(StoreConfig::Memory);
    }
    if let Some(path) = text.strip_prefix("sqlite://").filter(|p| !p.is_empty()) {
        if !cfg!(feature = "sqlite") {
            return Err(not_built("sqlite"));
        }
        return Ok(StoreConfig::Sqlite(PathBuf::from(path)));
    }
    if text.starts_with("redis://") || text.starts_with("rediss://") {
        if !cfg!(feature = "redis") {
            return Err(not_built("redis"));
        }
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
        #[cfg(feature = "redis")]
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

/// The refusal of a store whose Cargo feature was left out of this build.
pub(crate) fn not_built(feature: &str) -> String {
    format!(
        "this keyhole was built without the `{feature}` feature (a Cargo feature of the keyhole crate, on by default)"
    )
}

fn default_redis_timeout() -> u64 {
    2_000
}

/// The store with its Redis options; problems go to `problems`.
pub(super) fn store_config(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        Config,
        tests::{GOOD, env_with},
    };

    #[test]
    #[cfg(feature = "sqlite")]
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
    #[cfg(feature = "redis")]
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
    #[cfg(feature = "redis")]
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
    #[cfg(feature = "redis")]
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
    #[cfg(feature = "redis")]
    fn cleartext_redis_to_another_host_is_flagged() {
        let redis = |url: &str| RedisConfig {
            url: Url::parse(url).unwrap(),
            prefix: String::new(),
            timeout: Duration::from_secs(1),
        };
        assert!(redis("redis://10.0.0.5:6379/0").is_cleartext_remote());
        assert!(!redis("rediss://10.0.0.5:6379/0").is_cleartext_remote());
        assert!(!redis("redis://127.0.0.1:6379/0").is_cleartext_remote());
        assert!(!redis("redis://localhost/0").is_cleartext_remote());
    }

    /// In a build without the store's feature, naming it is a clear
    /// refusal (run by `cargo xtask test`'s no-default-features stage).
    #[test]
    #[cfg(not(feature = "redis"))]
    fn a_build_without_redis_refuses_a_redis_store() {
        let e = parse_store("redis://127.0.0.1:6379/0").unwrap_err();
        assert!(e.contains("without the `redis` feature"), "{e}");
    }

    #[test]
    #[cfg(not(feature = "sqlite"))]
    fn a_build_without_sqlite_refuses_a_sqlite_store() {
        let e = parse_store("sqlite://data/keyhole.db").unwrap_err();
        assert!(e.contains("without the `sqlite` feature"), "{e}");
    }
}
