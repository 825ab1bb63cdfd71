//! `keyhole check-config`, as an operator runs it: exit 0 and a one-line
//! summary for a good config (with `--show`, every setting and where it came
//! from); otherwise a non-zero exit and every problem named with its key
//! path. No secret from the environment is ever printed.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

const AIHUBMIX_SECRET: &str = "aihubmix-SECRET-7f3a9c";
const LINE_SECRET: &str = "line-SECRET-0b5e21";
const REDIS_PASSWORD: &str = "redis-SECRET-c4d8e6";
/// 32 bytes, base64url: a valid session key.
const SESSION_KEY: &str = "c2Vzc2lvbi1TRUNSRVQta2V5LTMyLWJ5dGVzLWxvbmc";

const GOOD: &str = r#"
public_url = "http://127.0.0.1:8080"
[session]
store = "memory"
[[providers]]
id = "aihubmix"
kind = "aihubmix"
name = "AIHubMix"
client_id = "client_abc"
base_url = "http://127.0.0.1:9000/aihubmix"
[[providers]]
id = "line"
kind = "line-login"
name = "LINE"
client_id = "1234567890"
api_base = "http://127.0.0.1:9000/line"
"#;

/// Runs `keyhole check-config` on `config` with `env` (and both client
/// secrets unless `env` removes one by giving it empty); its output.
fn check(config: &str, env: &[(&str, &str)]) -> (Output, String) {
    run(Some(config), &[], env)
}

/// Runs `keyhole check-config ARGS` in an empty directory, with `--config`
/// naming a file holding `config` if any, and with `env` as `check` does.
fn run(config: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let dir = std::env::temp_dir().join(format!(
        "keyhole-check-config-{}-{}",
        std::process::id(),
        &keyhole::session::random_token()[..8]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyhole"));
    command.current_dir(&dir).arg("check-config").args(args);
    if let Some(config) = config {
        let file = dir.join("keyhole.toml");
        std::fs::write(&file, config).unwrap();
        command.arg("--config").arg(&file);
    }
    // As an operator's shell has it: none of the test run's own settings.
    for (name, _) in std::env::vars() {
        if name.starts_with("KEYHOLE_") || name.starts_with("RUST_") {
            command.env_remove(name);
        }
    }
    command
        .env("KEYHOLE_AIHUBMIX_CLIENT_SECRET", AIHUBMIX_SECRET)
        .env("KEYHOLE_LINE_CLIENT_SECRET", LINE_SECRET);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in [AIHUBMIX_SECRET, LINE_SECRET, REDIS_PASSWORD, SESSION_KEY] {
        assert!(!text.contains(secret), "a secret was printed:\n{text}");
    }
    (output, text)
}

/// A good config: exit 0, one line naming the file, its providers and the
/// session store.
#[test]
fn a_good_config_passes_with_a_short_summary() {
    let (output, text) = check(GOOD, &[]);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].contains("keyhole.toml: ok"), "{stdout}");
    for part in [
        "aihubmix [aihubmix]",
        "line [line-login]",
        "sessions in memory",
    ] {
        assert!(lines[0].contains(part), "`{part}` missing: {stdout}");
    }

    // Redis with its password and the shared session key, both from the
    // environment: still nothing of either printed.
    let redis = GOOD.replace(
        r#"store = "memory""#,
        r#"store = "redis://127.0.0.1:6390/0""#,
    );
    let (output, text) = check(
        &redis,
        &[
            ("KEYHOLE_REDIS_PASSWORD", REDIS_PASSWORD),
            ("KEYHOLE_SESSION_KEY", SESSION_KEY),
        ],
    );
    assert!(output.status.success(), "{text}");
    assert!(text.contains("sessions in Redis"), "{text}");
}

/// A bad config: what is wrong, the file, extra environment, and what the
/// message must name.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

/// Each kind of mistake fails with a message naming the key at fault, and
/// several at once are all reported.
/// The example config of the release package (`cargo xtask dist`), as
/// shipped: valid with its one secret in the environment and no session key
/// (the SQLite store generates one), so an operator starts from a file that
/// works. `cargo xtask test` runs it, filled in, against the simulator.
#[test]
fn the_packaged_example_config_passes_as_shipped() {
    let example = include_str!("../../packaging/keyhole.toml.example");
    let (output, text) = check(example, &[]);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for part in ["aihubmix [aihubmix]", "SQLite /var/lib/keyhole/keyhole.db"] {
        assert!(stdout.contains(part), "`{part}` missing: {stdout}");
    }
}

