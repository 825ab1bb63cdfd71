//! `[limits]`: how long a request and its headers may take, how many
//! connections are served at once, and how often a client, a browser or a
//! session may do what costs.

use serde::{Deserialize, Serialize};
use std::{net::IpAddr, time::Duration};

/// Limits that keep slow, numerous or greedy clients from taking the
/// server (or a shared provider quota) down.
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
    /// Login starts and callbacks per client address and minute
    /// (`logins_per_minute`, default 30).
    pub logins_per_minute: u32,
    /// Login starts per browser in ten minutes, the lifetime of a pending
    /// login (`logins_per_browser`, default 10).
    pub logins_per_browser: u32,
    /// Provider calls (balance, top-up, friendship, notify, message) per
    /// session and minute (`calls_per_minute`, default 60).
    pub calls_per_minute: u32,
    /// Notifications and pushes per session and minute, counted in the
    /// session store so every instance shares the count: the provider's
    /// quota is the whole deployment's (`sends_per_minute`, default 10).
    pub sends_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client
    /// (`trusted_proxies`, default none: the peer address is the client).
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            logins_per_minute: 30,
            logins_per_browser: 10,
            calls_per_minute: 60,
            sends_per_minute: 10,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `[limits]` as written.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawLimits {
    request_timeout_ms: u64,
    header_read_timeout_ms: u64,
    max_connections: usize,
    logins_per_minute: u32,
    logins_per_browser: u32,
    calls_per_minute: u32,
    sends_per_minute: u32,
    trusted_proxies: Vec<String>,
}

impl Default for RawLimits {
    fn default() -> Self {
        let d = Limits::default();
        Self {
            request_timeout_ms: millis(d.request_timeout),
            header_read_timeout_ms: millis(d.header_read_timeout),
            max_connections: d.max_connections,
            logins_per_minute: d.logins_per_minute,
            logins_per_browser: d.logins_per_browser,
            calls_per_minute: d.calls_per_minute,
            sends_per_minute: d.sends_per_minute,
            trusted_proxies: Vec::new(),
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
    for (key, n) in [
        ("logins_per_minute", raw.logins_per_minute),
        ("logins_per_browser", raw.logins_per_browser),
        ("calls_per_minute", raw.calls_per_minute),
        ("sends_per_minute", raw.sends_per_minute),
    ] {
        if n == 0 {
            problems.push(format!("limits.{key}: at least 1"));
        }
    }
    let trusted_proxies = raw
        .trusted_proxies
        .iter()
        .filter_map(|p| {
            p.parse()
                .map_err(|_| {
                    problems.push(format!(
                        "limits.trusted_proxies: `{p}` is not an IP address"
                    ))
                })
                .ok()
        })
        .collect();
    Limits {
        request_timeout: Duration::from_millis(raw.request_timeout_ms),
        header_read_timeout: Duration::from_millis(raw.header_read_timeout_ms),
        max_connections: raw.max_connections,
        logins_per_minute: raw.logins_per_minute,
        logins_per_browser: raw.logins_per_browser,
        calls_per_minute: raw.calls_per_minute,
        sends_per_minute: raw.sends_per_minute,
        trusted_proxies,
    }
}
