//! What the fuzz targets share: one Keyhole router over every provider kind,
//! built once per fuzzing process, and the encodings that let arbitrary
//! bytes reach a route.
//!
//! Layout: [`target`] (the router, its current-thread runtime and its
//! state), [`query`] and [`segment`] (bytes → URI text), [`line_signature`]
//! (a valid `x-line-signature`).
//!
//! Every provider is aimed at a loopback port nothing listens on: refusing
//! bad input needs no network, and a call that does go upstream (a webhook
//! event's reply) is refused at once instead of waiting for a timeout.

use axum::body::Body;
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use http::{Request, StatusCode};
use keyhole::{Keyhole, config::Config};
use sha2::Sha256;
use std::{sync::OnceLock, time::Duration};
use tokio::runtime::Runtime;

/// Where every provider's endpoints point (port 9 is closed on loopback).
const UNROUTABLE: &str = "http://127.0.0.1:9";

/// The app origin of the fuzz config.
pub const APP: &str = "http://127.0.0.1:8080";

/// The `line-bot` provider's channel secret, the key of webhook signatures.
pub const LINE_BOT_SECRET: &str = "fuzz-line-bot-channel-secret";

/// Longest a webhook's events may take to process before the target
/// reports it (libFuzzer's own `-timeout` is the backstop).
const SETTLE: Duration = Duration::from_secs(5);

/// The router under test, its runtime and its state.
#[derive(Debug)]
pub struct Target {
    runtime: Runtime,
    app: axum::Router,
    keyhole: Keyhole,
}

/// The one [`Target`] of this process, built on first use.
pub fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(Target::new)
}

/// Client secrets for the fuzz config: the LINE channel's is known to the
/// webhook target; there is no session key, so the memory store makes one.
fn secret(name: &str) -> Option<String> {
    match name {
        "KEYHOLE_LINE_BOT_CLIENT_SECRET" => Some(LINE_BOT_SECRET.to_owned()),
        n if n.starts_with("KEYHOLE_") && n.ends_with("_CLIENT_SECRET") => {
            Some("fuzz-client-secret".to_owned())
        }
        _ => None,
    }
}

impl Target {
    fn new() -> Self {
        // One thread: the fuzzer runs one input at a time, and spawned work
        // (the webhook queue's worker) runs while an input is being handled.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        // Every provider of the development config, one per kind.
        let dev = include_str!("../../dev/keyhole.dev.toml");
        let providers = &dev[dev
            .find("\n[[providers]]")
            .expect("providers in dev/keyhole.dev.toml")..];
        let text = format!(
            "public_url = \"{APP}\"\n[session]\nstore = \"memory\"\n\
             [upstream]\ntimeout_ms = 250\n{}",
            providers.replace("http://127.0.0.1:9000", UNROUTABLE)
        );
        let config = Config::from_toml(&text, &secret)
            .unwrap_or_else(|e| panic!("the fuzz config is refused: {e}"));
        let keyhole = runtime
            .block_on(Keyhole::open(config, &secret))
            .unwrap_or_else(|e| panic!("keyhole does not open: {e}"));
        let app = {
            let _inside = runtime.enter();
            keyhole::router(keyhole.clone())
        };
        Self {
            runtime,
            app,
            keyhole,
        }
    }

    /// Sends `request` through the router; the status and the body (lossy).
    pub fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        self.runtime.block_on(async {
            let response = tower::ServiceExt::oneshot(self.app.clone(), request)
                .await
                .unwrap_or_else(|never| match never {});
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            (status, String::from_utf8_lossy(&body).into_owned())
        })
    }

    /// Sends `request` and panics (a finding) if the answer is a 5xx.
    pub fn send_expecting_no_5xx(&self, request: Request<Body>) -> StatusCode {
        let what = format!("{} {}", request.method(), request.uri());
        let (status, body) = self.send(request);
        assert!(!status.is_server_error(), "{what} → {status}: {body}");
        status
    }

    /// Waits until the webhook queue has processed everything it accepted,
    /// so no input's work spills into the next one's.
    pub fn settle(&self) {
        self.runtime.block_on(async {
            tokio::time::timeout(SETTLE, self.keyhole.webhooks.idle())
                .await
                .expect("queued webhook events are processed within 5 s");
        });
    }
}

/// `bytes` as a query string: characters a query may hold stay as they are
/// (`&`, `=` and `%` included, so the fuzzer can write pairs and broken
/// escapes), everything else is percent-encoded.
pub fn query(bytes: &[u8]) -> String {
    encode(bytes, b"-._~!$&'()*+,;=:@/?%")
}

/// `bytes` as one path segment: like [`query`], but `/` and `?` are
/// encoded so the route stays the same.
pub fn segment(bytes: &[u8]) -> String {
    encode(bytes, b"-._~!$&'()*+,;=:@%")
}

fn encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `x-line-signature` of `body` under [`LINE_BOT_SECRET`].
pub fn line_signature(body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(LINE_BOT_SECRET.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Splits `bytes` at its first newline: the part before it, and the rest
/// (empty when there is no newline).
pub fn first_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|b| *b == b'\n') {
        Some(at) => (&bytes[..at], &bytes[at + 1..]),
        None => (bytes, &[]),
    }
}
