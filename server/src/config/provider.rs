//! One `[[providers]]` entry checked, with its client secret looked up.

use super::{EnvLookup, KINDS, ProviderConfig, raw::RawProvider};
use oauth2::ClientSecret;

/// Whether `id` can name a provider: a-z, 0-9 and `-`, since it is a URL
/// segment and part of a variable name.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The variable a provider's client secret is read from by default:
/// `KEYHOLE_<ID>_CLIENT_SECRET`, id upper-cased, `-` → `_`.
pub fn secret_env_var(id: &str) -> String {
    format!(
        "KEYHOLE_{}_CLIENT_SECRET",
        id.to_ascii_uppercase().replace('-', "_")
    )
}

/// The provider at `at` (e.g. `providers[0]`), or `None` with its problems
/// added to `problems`.
pub(super) fn validate_provider(
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
    } else if !is_valid_id(&id) {
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

    let default_env = secret_env_var(&id);
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
    use crate::config::{
        Config,
        tests::{GOOD, env_with},
    };

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