#[test]
fn a_bad_config_fails_naming_each_problem() {
    let unknown_kind = GOOD.replace(r#"kind = "line-login""#, r#"kind = "line-logon""#);
    let bad_url = GOOD.replace(
        r#"api_base = "http://127.0.0.1:9000/line""#,
        r#"api_base = "not a url""#,
    );
    let bad_public_url = GOOD.replace("http://127.0.0.1:8080", "ftp://127.0.0.1:8080");
    let cases: [Case<'_>; 7] = [
        (
            "unknown kind",
            &unknown_kind,
            &[],
            &["providers[1].kind: unknown kind `line-logon`"],
        ),
        (
            "missing secret",
            GOOD,
            &[("KEYHOLE_LINE_CLIENT_SECRET", "")],
            &[
                "providers[1]: client secret missing",
                "KEYHOLE_LINE_CLIENT_SECRET",
            ],
        ),
        ("bad URL", &bad_url, &[], &["providers[1].api_base"]),
        ("bad public_url", &bad_public_url, &[], &["public_url"]),
        (
            "bad metrics_bind",
            GOOD,
            &[("KEYHOLE_METRICS_BIND", "localhost")],
            &["metrics_bind (from KEYHOLE_METRICS_BIND): invalid socket address"],
        ),
        (
            "metrics_bind on bind",
            GOOD,
            &[
                ("KEYHOLE_BIND", "127.0.0.1:3000"),
                ("KEYHOLE_METRICS_BIND", "127.0.0.1:3000"),
            ],
            &["metrics_bind", "must differ from bind"],
        ),
        (
            "Redis without the shared key",
            &GOOD.replace(
                r#"store = "memory""#,
                r#"store = "redis://127.0.0.1:6390/0""#,
            ),
            &[("KEYHOLE_REDIS_PASSWORD", REDIS_PASSWORD)],
            &["KEYHOLE_SESSION_KEY"],
        ),
    ];
    for (what, config, env, expected) in cases {
        let (output, text) = check(config, env);
        assert!(!output.status.success(), "{what}: {text}");
        assert!(
            output.stdout.is_empty(),
            "{what}: nothing on stdout: {text}"
        );
        for needle in expected {
            assert!(
                text.contains(needle),
                "{what}: `{needle}` missing in:\n{text}"
            );
        }
    }

    // Every problem at once, not only the first.
    let all = unknown_kind.replace("http://127.0.0.1:8080", "ftp://127.0.0.1:8080");
    let (output, text) = check(&all, &[("KEYHOLE_AIHUBMIX_CLIENT_SECRET", "")]);
    assert!(!output.status.success());
    for needle in [
        "public_url",
        "providers[0]: client secret missing",
        "providers[1].kind: unknown kind",
    ] {
        assert!(text.contains(needle), "`{needle}` missing in:\n{text}");
    }

    // A malformed session key is refused without being echoed.
    let (output, text) = check(GOOD, &[("KEYHOLE_SESSION_KEY", "not-a-key-SECRET-9e1d")]);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("KEYHOLE_SESSION_KEY"), "{text}");
    assert!(!text.contains("not-a-key-SECRET-9e1d"), "{text}");
}

/// `--show` lists every setting with its value and where it came from:
/// Keyhole's default, the file, or the variable that overrode the file.
/// Secrets show as `[redacted]` with the variable or file they came from.
#[test]
fn show_lists_where_each_setting_came_from() {
    let redis = GOOD.replace(
        r#"store = "memory""#,
        r#"store = "redis://127.0.0.1:6390/0""#,
    );
    let (output, text) = run(
        Some(&redis),
        &["--show"],
        &[
            ("KEYHOLE_LIMITS__MAX_CONNECTIONS", "100"),
            (
                "KEYHOLE_PROVIDERS__LINE__API_BASE",
                "http://127.0.0.1:9001/line",
            ),
            ("KEYHOLE_REDIS_PASSWORD", REDIS_PASSWORD),
            ("KEYHOLE_SESSION_KEY", SESSION_KEY),
            // Not keys: they keep their meaning and are not listed.
            ("KEYHOLE_LOG_FORMAT", "json"),
            ("KEYHOLE_SIM_URL", "http://127.0.0.1:9"),
        ],
    );
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let row = |key: &str| {
        let found = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key));
        let words: Vec<String> = found
            .unwrap_or_else(|| panic!("no {key} in:\n{stdout}"))
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect();
        words.join(" ")
    };
    assert!(
        stdout.lines().next().unwrap().contains("keyhole.toml: ok"),
        "{stdout}"
    );
    assert_eq!(
        row("limits.max_connections"),
        "100 env KEYHOLE_LIMITS__MAX_CONNECTIONS"
    );
    assert_eq!(row("limits.logins_per_minute"), "30 default");
    assert_eq!(row("public_url"), "\"http://127.0.0.1:8080\" file");
    assert_eq!(
        row("providers[1].api_base"),
        "\"http://127.0.0.1:9001/line\" env KEYHOLE_PROVIDERS__LINE__API_BASE"
    );
    assert_eq!(row("providers[1].kind"), "\"line-login\" file");
    assert_eq!(
        row("providers[0].client_secret"),
        "[redacted] env KEYHOLE_AIHUBMIX_CLIENT_SECRET"
    );
    assert_eq!(row("session.store"), "\"redis://127.0.0.1:6390/0\" file");
    let rows: Vec<String> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for row in [
        "session key [redacted] env KEYHOLE_SESSION_KEY",
        "Redis password [redacted] env KEYHOLE_REDIS_PASSWORD",
    ] {
        assert!(
            rows.iter().any(|r| r == row),
            "`{row}` missing in:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("KEYHOLE_LOG_FORMAT") && !stdout.contains("SIM_URL"),
        "{stdout}"
    );
}

