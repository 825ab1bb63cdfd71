//! Prometheus metrics (`GET /metrics`): logins by provider, mode and outcome,
//! refresh outcomes, upstream latency by provider and operation, webhook
//! events, and active sessions where the store can count them.

use keyhole_providers::upstream::UpstreamMetrics;
use prometheus_client::{
    encoding::text::{encode_eof, encode_registry},
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};
use std::{fmt, sync::Arc};

type Labels = Vec<(&'static str, String)>;

/// Every metric keyhole exports; cheap to share.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    logins_started: Family<Labels, Counter>,
    logins_finished: Family<Labels, Counter>,
    refreshes: Family<Labels, Counter>,
    upstream: UpstreamMetrics,
    webhook_events: Family<Labels, Counter>,
    /// Apart from `registry`: exported only when the store could count
    /// (never with Redis), so a missing count never reads as 0.
    sessions_registry: Registry,
    active_sessions: Gauge,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("keyhole");
        let logins_started = Family::<Labels, Counter>::default();
        let logins_finished = Family::<Labels, Counter>::default();
        let refreshes = Family::<Labels, Counter>::default();
        let upstream = UpstreamMetrics::default();
        let webhook_events = Family::<Labels, Counter>::default();
        let active_sessions = Gauge::default();
        registry.register(
            "logins_started",
            "Logins started, by provider and mode",
            logins_started.clone(),
        );
        registry.register(
            "logins_finished",
            "Logins finished, by provider, mode and outcome (ok or an error code)",
            logins_finished.clone(),
        );
        registry.register(
            "token_refreshes",
            "Access-token refreshes, by provider and outcome",
            refreshes.clone(),
        );
        registry.register(
            "upstream_request_seconds",
            "Provider call latency, by provider, operation and outcome",
            upstream.family().clone(),
        );
        registry.register(
            "webhook_events",
            "Webhook events received, by provider and type",
            webhook_events.clone(),
        );
        let mut sessions_registry = Registry::with_prefix("keyhole");
        sessions_registry.register(
            "active_sessions",
            "Sessions in the store (absent when the store cannot count them)",
            active_sessions.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                logins_started,
                logins_finished,
                refreshes,
                upstream,
                webhook_events,
                sessions_registry,
                active_sessions,
            }),
        }
    }

    /// A login was started.
    pub fn login_started(&self, provider: &str, mode: &str) {
        self.inner
            .logins_started
            .get_or_create(&vec![
                ("provider", provider.to_owned()),
                ("mode", mode.to_owned()),
            ])
            .inc();
    }

    /// A login callback ended with `outcome` (`ok` or an error code).
    pub fn login_finished(&self, provider: &str, mode: &str, outcome: &str) {
        self.inner
            .logins_finished
            .get_or_create(&vec![
                ("provider", provider.to_owned()),
                ("mode", mode.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
    }

    /// A refresh ended with `outcome` (`ok`, `reused`, `invalid_grant`, `error`).
    pub fn refresh(&self, provider: &str, outcome: &str) {
        self.inner
            .refreshes
            .get_or_create(&vec![
                ("provider", provider.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
    }

    /// The upstream latency histogram, for the provider layer to record in.
    pub fn upstream(&self) -> UpstreamMetrics {
        self.inner.upstream.clone()
    }

    /// A webhook event of `kind` arrived.
    pub fn webhook_event(&self, provider: &str, kind: &str) {
        self.inner
            .webhook_events
            .get_or_create(&vec![
                ("provider", provider.to_owned()),
                ("type", kind.to_owned()),
            ])
            .inc();
    }

    /// The Prometheus text exposition, with the active-session count when
    /// there is one.
    pub fn render(&self, active_sessions: Option<u64>) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode_registry(&mut out, &self.inner.registry);
        if let Some(n) = active_sessions {
            self.inner
                .active_sessions
                .set(i64::try_from(n).unwrap_or(i64::MAX));
            let _ = encode_registry(&mut out, &self.inner.sessions_registry);
        }
        let _ = encode_eof(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let m = Metrics::new();
        m.login_started("line", "popup");
        m.login_finished("line", "popup", "ok");
        // The provider layer records upstream calls into this family.
        m.upstream()
            .family()
            .get_or_create(&vec![("provider", "line".to_owned())])
            .observe(0.02);
        let text = m.render(Some(3));
        assert!(
            text.contains(r#"keyhole_logins_started_total{provider="line",mode="popup"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"outcome="ok"} 1"#));
        assert!(text.contains("keyhole_upstream_request_seconds_bucket"));
        assert!(text.contains("keyhole_active_sessions 3"));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new();
        m.webhook_event("line-bot", "a\"b\\c\nd");
        let text = m.render(None);
        assert!(text.contains(r#"type="a\"b\\c\nd""#), "{text}");
    }

    #[test]
    fn without_a_count_the_session_gauge_is_absent_not_zero() {
        let m = Metrics::new();
        assert!(m.render(Some(2)).contains("keyhole_active_sessions 2"));
        let text = m.render(None);
        assert!(!text.contains("keyhole_active_sessions"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
