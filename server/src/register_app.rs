//! `keyhole aihubmix register-app`: registers an OAuth app at AIHubMix with the
//! developer's token, keeps its secret out of sight, and prints the
//! `[[providers]]` entry that uses it.

use crate::{
    config::{Draft, EnvLookup, UpstreamConfig, is_valid_id, secret_env_var},
    providers::aihubmix::{self, NewApp, RegisterError},
    upstream::{Upstream, UpstreamMetrics},
};
use anyhow::{Context, anyhow, bail};
use oauth2::AccessToken;
use std::{
    fs::File,
    io::Write,
    path::{Path, PathBuf},
};
use url::Url;

/// The variable holding the developer token: never a flag, which shell
/// history and `ps` would keep.
pub const TOKEN_VAR: &str = "AIHUBMIX_DEVELOPER_TOKEN";

/// `keyhole aihubmix register-app` (the developer token comes from
/// `AIHUBMIX_DEVELOPER_TOKEN`).
#[derive(Debug, clap::Args)]
pub struct RegisterApp {
    /// The app's name at AIHubMix, shown on its consent page.
    #[arg(long)]
    name: String,
    /// The app's one redirect URI [default: the config's public_url and
    /// base_path + /auth/{provider}/callback, as keyhole sends it].
    #[arg(long)]
    redirect_uri: Option<String>,
    /// What the app is, for AIHubMix's records.
    #[arg(long, default_value = "Sign-in through Keyhole")]
    description: String,
    /// The provider id the app is for: it names the callback path and the
    /// secret's variable; its `[[providers]]` entry's `base_url`, if any, is
    /// where the app is registered.
    #[arg(long, default_value = "aihubmix")]
    provider: String,
    /// A new file for the client secret, created with mode 0600; an existing
    /// file is never overwritten [default: ./{provider}.client_secret].
    #[arg(long, conflicts_with = "print_secret")]
    secret_file: Option<PathBuf>,
    /// Print the client secret instead of writing it to a file.
    #[arg(long)]
    print_secret: bool,
}

/// Where and how to register, from the flags and the config.
#[derive(Debug)]
struct Target {
    url: Url,
    redirect_uri: String,
    /// The entry's `base_url`, carried into the printed entry.
    base_url: Option<String>,
    upstream: UpstreamConfig,
}

impl RegisterApp {
    /// Registers the app; every failure is one line for the operator, and
    /// neither the token nor (unless asked) the secret is ever printed.
    pub async fn run(self, config: Option<&Path>, env: EnvLookup<'_>) -> anyhow::Result<()> {
        let target = self.target(&Draft::load(config)?)?;
        let token = env(TOKEN_VAR)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                anyhow!("{TOKEN_VAR} is not set: export your AIHubMix developer token")
            })?;
        let token = AccessToken::new(token);
        // Created before registering: a secret with nowhere to go is lost.
        let default_file = || format!("{}.client_secret", self.provider).into();
        let sink = (!self.print_secret)
            .then(|| SecretFile::create(self.secret_file.clone().unwrap_or_else(default_file)))
            .transpose()?;
        let http = Upstream::new(&target.upstream, UpstreamMetrics::default())?
            .for_provider(&self.provider);
        let app = NewApp {
            name: &self.name,
            description: &self.description,
            redirect_uri: &target.redirect_uri,
        };
        let registered = match aihubmix::register_app(&http, &target.url, &token, &app).await {
            Ok(registered) => registered,
            Err(e) => {
                if let Some(sink) = sink {
                    sink.discard();
                }
                return Err(match e {
                    RegisterError::TokenRefused(_) => anyhow!("{e}: check {TOKEN_VAR}"),
                    RegisterError::Refused(_) => anyhow!("{e}"),
                    RegisterError::Provider(_) => anyhow!("{}: {e}", target.url),
                });
            }
        };
        let secret = registered.client_secret.secret();
        let client_id = &registered.client_id;
        let (secret_line, secret_file) = match sink {
            Some(sink) => {
                let path = sink.write(secret).with_context(|| {
                    format!("app registered (client_id {client_id}), but its secret is lost")
                })?;
                let line = format!("written to {} (mode 0600)", path.display());
                (line, Some(path))
            }
            None => (secret.clone(), None),
        };
        println!(
            "Registered AIHubMix app {:?} for {}",
            self.name, target.redirect_uri
        );
        println!("client_id: {client_id}");
        println!("client_secret: {secret_line}");
        println!("\nAdd this to keyhole.toml (or put the client_id in the existing entry):\n");
        print!(
            "{}",
            snippet(
                &self.provider,
                client_id,
                target.base_url.as_deref(),
                secret_file.as_deref()
            )
        );
        Ok(())
    }

    fn target(&self, draft: &Draft) -> anyhow::Result<Target> {
        let id = &self.provider;
        if !is_valid_id(id) {
            bail!("--provider: `{id}` must use only a-z, 0-9 and `-`");
        }
        let base_url = match draft.provider(id).map(|p| (p.kind.as_str(), &p.options)) {
            None => None,
            Some((kind, _)) if kind != "aihubmix" => {
                bail!("provider `{id}` is of kind `{kind}`, not aihubmix")
            }
            Some((_, options)) => match options.get("base_url") {
                None => None,
                Some(toml::Value::String(url)) => Some(url.clone()),
                Some(_) => bail!("provider `{id}`: base_url must be a string"),
            },
        };
        let base = base_url.as_deref().unwrap_or(aihubmix::DEFAULT_API_BASE);
        Ok(Target {
            url: aihubmix::apps_url(base).map_err(|e| anyhow!("provider `{id}`: {e}"))?,
            redirect_uri: match &self.redirect_uri {
                Some(uri) => uri.clone(),
                // The one rule keyhole itself sends redirect URIs by.
                None => draft.config.redirect_uri(id),
            },
            base_url,
            upstream: draft.config.upstream.clone(),
        })
    }
}

