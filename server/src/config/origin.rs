//! Where each setting came from (default, file or environment), for
//! `keyhole check-config --show`, and the entry points that read both.

use super::{
    Config, ConfigError,
    env::{Merged, merge},
    secret_env_var,
};
use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};
use toml::Value;

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Keyhole's default.
    Default,
    /// The config file.
    File,
    /// This environment variable.
    Env(String),
    /// A client secret's `client_secret_file`.
    SecretFile(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File => f.write_str("file"),
            Self::Env(var) => write!(f, "env {var}"),
            Self::SecretFile(path) => write!(f, "secret file {}", path.display()),
        }
    }
}

/// One setting in effect, as `keyhole check-config --show` lists it.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Its key path: `limits.max_connections`, `providers[0].base_url`.
    pub key: String,
    /// Its value as TOML; a client secret or a URL's password redacted.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

impl Setting {
    /// A setting; `value` must already be redacted.
    pub fn new(key: impl Into<String>, value: impl Into<String>, origin: Origin) -> Self {
        let (key, value) = (key.into(), value.into());
        Self { key, value, origin }
    }
}

/// A validated config and where each of its settings came from.
#[derive(Debug)]
pub struct Loaded {
    /// The config.
    pub config: Config,
    /// Every setting, by key.
    pub settings: Vec<Setting>,
}

impl Loaded {
    /// The file at `path` (`None`: no file) overlaid with the process
    /// environment, which also gives the secrets.
    pub fn read(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (text, vars) = process(path)?;
        Config::from_sources(text.as_deref(), vars)
    }
}

impl Config {
    /// Builds the config from `file` (the text of `keyhole.toml`; `None`
    /// for the environment alone) and the environment's `vars`: a key's
    /// variable overrides the file, and secrets are looked up among `vars`.
    /// Unlike [`Config::from_toml`], it sees every variable, so it can
    /// apply overrides and refuse one that names no key.
    pub fn from_sources(
        file: Option<&str>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, ConfigError> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let Merged { raw, file, env } = merge(file, &vars)?;
        let mut settings = Vec::new();
        if let Ok(effective) = Value::try_from(&raw) {
            walk(
                &effective,
                Some(&Value::Table(file)),
                "",
                &env,
                &mut settings,
            );
        }
        for (i, p) in raw.providers.iter().enumerate() {
            let origin = match (&p.client_secret_file, &p.client_secret_env) {
                (Some(path), _) => Origin::SecretFile(path.clone()),
                (None, Some(var)) => Origin::Env(var.clone()),
                (None, None) => Origin::Env(secret_env_var(p.id.as_deref().unwrap_or_default())),
            };
            let key = format!("providers[{i}].client_secret");
            settings.push(Setting::new(key, "[redacted]", origin));
        }
        settings.sort_by(|a, b| a.key.cmp(&b.key));
        let config = Config::validate(raw, &|name| vars.get(name).cloned()).map_err(|mut e| {
            // `public_url: …` → `public_url (from KEYHOLE_PUBLIC_URL): …`.
            for problem in &mut e.problems {
                let by_env = env
                    .iter()
                    .find(|(key, _)| problem.starts_with(&format!("{key}:")));
                if let Some((key, var)) = by_env {
                    *problem = format!("{key} (from {var}){}", &problem[key.len()..]);
                }
            }
            e
        })?;
        Ok(Loaded { config, settings })
    }
}

/// The text of the file at `path`, if any, and the process environment
/// (a variable whose name or value is not Unicode is no key's).
pub(super) fn process(
    path: Option<&Path>,
) -> Result<(Option<String>, BTreeMap<String, String>), ConfigError> {
    let vars = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    Ok((path.map(super::read).transpose()?, vars))
}

/// Each value in `effective` as a setting: from the environment when it or
/// a table above it was set there, else from the file when the file has
/// it, else a default.
fn walk(
    effective: &Value,
    file: Option<&Value>,
    key: &str,
    env: &BTreeMap<String, String>,
    out: &mut Vec<Setting>,
) {
    let dot = if key.is_empty() { "" } else { "." };
    match effective {
        Value::Table(table) => {
            for (k, v) in table {
                walk(
                    v,
                    file.and_then(|f| f.get(k)),
                    &format!("{key}{dot}{k}"),
                    env,
                    out,
                );
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_table) => {
            for (i, v) in items.iter().enumerate() {
                walk(
                    v,
                    file.and_then(|f| f.get(i)),
                    &format!("{key}[{i}]"),
                    env,
                    out,
                );
            }
        }
        value => {
            let by_env = env.iter().find(|(k, _)| {
                let rest = key.strip_prefix(k.as_str());
                rest.is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            });
            let origin = match by_env {
                Some((_, var)) => Origin::Env(var.clone()),
                None if file.is_some() => Origin::File,
                None => Origin::Default,
            };
            out.push(Setting::new(key, shown(value), origin));
        }
    }
}

/// `value` as TOML, with a URL's password redacted.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => match url::Url::parse(s) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("[redacted]"));
                let url = url.as_str().replace("%5Bredacted%5D", "[redacted]");
                Value::String(url).to_string()
            }
            _ => value.to_string(),
        },
        Value::Array(items) => {
            let items: Vec<_> = items.iter().map(shown).collect();
            format!("[{}]", items.join(", "))
        }
        _ => value.to_string(),
    }
}
