//! `[limits]`: how long a request and its headers may take, and how many
//! connections are served at once.

use serde::Deserialize;
use std::time::Duration;

/// Limits that keep slow or numerous clients from taking the server down.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest a request may take inside Keyhole before it answers 503
    /// `timeout` (`request_timeout_ms`, default 60 000).
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's headers
    /// (`header_read_timeout_ms`, default 10 000).
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait to be accepted
    /// (`max_connections`, default 4096).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
        }
    }
}

/// `[limits]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawLimits {
    request_timeout_ms: u64,
    header_read_timeout_ms: u64,
    max_connections: usize,
}

impl Default for RawLimits {
    fn default() -> Self {
        let d = Limits::default();
        Self {
            request_timeout_ms: millis(d.request_timeout),
            header_read_timeout_ms: millis(d.header_read_timeout),
            max_connections: d.max_connections,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The validated limits; problems go to `problems`.
pub(super) fn limits(raw: &RawLimits, problems: &mut Vec<String>) -> Limits {
    for (key, ms) in [
        ("request_timeout_ms", raw.request_timeout_ms),
        ("header_read_timeout_ms", raw.header_read_timeout_ms),
    ] {
        if !(1..=600_000).contains(&ms) {
            problems.push(format!("limits.{key}: from 1 ms to 10 minutes"));
        }
    }
    if !(1..=1_000_000).contains(&raw.max_connections) {
        problems.push("limits.max_connections: from 1 to 1000000".to_owned());
    }
    Limits {
        request_timeout: Duration::from_millis(raw.request_timeout_ms),
        header_read_timeout: Duration::from_millis(raw.header_read_timeout_ms),
        max_connections: raw.max_connections,
    }
}
