//! `keyhole aihubmix register-app`: the real binary against an in-process
//! simulator. What it prints is enough to sign in, the secret lands only in a
//! private new file (or on stdout when asked), and every failure is one line
//! that never shows the developer token.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{APP, Harness, Jar, config_text, spawn_sim};
use keyhole::{Keyhole, config::Config, register_app::TOKEN_VAR};
use provider_sim::{SimHandle, dev};
use std::path::PathBuf;

/// A private temporary directory holding a `keyhole.toml` aimed at a simulator.
struct Dir(PathBuf);

impl Dir {
    fn new(sim: &SimHandle) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "keyhole-register-{}-{}",
            std::process::id(),
            &keyhole::session::random_token()[..8]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("keyhole.toml"), config_text(&sim.base_url, "", "")).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of the binary.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The one line of a failed run.
    fn error(&self) -> &str {
        assert!(!self.ok, "succeeded: {}", self.stdout);
        let line = self.stderr.trim();
        assert_eq!(line.lines().count(), 1, "not one line: {line}");
        line
    }

    /// The `[[providers]]` entry it printed.
    fn snippet(&self) -> &str {
        assert!(self.ok, "failed: {}", self.stderr);
        &self.stdout[self.stdout.find("[[providers]]").unwrap()..]
    }

    /// The value after `key: ` on its line of stdout.
    fn field(&self, key: &str) -> &str {
        let start = self.stdout.find(&format!("{key}: ")).unwrap() + key.len() + 2;
        self.stdout[start..].lines().next().unwrap()
    }
}

/// `keyhole aihubmix register-app --config DIR/keyhole.toml ARGS` in `dir`,
/// with `token` as the developer token (unset when `None`).
async fn run(dir: &Dir, token: Option<&str>, args: &[&str]) -> Run {
    run_logging(dir, token, args, "info").await
}

/// [`run`] with `RUST_LOG=log`.
async fn run_logging(dir: &Dir, token: Option<&str>, args: &[&str], log: &str) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_keyhole"));
    command
        .args(["aihubmix", "register-app", "--config"])
        .arg(dir.path("keyhole.toml"))
        .args(args)
        .current_dir(&dir.0)
        .env_remove(TOKEN_VAR)
        .env_remove("KEYHOLE_CONFIG")
        // An inherited RUST_BACKTRACE=1 would add anyhow's backtrace.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("RUST_LOG", log);
    if let Some(token) = token {
        command.env(TOKEN_VAR, token);
    }
    let output = command.output().await.unwrap();
    let run = Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    if let Some(token) = token {
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(!text.contains(token), "the token is on {name}: {text}");
        }
    }
    run
}

const TOKEN: &str = dev::AIHUBMIX_DEVELOPER_TOKEN;

async fn sim_json(
    sim: &SimHandle,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    common::sim_admin(&reqwest::Client::new(), sim, method, path, body).await
}

async fn registrations(sim: &SimHandle) -> u64 {
    let counters = sim_json(
        sim,
        reqwest::Method::GET,
        "/counters",
        serde_json::Value::Null,
    )
    .await;
    counters["aihubmix.oauth_apps"].as_u64().unwrap()
}

/// Signs a person in through a keyhole whose only provider is `entry` (a
/// printed snippet), with the secret from `env`; panics unless it works.
async fn sign_in_with(sim: SimHandle, entry: &str, env: &dyn Fn(&str) -> Option<String>) {
    let text = format!("public_url = \"{APP}\"\n[session]\nstore = \"memory\"\n{entry}");
    let config = Config::from_toml(&text, env).unwrap();
    let h = Harness::with_state(sim, Keyhole::in_memory(config).unwrap());
    let mut jar = Jar::default();
    let done = h.sign_in(&mut jar).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    let me = h.get("/api/me", &mut jar).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        me.json()["connections"][0]["provider"],
        "aihubmix",
        "{}",
        me.body
    );
}

/// Success: the secret goes to a new 0600 file, stdout has the client id and
/// a `[[providers]]` entry without the secret, and that entry, pasted as is,
/// signs a person in at the default redirect URI.
#[tokio::test]
async fn registers_an_app_whose_printed_entry_signs_in() {
    let sim = spawn_sim().await;
    let dir = Dir::new(&sim);
    let secret_path = dir.path("aihubmix.secret");
    // Every log line on, down to the HTTP client's: still no token, no secret.
    let out = run_logging(
        &dir,
        Some(TOKEN),
        &[
            "--name",
            "Keyhole test",
            "--secret-file",
            secret_path.to_str().unwrap(),
        ],
        "trace",
    )
    .await;
    assert!(out.ok, "{}", out.stderr);
    let secret = std::fs::read_to_string(&secret_path)
        .unwrap()
        .trim()
        .to_owned();
    assert!(secret.starts_with("secret_"), "{secret}");
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let client_id = out.field("client_id");
    assert!(client_id.starts_with("client_"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("{APP}/api/auth/aihubmix/callback"))
    );
    let entry = out.snippet();
    assert!(
        entry.contains(&format!("client_id = \"{client_id}\"")),
        "{entry}"
    );
    assert!(entry.contains("KEYHOLE_AIHUBMIX_CLIENT_SECRET"), "{entry}");

    // The entry reads its secret from the file it names.
    sign_in_with(sim, entry, &|_| None).await;
}

