//! A log capture of a whole login, refresh and logout holds no secret,
//! token, code, state or session id. Alone in its test binary: `tracing`
//! caches per-callsite interest process-wide, so a thread-local subscriber
//! beside other tests could miss events.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{APP, Harness, Jar};
use provider_sim::dev;
use std::{
    io::Write,
    sync::{Arc, Mutex},
};

/// Callback query → form fields.
fn fields_of(callback: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(&format!("{APP}{callback}")).unwrap();
    url.query_pairs().into_owned().collect()
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_full_login_logs_no_secret_token_code_or_session_id() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let callback = h.approved_callback(&mut jar, "popup").await;
    h.get(&callback, &mut jar).await;
    // Expire the token at the provider: refresh, retry, then log out.
    h.admin(
        reqwest::Method::POST,
        "/clock/advance",
        serde_json::json!({"seconds": 7300}),
    )
    .await;
    assert_eq!(
        h.get("/api/me/aihubmix/balance", &mut jar).await.status,
        StatusCode::OK
    );
    h.post_app("/api/auth/logout", &mut jar).await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("login completed"), "capture works: {logs}");
    assert!(logs.contains("access token refreshed"));
    let fields = fields_of(&callback);
    let mut secrets: Vec<String> = fields
        .into_iter()
        .filter(|(k, _)| k == "code" || k == "state")
        .map(|(_, v)| v)
        .collect();
    secrets.push(dev::AIHUBMIX_CLIENT_SECRET.to_owned());
    secrets.extend(jar.0.values().cloned());
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "logged: {secret}");
    }
    // Token shapes of the simulator: refresh tokens and JWT-looking access tokens.
    for shape in ["refresh_", "eyJ"] {
        let leaked: Vec<&str> = logs.lines().filter(|l| l.contains(shape)).collect();
        assert!(leaked.is_empty(), "token-like text in logs: {leaked:?}");
    }
}
