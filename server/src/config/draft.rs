//! The file as read before a provider is registered (`keyhole aihubmix
//! register-app`): the top level checked as usual, the `[[providers]]`
//! entries only read, since their client ids and secrets may not exist yet.

use super::{Config, ConfigError, EnvLookup, env, origin, parse, raw::RawConfig};

/// A config file whose providers are not validated.
#[derive(Debug)]
pub struct Draft {
    /// The top-level settings, validated, with no providers.
    pub config: Config,
    /// Each `[[providers]]` entry as written.
    pub providers: Vec<DraftProvider>,
}

/// One `[[providers]]` entry, unchecked.
#[derive(Debug)]
pub struct DraftProvider {
    /// `id` (empty when missing).
    pub id: String,
    /// `kind` (empty when missing).
    pub kind: String,
    /// The kind options (`base_url`, …).
    pub options: toml::Table,
}

impl Draft {
    /// Reads the file at `path` (`None`: no file) overlaid with the process
    /// environment, as [`Config::from_sources`] does.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let (text, vars) = origin::process(path)?;
        let raw = env::merge(text.as_deref(), &vars)?.raw;
        Self::from_raw(raw, &|name| vars.get(name).cloned())
    }

    /// Parses `text`: the top level validated (`env` as for
    /// [`Config::from_toml`]), the providers kept as written.
    pub fn from_toml(text: &str, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        Self::from_raw(parse(text)?, env)
    }

    fn from_raw(mut raw: RawConfig, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let providers = std::mem::take(&mut raw.providers)
            .into_iter()
            .map(|p| DraftProvider {
                id: p.id.unwrap_or_default(),
                kind: p.kind.unwrap_or_default(),
                options: p.options,
            })
            .collect();
        Ok(Self {
            config: Config::validate(raw, env)?,
            providers,
        })
    }

    /// The entry with this id, if the file has one.
    pub fn provider(&self, id: &str) -> Option<&DraftProvider> {
        self.providers.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No client id and no secret yet: the draft still reads, and its
    /// redirect URIs are the server's.
    #[test]
    fn providers_need_no_client_id_or_secret() {
        let text = r#"
            public_url = "https://app.example.com"
            base_path = "/auth"
            [[providers]]
            id = "aihubmix"
            kind = "aihubmix"
            base_url = "http://127.0.0.1:9000/aihubmix"
        "#;
        let draft = Draft::from_toml(text, &|_| None).unwrap();
        assert!(draft.config.providers.is_empty());
        let entry = draft.provider("aihubmix").unwrap();
        assert_eq!(entry.kind, "aihubmix");
        assert_eq!(
            entry.options["base_url"].as_str(),
            Some("http://127.0.0.1:9000/aihubmix")
        );
        assert_eq!(
            draft.config.redirect_uri("aihubmix"),
            "https://app.example.com/auth/auth/aihubmix/callback"
        );
        assert!(Config::from_toml(text, &|_| None).is_err());
    }

    #[test]
    fn the_top_level_is_still_checked() {
        let err = Draft::from_toml("public_url = \"ftp://x\"\nbase_path = \"api\"", &|_| None)
            .unwrap_err();
        assert_eq!(err.problems.len(), 2, "{:?}", err.problems);
    }
}
