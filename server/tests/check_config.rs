//! `keyhole check-config`, as an operator runs it: exit 0 and a one-line
//! summary for a good config; otherwise a non-zero exit and every problem
//! named with its key path. No secret from the environment is ever printed.

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
    let dir = std::env::temp_dir().join(format!(
        "keyhole-check-config-{}-{}",
        std::process::id(),
        &keyhole::session::random_token()[..8]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keyhole.toml");
    std::fs::write(&file, config).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyhole"));
    command.arg("check-config").arg("--config").arg(&file);
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
    let cases: [Case<'_>; 5] = [
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
