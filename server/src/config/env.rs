//! Every key from the environment too: defaults < file < environment.
//!
//! A key's variable is `KEYHOLE_` and its path upper-cased, tables joined
//! by `__` (`public_url` → `KEYHOLE_PUBLIC_URL`, `limits.trusted_proxies` →
//! `KEYHOLE_LIMITS__TRUSTED_PROXIES`). A provider is addressed by its id,
//! upper-cased with `-` → `_` as in its secret's variable
//! (`KEYHOLE_PROVIDERS__LINE_BOT__API_BASE`); one the file lacks is defined
//! by setting its `…__KIND`. A value is read by its key's type: a number as
//! digits, a list comma-separated or as a TOML array, a kind option as TOML
//! when it is `true`, `false`, `[…]` or `{…}` and as text otherwise. An
//! empty variable counts as unset. A variable with `__` that names no key
//! is an error, so a typo is not a silently ignored setting.
//!
//! Written here rather than with figment or config-rs: figment's `Env`
//! reads only the process environment, config-rs reads a value's type from
//! its text rather than from its key, and both address tables where
//! `[[providers]]` is an array addressed by id. Overlaying the file's
//! `toml::Table` before serde keeps `deny_unknown_fields` and every check
//! the same for a value from either source.

use super::{ConfigError, raw::RawConfig, secret_env_var};
use std::collections::BTreeMap;
use toml::{Table, Value};

/// How a variable's text becomes its key's value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    Text,
    Number,
    List,
    /// A kind option, whose type only its adapter knows.
    Guess,
}
use Type::{Guess, List, Number, Text};

/// Every key outside `[[providers]]`, with its type.
#[rustfmt::skip]
const KEYS: &[(&str, Type)] = &[
    ("public_url", Text), ("bind", Text), ("metrics_bind", Text), ("dist", Text), ("base_path", Text),
    ("session.store", Text), ("session.ttl_secs", Number), ("session.idle_secs", Number),
    ("session.refresh_skew_secs", Number), ("session.refresh_lock_ms", Number),
    ("session.redis_prefix", Text), ("session.redis_timeout_ms", Number),
    ("upstream.connect_timeout_ms", Number), ("upstream.timeout_ms", Number),
    ("limits.request_timeout_ms", Number), ("limits.header_read_timeout_ms", Number),
    ("limits.max_connections", Number), ("limits.logins_per_minute", Number),
    ("limits.logins_per_browser", Number), ("limits.calls_per_minute", Number),
    ("limits.sends_per_minute", Number), ("limits.trusted_proxies", List),
];

/// A provider's own keys; any other is a kind option.
#[rustfmt::skip]
const PROVIDER_KEYS: &[(&str, Type)] = &[
    ("kind", Text), ("name", Text), ("client_id", Text), ("client_secret_file", Text),
    ("client_secret_env", Text), ("scopes", List),
];

/// `KEYHOLE_` variables that are not keys and keep their own meaning (so
/// does every `KEYHOLE_<ID>_CLIENT_SECRET`).
#[rustfmt::skip]
const NOT_KEYS: &[&str] = &[
    "KEYHOLE_CONFIG", "KEYHOLE_LOG_FORMAT", "KEYHOLE_SESSION_KEY", "KEYHOLE_SESSION_OLD_KEYS",
    "KEYHOLE_REDIS_PASSWORD",
];

/// The file and the environment as one serde shape.
pub(super) struct Merged {
    pub(super) raw: RawConfig,
    /// The file as written.
    pub(super) file: Table,
    /// Each key path set from the environment, with its variable.
    pub(super) env: BTreeMap<String, String>,
}