/// With no file (no `--config`, no `KEYHOLE_CONFIG`, no `./keyhole.toml`)
/// the environment alone is the config; an explicit file must exist.
#[test]
fn the_environment_alone_is_a_config() {
    let env = [
        ("KEYHOLE_PUBLIC_URL", "https://app.example.com"),
        ("KEYHOLE_SESSION__STORE", "memory"),
        ("KEYHOLE_PROVIDERS__AIHUBMIX__KIND", "aihubmix"),
        ("KEYHOLE_PROVIDERS__AIHUBMIX__CLIENT_ID", "client_abc"),
        (
            "KEYHOLE_PROVIDERS__AIHUBMIX__BASE_URL",
            "http://127.0.0.1:9000/aihubmix",
        ),
    ];
    let (output, text) = run(None, &["--show"], &env);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with(
            "environment (no config file): ok (providers: aihubmix [aihubmix]; sessions in memory)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("env KEYHOLE_PROVIDERS__AIHUBMIX__KIND"),
        "{stdout}"
    );
    assert!(!stdout.contains(" file\n"), "nothing from a file: {stdout}");

    // Nothing at all: the one required key is named, with its variable.
    let (output, text) = run(None, &[], &[]);
    assert!(!output.status.success(), "{text}");
    for needle in [
        "no config file",
        "public_url: required",
        "KEYHOLE_PUBLIC_URL",
    ] {
        assert!(text.contains(needle), "`{needle}` missing in:\n{text}");
    }
    // A file named by KEYHOLE_CONFIG must exist.
    let (output, text) = run(
        None,
        &[],
        &[("KEYHOLE_CONFIG", "/nonexistent/keyhole.toml")],
    );
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("/nonexistent/keyhole.toml: cannot read"),
        "{text}"
    );
}

/// A bad or unknown override fails naming the key path and the variable.
#[test]
fn a_bad_override_fails_naming_its_variable() {
    let cases: [Case<'_>; 4] = [
        (
            "not a number",
            GOOD,
            &[("KEYHOLE_LIMITS__MAX_CONNECTIONS", "abc")],
            &["limits.max_connections (from KEYHOLE_LIMITS__MAX_CONNECTIONS): invalid digit"],
        ),
        (
            "a typo",
            GOOD,
            &[("KEYHOLE_LIMITS__MAX_CONECTIONS", "5")],
            &["KEYHOLE_LIMITS__MAX_CONECTIONS: names no config key"],
        ),
        (
            "an unknown provider",
            GOOD,
            &[("KEYHOLE_PROVIDERS__NOPE__BASE_URL", "http://x")],
            &[
                "KEYHOLE_PROVIDERS__NOPE__BASE_URL: no provider `nope`",
                "KEYHOLE_PROVIDERS__NOPE__KIND",
            ],
        ),
        (
            "a bad kind option",
            GOOD,
            &[("KEYHOLE_PROVIDERS__LINE__API_BASE", "not a url")],
            &["providers[1].api_base"],
        ),
    ];
    for (what, config, env, expected) in cases {
        let (output, text) = check(config, env);
        assert!(!output.status.success(), "{what}: {text}");
        assert!(
            output.stdout.is_empty(),
            "{what}: nothing on stdout: {text}"
        );
        for needle in expected {
            assert!(
                text.contains(needle),
                "{what}: `{needle}` missing in:\n{text}"
            );
        }
    }
}
