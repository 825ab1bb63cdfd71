//! The `keyhole` binary itself, as operators run it.

#![allow(clippy::unwrap_used)]

mod keyhole_binary;

use keyhole_binary::KeyholeBinary;
use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// Starts `keyhole serve` with a memory store and returns its first log lines.
fn first_log_lines(extra_env: &[(&str, &str)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "keyhole-binary-{}-{}",
        std::process::id(),
        &keyhole::session::random_token()[..8]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("keyhole.toml");
    std::fs::write(
        &config,
        "public_url = \"http://127.0.0.1:8080\"\nbind = \"127.0.0.1:0\"\n\
         [session]\nstore = \"memory\"\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyhole"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .envs(extra_env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The start-up line ("listening"), within a generous bound.
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) {
        let done = line.contains("listening");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    lines
}

#[test]
fn logs_to_a_file_or_pipe_carry_no_terminal_colour_codes() {
    let lines = first_log_lines(&[]);
    let listening = lines.iter().find(|l| l.contains("listening"));
    let listening = listening.unwrap_or_else(|| panic!("no start-up line in {lines:?}"));
    assert!(listening.contains("INFO"), "{listening}");
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "escape codes in a piped log: {lines:?}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let lines = first_log_lines(&[("KEYHOLE_LOG_FORMAT", "json")]);
    assert!(!lines.is_empty());
    for line in &lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value["level"].is_string(), "{line}");
    }
}

/// With `metrics_bind`, `/metrics` answers on the private listener only;
/// the probes answer on both, so a load balancer keeps finding them.
#[tokio::test]
async fn metrics_bind_moves_metrics_off_the_public_listener() {
    let keyhole = KeyholeBinary::start(
        "public_url = \"http://127.0.0.1:8080\"\nbind = \"127.0.0.1:0\"\n\
         [session]\nstore = \"memory\"\n",
        &[("KEYHOLE_METRICS_BIND".to_owned(), "127.0.0.1:0".to_owned())],
    );
    let private = keyhole
        .metrics_url()
        .unwrap_or_else(|| panic!("no metrics listener; log:\n{}", keyhole.log_tail()));
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let response = http.get(&url).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let (status, body) = get(format!("{private}/metrics")).await;
    assert_eq!(status, 200);
    assert!(body.contains("keyhole_"), "{body}");
    let (status, body) = get(format!("{}/metrics", keyhole.url())).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("keyhole_"), "{body}");
    for probe in ["/healthz", "/readyz"] {
        assert_eq!(get(format!("{private}{probe}")).await.0, 200, "{probe}");
        assert_eq!(
            get(format!("{}{probe}", keyhole.url())).await.0,
            200,
            "{probe}"
        );
    }
}