/// `--print-secret` prints the secret and writes no file; with the secret in
/// the variable the entry names, the app signs in.
#[tokio::test]
async fn print_secret_prints_it_and_writes_nothing() {
    let sim = spawn_sim().await;
    let dir = Dir::new(&sim);
    let out = run(&dir, Some(TOKEN), &["--name", "Printed", "--print-secret"]).await;
    assert!(out.ok, "{}", out.stderr);
    let secret = out.field("client_secret").to_owned();
    assert!(secret.starts_with("secret_"), "{}", out.stdout);
    assert!(!out.snippet().contains(&secret));
    assert!(!dir.path("aihubmix.client_secret").exists());
    let files = std::fs::read_dir(&dir.0).unwrap().count();
    assert_eq!(files, 1, "only keyhole.toml");
    sign_in_with(sim, out.snippet(), &|name| {
        (name == "KEYHOLE_AIHUBMIX_CLIENT_SECRET").then(|| secret.clone())
    })
    .await;
}

/// No token, or one AIHubMix refuses: a one-line error naming the variable,
/// nothing registered, no secret file left behind.
#[tokio::test]
async fn a_missing_or_refused_token_fails_cleanly() {
    let sim = spawn_sim().await;
    let dir = Dir::new(&sim);
    let out = run(&dir, None, &["--name", "app"]).await;
    assert!(out.error().contains(TOKEN_VAR), "{}", out.stderr);
    assert_eq!(registrations(&sim).await, 0);

    let wrong = "wrong-developer-token-1234";
    let out = run(&dir, Some(wrong), &["--name", "app"]).await;
    let line = out.error();
    assert!(
        line.contains("refused the developer token (HTTP 401)"),
        "{line}"
    );
    assert!(line.contains(TOKEN_VAR), "{line}");
    assert_eq!(registrations(&sim).await, 1);
    assert!(!dir.path("aihubmix.client_secret").exists());
}

/// A name already taken shows AIHubMix's message; an existing secret file is
/// never overwritten, and is refused before anything is registered.
#[tokio::test]
async fn duplicate_names_and_existing_files_are_refused() {
    let sim = spawn_sim().await;
    let dir = Dir::new(&sim);
    let first = run(&dir, Some(TOKEN), &["--name", "Twice"]).await;
    assert!(first.ok, "{}", first.stderr);
    // Without --secret-file, the secret goes to ./aihubmix.client_secret.
    let default_file = dir.path("aihubmix.client_secret");
    let secret = std::fs::read_to_string(&default_file).unwrap();

    let other = dir.path("other.secret");
    let out = run(
        &dir,
        Some(TOKEN),
        &["--name", "Twice", "--secret-file", other.to_str().unwrap()],
    )
    .await;
    let line = out.error();
    assert!(line.contains("did not register the app"), "{line}");
    assert!(
        line.contains(r#"an app named "Twice" already exists"#),
        "{line}"
    );
    assert!(!other.exists(), "an empty secret file was left behind");

    let before = registrations(&sim).await;
    let out = run(&dir, Some(TOKEN), &["--name", "Another"]).await;
    assert!(
        out.error().contains("already exists, not overwriting"),
        "{}",
        out.stderr
    );
    assert_eq!(
        registrations(&sim).await,
        before,
        "checked before registering"
    );
    assert_eq!(std::fs::read_to_string(&default_file).unwrap(), secret);
}

/// An outage, a timeout, a body that is not the envelope, and a message full
/// of terminal escapes: each one escaped line, nothing left behind.
#[tokio::test]
async fn outages_and_garbage_are_one_line_errors() {
    let sim = spawn_sim().await;
    let dir = Dir::new(&sim);
    let cases = [
        (serde_json::json!({"status": 502}), "HTTP 502"),
        // The test config's upstream timeout is 1.5 s.
        (serde_json::json!({"latency_ms": 4000}), "timed out"),
        (
            serde_json::json!({"body": "<html>oops</html>", "content_type": "text/html"}),
            "malformed",
        ),
        (
            serde_json::json!({"body": "{\"success\":false,\"message\":\"\\u001b[31mred\\u202e\"}"}),
            r"\u{1b}[31mred\u{202e}",
        ),
    ];
    for (fault, needle) in cases {
        let mut fault = fault;
        fault["endpoint"] = "aihubmix.oauth_apps".into();
        sim_json(&sim, reqwest::Method::POST, "/faults", fault.clone()).await;
        let out = run(&dir, Some(TOKEN), &["--name", "app"]).await;
        let line = out.error();
        assert!(line.contains(needle), "{fault}: {line}");
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{202e}'),
            "{line}"
        );
        assert!(!dir.path("aihubmix.client_secret").exists(), "{fault}");
    }

    // Nobody listening at the configured base URL.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let text = config_text(&format!("http://{closed}"), "", "");
    std::fs::write(dir.path("keyhole.toml"), text).unwrap();
    let out = run(&dir, Some(TOKEN), &["--name", "app"]).await;
    let line = out.error();
    assert!(line.contains("connection failed"), "{line}");
    assert!(
        line.contains(&format!("http://{closed}/aihubmix/api/oauth_apps")),
        "{line}"
    );
}
