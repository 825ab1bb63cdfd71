//! Rate limits, per instance and in memory (governor's GCRA): login starts
//! and callbacks per client address, login starts per browser, provider
//! calls per session. Over a limit: 429 `rate_limited` with `Retry-After`.

use crate::{config::Limits, error::ApiError};
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};
use http::HeaderMap;
use std::{fmt, net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

/// Keys a limiter may hold before its idle ones are dropped at once (the
/// sweep drops them every minute anyway): the limiter's memory is bounded.
const MAX_KEYS: usize = 100_000;

/// The limiters of one Keyhole; cheap to share.
#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    logins: DefaultKeyedRateLimiter<IpAddr>,
    browsers: DefaultKeyedRateLimiter<String>,
    calls: DefaultKeyedRateLimiter<String>,
    trusted: Vec<IpAddr>,
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Throttle")
    }
}

fn per(n: u32, period: Duration) -> Quota {
    let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    // `n` at once, then one every period/n.
    Quota::with_period(period / n.get())
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(n)
}

impl Throttle {
    /// Limiters for `limits`.
    pub fn new(limits: &Limits) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            inner: Arc::new(Inner {
                logins: DefaultKeyedRateLimiter::keyed(per(limits.logins_per_minute, minute)),
                browsers: DefaultKeyedRateLimiter::keyed(per(
                    limits.logins_per_browser,
                    Duration::from_secs(600),
                )),
                calls: DefaultKeyedRateLimiter::keyed(per(limits.calls_per_minute, minute)),
                trusted: limits.trusted_proxies.clone(),
            }),
        }
    }

    /// A login start or callback from `client` (no limit without an
    /// address: a host serving without `ConnectInfo`).
    pub fn login(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        match client {
            Some(ip) => check(&self.inner.logins, &ip),
            None => Ok(()),
        }
    }

    /// A login start by the browser with this binding hash.
    pub fn browser(&self, binding_hash: &str) -> Result<(), ApiError> {
        check(&self.inner.browsers, &binding_hash.to_owned())
    }

    /// A provider call in the session whose id hashes to `session_hash`.
    pub fn call(&self, session_hash: &str) -> Result<(), ApiError> {
        check(&self.inner.calls, &session_hash.to_owned())
    }

    /// Drops the state of keys that have been quiet long enough to be back
    /// at a full allowance.
    pub fn prune(&self) {
        self.inner.logins.retain_recent();
        self.inner.browsers.retain_recent();
        self.inner.calls.retain_recent();
    }

    /// The client's address: the peer, or — when the peer is a trusted
    /// proxy — the nearest address in `X-Forwarded-For` that is not one.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.inner.trusted.contains(&peer) {
            return Some(peer);
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|a| !self.inner.trusted.contains(a))
                .unwrap_or(peer),
        )
    }
}

fn check<K: Clone + std::hash::Hash + Eq>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), ApiError> {
    if limiter.len() > MAX_KEYS {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::rate_limited(wait.as_secs().max(1))
    })
}