/// `text` (the file) with `vars` overlaid, as the file's serde shape.
pub(super) fn merge(
    text: Option<&str>,
    vars: &BTreeMap<String, String>,
) -> Result<Merged, ConfigError> {
    let file: Table = match text {
        Some(text) => toml::from_str(text).map_err(|e| ConfigError::one(e.to_string()))?,
        None => Table::new(),
    };
    let (mut table, mut problems) = (file.clone(), Vec::new());
    let env = overlay(&mut table, vars, &mut problems);
    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    let e = match table.try_into::<RawConfig>() {
        Ok(raw) => return Ok(Merged { raw, file, env }),
        Err(e) => e,
    };
    let (shown, message) = (e.to_string(), e.message());
    let path = shown
        .rsplit_once("\nin `")
        .map_or("", |(_, p)| p.trim_end().trim_matches('`'));
    // serde's path has no index: `providers.scopes` for `providers[1].scopes`.
    let unindexed = |key: &str| key.split(['[', ']']).step_by(2).collect::<String>();
    let by_env = env.iter().find(|(key, _)| unindexed(key) == path);
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'));
    let in_file = text.and_then(|text| toml::from_str::<RawConfig>(text).err());
    Err(ConfigError::one(match (by_env, missing, in_file) {
        (Some((key, var)), ..) => format!("{key} (from {var}): {message}"),
        (None, Some(key), _) if path.is_empty() => {
            let var = format!("KEYHOLE_{}", key.to_ascii_uppercase());
            format!("{key}: required (in the file or as {var})")
        }
        // The file's own mistake: its error shows the line.
        (None, _, Some(in_file)) => in_file.to_string(),
        _ if path.is_empty() => message.to_owned(),
        _ => format!("{path}: {message}"),
    }))
}

/// The key path a variable sets, lower-cased and split at `__`, when it is
/// a key's variable: a `__` in it or a top-level key's name, and neither a
/// secret nor another setting.
fn key_path(var: &str) -> Option<Vec<String>> {
    let rest = var.strip_prefix("KEYHOLE_")?;
    let secret = rest.ends_with("_CLIENT_SECRET") && !rest.starts_with("PROVIDERS__");
    let top = KEYS.iter().any(|(key, _)| key.eq_ignore_ascii_case(rest));
    (!secret && !NOT_KEYS.contains(&var) && (top || rest.contains("__")))
        .then(|| rest.split("__").map(str::to_ascii_lowercase).collect())
}

/// A provider variable: its name, the key below the provider, its text.
type ProviderVar<'a> = (&'a str, &'a [String], &'a str);

/// Sets each key variable among `vars` in `table`: the key paths set, each
/// with its variable.
fn overlay(
    table: &mut Table,
    vars: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut set = BTreeMap::new();
    let paths: Vec<_> = (vars.iter().filter(|(_, text)| !text.is_empty()))
        .filter_map(|(var, text)| Some((var.as_str(), key_path(var)?, text.as_str())))
        .collect();
    let mut providers: BTreeMap<String, Vec<ProviderVar<'_>>> = BTreeMap::new();
    for (var, path, text) in &paths {
        if let [first, id, key @ ..] = path.as_slice()
            && first == "providers"
            && !key.is_empty()
        {
            let id = id.replace('_', "-");
            providers.entry(id).or_default().push((var, key, text));
            continue;
        }
        let key = path.join(".");
        let Some(&(_, ty)) = KEYS.iter().find(|(k, _)| *k == key) else {
            problems.push(format!("{var}: names no config key (`{key}`)"));
            continue;
        };
        match typed(ty, text) {
            Ok(value) => insert(table, path, value),
            Err(e) => problems.push(format!("{key} (from {var}): {e}")),
        }
        set.insert(key, (*var).to_owned());
    }
    if providers.is_empty() {
        return set;
    }
    let list = table
        .entry("providers")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = list else {
        problems.push("providers: must be an array of tables ([[providers]])".to_owned());
        return set;
    };
    for (id, keys) in providers {
        let kind = keys
            .iter()
            .find(|(_, key, _)| matches!(key, [k] if k == "kind"));
        let found = list
            .iter()
            .position(|p| p.get("id").and_then(Value::as_str) == Some(&id));
        let index = match (found, kind) {
            (Some(index), _) => index,
            (None, Some((var, ..))) => {
                list.push(Table::from_iter([("id".to_owned(), id.clone().into())]).into());
                set.insert(
                    format!("providers[{}].id", list.len() - 1),
                    (*var).to_owned(),
                );
                list.len() - 1
            }
            (None, None) => {
                let upper = id.to_ascii_uppercase().replace('-', "_");
                problems.push(format!(
                    "{}: no provider `{id}` in the file (set KEYHOLE_PROVIDERS__{upper}__KIND \
                     to define it from the environment)",
                    keys[0].0
                ));
                continue;
            }
        };
        let Some(entry) = list[index].as_table_mut() else {
            continue;
        };
        for (var, key, text) in keys {
            let at = format!("providers[{index}].{}", key.join("."));
            let ty = match key {
                [k] if k == "id" || k == "client_secret" => {
                    let secret = secret_env_var(&id);
                    problems.push(format!(
                        "{var}: not settable (the id is in the name; the secret is {secret})"
                    ));
                    continue;
                }
                [k] => PROVIDER_KEYS
                    .iter()
                    .find(|(n, _)| n == k)
                    .map_or(Guess, |(_, t)| *t),
                _ => Guess,
            };
            match typed(ty, text) {
                Ok(value) => insert(entry, key, value),
                Err(e) => problems.push(format!("{at} (from {var}): {e}")),
            }
            set.insert(at, var.to_owned());
        }
    }
    set
}