/// The `[[providers]]` entry for the new app: no secret, only where it is.
fn snippet(
    id: &str,
    client_id: &str,
    base_url: Option<&str>,
    secret_file: Option<&Path>,
) -> String {
    // TOML's own quoting: the client id is the provider's text.
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = format!(
        "[[providers]]\nid = {}\nkind = \"aihubmix\"\nname = \"AIHubMix\"\nclient_id = {}\n",
        quote(id),
        quote(client_id)
    );
    if let Some(base_url) = base_url {
        out += &format!("base_url = {}\n", quote(base_url));
    }
    let var = secret_env_var(id);
    match secret_file {
        Some(path) => {
            out += &format!("client_secret_file = {}\n", quote(&path.to_string_lossy()));
            out += &format!("# or, without client_secret_file, the secret in {var}\n");
        }
        None => out += &format!("# the client secret goes in the environment variable {var}\n"),
    }
    out
}

/// The secret's file: new, owner-only, removed again if nothing is written.
#[derive(Debug)]
struct SecretFile {
    path: PathBuf,
    file: File,
}

impl SecretFile {
    fn create(path: PathBuf) -> anyhow::Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => Ok(Self { path, file }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
                "{}: already exists, not overwriting it (choose another --secret-file)",
                path.display()
            ),
            Err(e) => bail!("{}: cannot create: {e}", path.display()),
        }
    }

    /// Writes `secret`; returns the file's absolute path.
    fn write(mut self, secret: &str) -> std::io::Result<PathBuf> {
        self.file.write_all(format!("{secret}\n").as_bytes())?;
        self.file.sync_all()?;
        std::path::absolute(&self.path)
    }

    /// Removes the still empty file.
    fn discard(self) {
        drop(self.file);
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(provider: &str, redirect_uri: Option<&str>) -> RegisterApp {
        RegisterApp {
            name: "app".to_owned(),
            redirect_uri: redirect_uri.map(str::to_owned),
            description: String::new(),
            provider: provider.to_owned(),
            secret_file: None,
            print_secret: true,
        }
    }

    fn draft(text: &str) -> Draft {
        Draft::from_toml(text, &|_| None).unwrap()
    }

    /// The default redirect URI is keyhole's own, base path included; the
    /// flag wins; the entry's `base_url` says where to register.
    #[test]
    fn redirect_uri_defaults_to_the_servers_callback() {
        let d = draft(
            r#"
            public_url = "https://app.example.com"
            base_path = "/auth/"
            [[providers]]
            id = "ai-2"
            kind = "aihubmix"
            base_url = "http://127.0.0.1:9000/aihubmix/"
            "#,
        );
        let t = command("ai-2", None).target(&d).unwrap();
        assert_eq!(
            t.redirect_uri,
            "https://app.example.com/auth/auth/ai-2/callback"
        );
        assert_eq!(t.redirect_uri, d.config.redirect_uri("ai-2"));
        assert_eq!(
            t.url.as_str(),
            "http://127.0.0.1:9000/aihubmix/api/oauth_apps"
        );

        let t = command("ai-2", Some("https://other.example/cb"))
            .target(&d)
            .unwrap();
        assert_eq!(t.redirect_uri, "https://other.example/cb");

        // No entry yet: AIHubMix itself, and the default base path `/api`.
        let d = draft("public_url = \"http://127.0.0.1:8080\"");
        let t = command("aihubmix", None).target(&d).unwrap();
        assert_eq!(
            t.redirect_uri,
            "http://127.0.0.1:8080/api/auth/aihubmix/callback"
        );
        assert_eq!(t.url.as_str(), "https://api.aihubmix.com/api/oauth_apps");
        assert_eq!(t.base_url, None);
    }

    #[test]
    fn refuses_a_bad_id_and_another_kind() {
        let d =
            draft("public_url = \"http://a\"\n[[providers]]\nid = \"line\"\nkind = \"line-login\"");
        let e = command("line", None).target(&d).unwrap_err().to_string();
        assert!(e.contains("kind `line-login`"), "{e}");
        let e = command("Bad Id", None).target(&d).unwrap_err().to_string();
        assert!(e.contains("--provider"), "{e}");
    }

    #[test]
    fn the_snippet_names_the_secret_never_holds_it() {
        let s = snippet("ai-2", "client_\"x", Some("http://sim/aihubmix"), None);
        let table: toml::Table = toml::from_str(&s).unwrap();
        let entry = &table["providers"][0];
        assert_eq!(entry["client_id"].as_str(), Some("client_\"x"));
        assert_eq!(entry["base_url"].as_str(), Some("http://sim/aihubmix"));
        assert!(s.contains("KEYHOLE_AI_2_CLIENT_SECRET"), "{s}");
        let s = snippet("aihubmix", "c", None, Some(Path::new("/tmp/s")));
        assert!(s.contains("client_secret_file = \"/tmp/s\""), "{s}");
        assert!(!s.contains("base_url"), "{s}");
    }
}