/// `text` as a value of type `ty`.
fn typed(ty: Type, text: &str) -> Result<Value, String> {
    let t = text.trim();
    let toml = match ty {
        List => t.starts_with('['),
        Guess => t.starts_with(['[', '{']) || t == "true" || t == "false",
        Text | Number => false,
    };
    let list = || text.split(',').map(str::trim).filter(|s| !s.is_empty());
    match ty {
        Number => t.parse().map(Value::Integer).map_err(|e| format!("{e}")),
        _ if toml => toml::from_str::<Table>(&format!("v = {t}"))
            .map_err(|e| e.message().to_owned())
            .map(|mut table| table.remove("v").unwrap_or(Value::Boolean(false))),
        List => Ok(Value::Array(
            list().map(|s| Value::String(s.to_owned())).collect(),
        )),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// Sets `value` at `path` below `table`, with the tables on the way.
fn insert(table: &mut Table, path: &[String], value: Value) {
    if let [first, rest @ ..] = path {
        if rest.is_empty() {
            table.insert(first.clone(), value);
            return;
        }
        let entry = table
            .entry(first.clone())
            .or_insert_with(|| Table::new().into());
        if !entry.is_table() {
            *entry = Table::new().into();
        }
        if let Value::Table(inner) = entry {
            insert(inner, rest, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        Config, Loaded, Origin, StoreConfig,
        tests::{GOOD, env_with},
    };

    const SECRET: &str = "s3cret-from-env";

    /// `GOOD` (or no file) with `vars` and the provider's secret.
    fn load(file: Option<&str>, vars: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
        let secret = [("KEYHOLE_AIHUBMIX_CLIENT_SECRET", SECRET)];
        let all = vars.iter().chain(&secret);
        Config::from_sources(file, all.map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    /// The value and origin of `key`.
    fn setting(loaded: &Loaded, key: &str) -> (String, Origin) {
        let s = loaded.settings.iter().find(|s| s.key == key);
        let s = s.unwrap_or_else(|| panic!("no {key} in {:#?}", loaded.settings));
        (s.value.clone(), s.origin.clone())
    }

    fn env(var: &str) -> Origin {
        Origin::Env(var.to_owned())
    }

    fn problems(result: Result<Loaded, ConfigError>) -> String {
        result.unwrap_err().problems.join("\n")
    }

    #[test]
    fn a_file_alone_gives_file_and_default_origins() {
        let loaded = load(Some(GOOD), &[]).unwrap();
        assert_eq!(loaded.config.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(loaded.config.providers[0].client_secret.secret(), SECRET);
        let public = ("\"http://127.0.0.1:8080\"".to_owned(), Origin::File);
        assert_eq!(setting(&loaded, "public_url"), public);
        let bind = ("\"127.0.0.1:3000\"".to_owned(), Origin::Default);
        assert_eq!(setting(&loaded, "bind"), bind);
        assert_eq!(
            setting(&loaded, "limits.max_connections").1,
            Origin::Default
        );
        assert_eq!(setting(&loaded, "providers[0].kind").1, Origin::File);
        let secret = (
            "[redacted]".to_owned(),
            env("KEYHOLE_AIHUBMIX_CLIENT_SECRET"),
        );
        assert_eq!(setting(&loaded, "providers[0].client_secret"), secret);
    }

    #[test]
    fn the_environment_alone_is_a_config() {
        let loaded = load(
            None,
            &[
                ("KEYHOLE_PUBLIC_URL", "https://app.example.com"),
                ("KEYHOLE_SESSION__STORE", "memory"),
                ("KEYHOLE_PROVIDERS__AIHUBMIX__KIND", "aihubmix"),
                ("KEYHOLE_PROVIDERS__AIHUBMIX__CLIENT_ID", "1234567890"),
                (
                    "KEYHOLE_PROVIDERS__AIHUBMIX__BASE_URL",
                    "http://127.0.0.1:9000/a",
                ),
            ],
        )
        .unwrap();
        let config = &loaded.config;
        assert_eq!(config.public_origin(), "https://app.example.com");
        assert_eq!(config.session.store, StoreConfig::Memory);
        let p = &config.providers[0];
        assert_eq!((p.id.as_str(), p.kind.as_str()), ("aihubmix", "aihubmix"));
        // Digits stay text where the key is text.
        assert_eq!(p.client_id, "1234567890");
        assert_eq!(
            p.options["base_url"].as_str(),
            Some("http://127.0.0.1:9000/a")
        );
        let kind = env("KEYHOLE_PROVIDERS__AIHUBMIX__KIND");
        assert_eq!(setting(&loaded, "providers[0].id").1, kind);
        assert_eq!(setting(&loaded, "public_url").1, env("KEYHOLE_PUBLIC_URL"));
        assert_eq!(setting(&loaded, "bind").1, Origin::Default);

        // Without one, the one required key is named with its variable.
        let all = problems(load(None, &[]));
        assert!(
            all.contains("public_url: required (in the file or as KEYHOLE_PUBLIC_URL)"),
            "{all}"
        );
    }

    #[test]
    fn the_environment_wins_over_the_file_nested_keys_included() {
        let file = format!("{GOOD}\n[limits]\nmax_connections = 50\nlogins_per_minute = 7");
        let file = file.replace("[[providers]]", "bind = \"0.0.0.0:80\"\n[[providers]]");
        let vars = [
            ("KEYHOLE_PUBLIC_URL", "https://app.example.com"),
            ("KEYHOLE_SESSION__STORE", "memory"),
            ("KEYHOLE_SESSION__TTL_SECS", " 3600 "),
            ("KEYHOLE_LIMITS__MAX_CONNECTIONS", "100"),
            ("KEYHOLE_UPSTREAM__TIMEOUT_MS", "2500"),
            // Empty counts as unset: the file's value stays.
            ("KEYHOLE_BIND", ""),
        ];
        let loaded = load(Some(&file), &vars).unwrap();
        let config = &loaded.config;
        assert_eq!(config.public_origin(), "https://app.example.com");
        assert_eq!(config.bind.to_string(), "0.0.0.0:80");
        assert_eq!(config.session.store, StoreConfig::Memory);
        assert_eq!(config.session.ttl.as_secs(), 3600);
        assert_eq!(config.limits.max_connections, 100);
        assert_eq!(config.limits.logins_per_minute, 7);
        assert_eq!(config.upstream.timeout.as_millis(), 2500);
        let max = ("100".to_owned(), env("KEYHOLE_LIMITS__MAX_CONNECTIONS"));
        assert_eq!(setting(&loaded, "limits.max_connections"), max);
        assert_eq!(setting(&loaded, "limits.logins_per_minute").1, Origin::File);
        assert_eq!(setting(&loaded, "bind").1, Origin::File);
        assert_eq!(setting(&loaded, "session.idle_secs").1, Origin::Default);

        // `from_toml` takes a lookup, which cannot list overrides: none apply.
        let env = env_with("KEYHOLE_PUBLIC_URL", "https://app.example.com");
        let secret = |n: &str| env(n).or_else(|| Some("x".to_owned()));
        let plain = Config::from_toml(GOOD, &secret).unwrap();
        assert_eq!(plain.public_origin(), "http://127.0.0.1:8080");
    }

    #[test]
    fn lists_are_comma_separated_or_toml_arrays() {
        let loaded = load(
            Some(GOOD),
            &[
                ("KEYHOLE_LIMITS__TRUSTED_PROXIES", "10.0.0.1, ::1,"),
                (
                    "KEYHOLE_PROVIDERS__AIHUBMIX__SCOPES",
                    r#"["openid", "a,b"]"#,
                ),
            ],
        )
        .unwrap();
        let proxies: Vec<String> = loaded
            .config
            .limits
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(proxies, ["10.0.0.1", "::1"]);
        let scopes = loaded.config.providers[0].scopes.clone().unwrap();
        assert_eq!(scopes, ["openid", "a,b"]);
        let shown = setting(&loaded, "limits.trusted_proxies").0;
        assert_eq!(shown, r#"["10.0.0.1", "::1"]"#);

        let all = problems(load(
            Some(GOOD),
            &[("KEYHOLE_LIMITS__TRUSTED_PROXIES", "10.0.0.1,nope")],
        ));
        assert!(
            all.contains("limits.trusted_proxies (from KEYHOLE_LIMITS__TRUSTED_PROXIES): `nope`"),
            "{all}"
        );
    }

    #[test]
    fn a_provider_is_addressed_by_its_id() {
        let second = "[[providers]]\nid = \"ai-2\"\nkind = \"aihubmix\"\nclient_id = \"c2\"";
        let file = format!("{GOOD}\n{second}");
        let loaded = load(
            Some(&file),
            &[
                ("KEYHOLE_AI_2_CLIENT_SECRET", "s2"),
                (
                    "KEYHOLE_PROVIDERS__AIHUBMIX__BASE_URL",
                    "http://127.0.0.1:9999/x",
                ),
                ("KEYHOLE_PROVIDERS__AIHUBMIX__AUTO_AUTHORIZE", "true"),
                ("KEYHOLE_PROVIDERS__AIHUBMIX__PROFILE__ID", "sub"),
                ("KEYHOLE_PROVIDERS__AI_2__NAME", "Second"),
                ("KEYHOLE_PROVIDERS__AI_2__CLIENT_ID", "c2-env"),
            ],
        )
        .unwrap();
        let [first, second] = &loaded.config.providers[..] else {
            panic!("{:?}", loaded.config.providers)
        };
        assert_eq!(
            first.options["base_url"].as_str(),
            Some("http://127.0.0.1:9999/x")
        );
        assert_eq!(first.options["auto_authorize"].as_bool(), Some(true));
        assert_eq!(first.options["profile"]["id"].as_str(), Some("sub"));
        assert_eq!(first.name, "AIHubMix");
        assert_eq!(
            (second.name.as_str(), second.client_id.as_str()),
            ("Second", "c2-env")
        );
        let base = env("KEYHOLE_PROVIDERS__AIHUBMIX__BASE_URL");
        assert_eq!(setting(&loaded, "providers[0].base_url").1, base);
        let profile = env("KEYHOLE_PROVIDERS__AIHUBMIX__PROFILE__ID");
        assert_eq!(setting(&loaded, "providers[0].profile.id").1, profile);
        assert_eq!(setting(&loaded, "providers[1].kind").1, Origin::File);

        // One the file lacks needs its kind; its id and secret are not keys.
        let all = problems(load(
            Some(GOOD),
            &[
                ("KEYHOLE_PROVIDERS__NOPE__BASE_URL", "http://x"),
                ("KEYHOLE_PROVIDERS__AIHUBMIX__CLIENT_SECRET", "leaked-value"),
                ("KEYHOLE_PROVIDERS__AIHUBMIX__ID", "other"),
            ],
        ));
        for needle in [
            "KEYHOLE_PROVIDERS__NOPE__BASE_URL: no provider `nope` in the file \
             (set KEYHOLE_PROVIDERS__NOPE__KIND",
            "KEYHOLE_PROVIDERS__AIHUBMIX__CLIENT_SECRET: not settable",
            "the secret is KEYHOLE_AIHUBMIX_CLIENT_SECRET",
            "KEYHOLE_PROVIDERS__AIHUBMIX__ID: not settable",
        ] {
            assert!(all.contains(needle), "`{needle}` missing in:\n{all}");
        }
        assert!(!all.contains("leaked-value"), "{all}");
    }

    /// A provider from the environment comes after the file's, and is
    /// checked like them.
    #[test]
    fn a_provider_is_defined_from_the_environment_by_its_kind() {
        let loaded = load(
            Some(GOOD),
            &[
                ("KEYHOLE_PROVIDERS__LINE__KIND", "line-login"),
                ("KEYHOLE_PROVIDERS__LINE__CLIENT_ID", "1234567890"),
                ("KEYHOLE_PROVIDERS__LINE__SCOPES", "profile,openid"),
                ("KEYHOLE_LINE_CLIENT_SECRET", "line-secret"),
            ],
        )
        .unwrap();
        let line = &loaded.config.providers[1];
        assert_eq!(
            (line.id.as_str(), line.kind.as_str()),
            ("line", "line-login")
        );
        assert_eq!(line.name, "line");
        assert_eq!(
            line.scopes.as_deref(),
            Some(&["profile".to_owned(), "openid".to_owned()][..])
        );
        assert_eq!(line.client_secret.secret(), "line-secret");

        let all = problems(load(Some(GOOD), &[("KEYHOLE_PROVIDERS__X__KIND", "nope")]));
        assert!(
            all.contains(
                "providers[1].kind (from KEYHOLE_PROVIDERS__X__KIND): unknown kind `nope`"
            ),
            "{all}"
        );
        assert!(all.contains("providers[1].client_id: required"), "{all}");
    }

    #[test]
    fn a_variable_that_names_no_key_is_refused_by_name() {
        let all = problems(load(
            Some(GOOD),
            &[
                ("KEYHOLE_LIMITS__MAX_CONECTIONS", "5"),
                ("KEYHOLE_SESION__STORE", "memory"),
                ("KEYHOLE_LIMITS", "x"),
            ],
        ));
        for needle in [
            "KEYHOLE_LIMITS__MAX_CONECTIONS: names no config key (`limits.max_conections`)",
            "KEYHOLE_SESION__STORE: names no config key",
        ] {
            assert!(all.contains(needle), "`{needle}` missing in:\n{all}");
        }
        // A name without `__` that is no top-level key is not a key's.
        assert!(!all.contains("KEYHOLE_LIMITS:"), "{all}");
    }

    #[test]
    fn other_keyhole_variables_keep_their_meaning() {
        let vars = [
            ("KEYHOLE_CONFIG", "/etc/keyhole.toml"),
            ("KEYHOLE_LOG_FORMAT", "json"),
            ("KEYHOLE_SESSION_KEY", "a-key"),
            ("KEYHOLE_SESSION_OLD_KEYS", "k1,k2"),
            ("KEYHOLE_REDIS_PASSWORD", "pw"),
            ("KEYHOLE_OTHER_CLIENT_SECRET", "x"),
            ("KEYHOLE_A__B_CLIENT_SECRET", "x"),
            ("KEYHOLE_SIM_URL", "http://127.0.0.1:1"),
            ("KEYHOLE_BASE_URL", "http://127.0.0.1:2"),
        ];
        let loaded = load(Some(GOOD), &vars).unwrap();
        let from_env = loaded.settings.iter().filter(
            |s| matches!(&s.origin, Origin::Env(v) if v != "KEYHOLE_AIHUBMIX_CLIENT_SECRET"),
        );
        assert_eq!(from_env.count(), 0, "{:#?}", loaded.settings);
        for var in NOT_KEYS {
            assert!(key_path(var).is_none(), "{var}");
        }
    }

    #[test]
    fn a_bad_value_names_its_key_and_variable() {
        let with =
            |var: &'static str, value: &'static str| problems(load(Some(GOOD), &[(var, value)]));
        let all = with("KEYHOLE_LIMITS__MAX_CONNECTIONS", "abc");
        assert_eq!(
            all,
            "limits.max_connections (from KEYHOLE_LIMITS__MAX_CONNECTIONS): invalid digit found in string"
        );
        // Caught by serde (a u32), and by validation: the variable named either way.
        let all = with("KEYHOLE_LIMITS__LOGINS_PER_MINUTE", "99999999999");
        assert!(
            all.starts_with(
                "limits.logins_per_minute (from KEYHOLE_LIMITS__LOGINS_PER_MINUTE): invalid value"
            ),
            "{all}"
        );
        let all = with("KEYHOLE_PUBLIC_URL", "ftp://example.com");
        assert!(
            all.starts_with("public_url (from KEYHOLE_PUBLIC_URL): must be"),
            "{all}"
        );
        let all = with("KEYHOLE_LIMITS__MAX_CONNECTIONS", "0");
        assert!(
            all.starts_with("limits.max_connections (from KEYHOLE_"),
            "{all}"
        );
        // serde's path has no index; the message gets it back.
        let all = with("KEYHOLE_PROVIDERS__AIHUBMIX__SCOPES", "[1, 2]");
        assert!(
            all.starts_with(
                "providers[0].scopes (from KEYHOLE_PROVIDERS__AIHUBMIX__SCOPES): invalid type"
            ),
            "{all}"
        );
        let all = with("KEYHOLE_PROVIDERS__AIHUBMIX__SCOPES", "[\"a\"");
        assert!(
            all.starts_with("providers[0].scopes (from KEYHOLE_PROVIDERS__AIHUBMIX__SCOPES): "),
            "{all}"
        );

        // A mistake in the file still shows its line.
        let file = format!("{GOOD}\n[limits]\nmax_connections = \"many\"");
        let all = problems(load(
            Some(&file),
            &[("KEYHOLE_LIMITS__CALLS_PER_MINUTE", "5")],
        ));
        assert!(
            all.contains("line ") && all.contains("max_connections"),
            "{all}"
        );
    }

    #[test]
    #[cfg(feature = "redis")]
    fn secrets_are_never_shown() {
        let loaded = load(
            Some(GOOD),
            &[
                ("KEYHOLE_SESSION__STORE", "redis://127.0.0.1:6379/0"),
                ("KEYHOLE_REDIS_PASSWORD", "redis-pw-9f2"),
                (
                    "KEYHOLE_PROVIDERS__AIHUBMIX__BASE_URL",
                    "http://user:url-pw-3c1@127.0.0.1:9000/a",
                ),
            ],
        )
        .unwrap();
        let shown = format!("{:?}", loaded.settings);
        let debug = format!("{loaded:?}");
        for secret in [SECRET, "redis-pw-9f2", "url-pw-3c1"] {
            assert!(!shown.contains(secret), "{secret} in:\n{shown}");
        }
        for secret in [SECRET, "redis-pw-9f2"] {
            assert!(!debug.contains(secret), "{secret} in:\n{debug}");
        }
        assert_eq!(
            setting(&loaded, "session.store").0,
            "\"redis://127.0.0.1:6379/0\""
        );
        let (value, _) = setting(&loaded, "providers[0].base_url");
        assert_eq!(value, "\"http://user:[redacted]@127.0.0.1:9000/a\"");
        // Refused in the store's variable as in the file, and not echoed.
        let all = problems(load(
            Some(GOOD),
            &[("KEYHOLE_SESSION__STORE", "redis://:pw-77@h:1/0")],
        ));
        assert!(
            all.contains("KEYHOLE_REDIS_PASSWORD") && !all.contains("pw-77"),
            "{all}"
        );
    }

    /// `KEYS` names every key of the file's shape outside `[[providers]]`,
    /// each with a type its field takes.
    #[test]
    fn every_key_has_its_variable() {
        let vars: BTreeMap<String, String> = KEYS
            .iter()
            .map(|(key, ty)| {
                let var = format!("KEYHOLE_{}", key.replace('.', "__").to_ascii_uppercase());
                let value = match ty {
                    Number => "1",
                    List => "a,b",
                    _ => "x",
                };
                (var, value.to_owned())
            })
            .collect();
        let merged = merge(None, &vars).unwrap_or_else(|e| panic!("{e}"));
        let mut leaves = Vec::new();
        let effective = Value::try_from(&merged.raw).unwrap();
        for (top, value) in effective.as_table().unwrap() {
            match value.as_table() {
                Some(table) => leaves.extend(table.keys().map(|k| format!("{top}.{k}"))),
                None if top != "providers" => leaves.push(top.clone()),
                None => {}
            }
        }
        let mut keys: Vec<String> = KEYS.iter().map(|(k, _)| (*k).to_owned()).collect();
        keys.sort();
        leaves.sort();
        assert_eq!(leaves, keys);
        assert_eq!(merged.env.len(), KEYS.len());
    }

    proptest::proptest! {
        /// Any variable is a setting, a problem or no key's, never a panic.
        #[test]
        fn arbitrary_variables_never_panic(
            name in "KEYHOLE_(PROVIDERS__|LIMITS__|SESSION__)?[A-Z_]{0,24}",
            value in "\\PC{0,40}",
        ) {
            let _ = load(Some(GOOD), &[(&name, &value)]);
            let _ = load(None, &[(&name, &value)]);
        }
    }
}
