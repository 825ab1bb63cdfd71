//! The one path to a provider: every upstream request goes through [`Http`],
//! which never follows a redirect, applies the connect and total timeouts,
//! caps the body it reads, times the call into the metrics under the
//! provider's configured id, and maps failures to [`ProviderError`].

use crate::config::UpstreamConfig;
use oauth2::AccessToken;
use prometheus_client::metrics::{
    family::Family,
    histogram::{Histogram, exponential_buckets},
};
use reqwest::{RequestBuilder, StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;
use std::{
    sync::{Arc, RwLock},
    time::Instant,
};
use tracing::Instrument;
use url::Url;

/// Largest upstream body read; a provider answering more is broken.
pub const MAX_BODY: usize = 1024 * 1024;

/// Why a provider call failed. Callers branch on the variant.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused the grant with an OAuth error code
    /// (`invalid_grant` means the person must sign in again).
    #[error("provider rejected the request: {error} {}", description.as_deref().unwrap_or(""))]
    Rejected {
        /// OAuth error code as sent (e.g. `invalid_grant`).
        error: String,
        /// Provider's description, attacker-controlled text.
        description: Option<String>,
    },
    /// The access token was refused (HTTP 401): refresh once and retry.
    #[error("provider refused the access token")]
    Unauthorized,
    /// Network failure, timeout, or a 5xx: the grant is kept.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The provider answered something we cannot parse.
    #[error("provider sent a malformed response: {0}")]
    Malformed(String),
    /// The provider's rate limit is exhausted (with its numbers, if sent).
    #[error("provider rate limit reached")]
    RateLimited(Option<keyhole_api::RateLimit>),
    /// This provider does not have that feature.
    #[error("not supported by this provider")]
    NotSupported,
}

impl ProviderError {
    /// Whether the refresh token is dead and the person must sign in again.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Self::Rejected { error, .. } if error == "invalid_grant")
    }
}

type Labels = Vec<(&'static str, String)>;

/// Upstream call latency by provider, operation and outcome: a Prometheus
/// histogram family for the host to register (`upstream_request_seconds`).
#[derive(Clone)]
pub struct UpstreamMetrics {
    family: Family<Labels, Histogram>,
}

impl std::fmt::Debug for UpstreamMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamMetrics")
    }
}

impl Default for UpstreamMetrics {
    fn default() -> Self {
        // 5 ms … ~10 s.
        let buckets = || Histogram::new(exponential_buckets(0.005, 2.0, 12));
        Self {
            family: Family::new_with_constructor(buckets),
        }
    }
}

impl UpstreamMetrics {
    /// The family to register.
    pub fn family(&self) -> &Family<Labels, Histogram> {
        &self.family
    }

    /// The histogram of one provider, operation and outcome, created on
    /// first use.
    fn histogram(&self, provider: &str, operation: &'static str, ok: bool) -> Histogram {
        let outcome = if ok { "ok" } else { "error" };
        self.family
            .get_or_create(&vec![
                ("provider", provider.to_owned()),
                ("operation", operation.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .clone()
    }
}

/// One provider's histograms, by operation and outcome, looked up in the
/// family once: a call then observes without building or hashing labels.
/// A short list, scanned: a provider has a handful of operations.
#[derive(Clone, Default)]
struct Resolved(Arc<RwLock<Vec<Handle>>>);

/// An operation, whether it succeeded, and its histogram.
type Handle = (&'static str, bool, Histogram);

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resolved")
    }
}

/// The shared client and what every call reports to; one per Keyhole.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    metrics: UpstreamMetrics,
}

impl Upstream {
    /// The one client: no redirects (following them opens the client to SSRF
    /// and would hand bearer tokens to another host), bounded timeouts.
    pub fn new(config: &UpstreamConfig, metrics: UpstreamMetrics) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("keyhole/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, metrics })
    }

    /// A handle for the provider with this configured id: the id becomes the
    /// metric label, so it must come from the config, never from a request.
    pub fn for_provider(&self, id: &str) -> Http {
        Http {
            upstream: self.clone(),
            provider: id.into(),
            resolved: Resolved::default(),
        }
    }
}

/// Upstream calls on behalf of one configured provider. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Http {
    upstream: Upstream,
    provider: Arc<str>,
    /// Shared by the handle's clones.
    resolved: Resolved,
}

/// A provider's answer, its body read in full (within the cap).
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, at most the cap.
    pub body: Vec<u8>,
}

impl Http {
    /// The provider id this handle reports as.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// A GET to start building; only [`Http::send`] may send it (the one
    /// path: never call `.send()` on the builder).
    pub fn get(&self, url: &Url) -> RequestBuilder {
        self.upstream.client.get(url.clone())
    }

    /// A POST to start building; only [`Http::send`] may send it.
    pub fn post(&self, url: &Url) -> RequestBuilder {
        self.upstream.client.post(url.clone())
    }

    /// Sends `request` and reads its body. `operation` names the call in the
    /// metrics and the span; transport failures and oversized bodies are
    /// errors, any HTTP status is an answer.
    pub async fn send(
        &self,
        operation: &'static str,
        request: RequestBuilder,
    ) -> Result<Reply, ProviderError> {
        let span = tracing::debug_span!("upstream", provider = %self.provider, operation);
        let started = Instant::now();
        let result = self.read(request).instrument(span).await;
        let ok = matches!(&result, Ok(r) if r.status.is_success());
        self.observe(operation, ok, started.elapsed().as_secs_f64());
        result
    }

    fn observe(&self, operation: &'static str, ok: bool, seconds: f64) {
        let matches = |(op, outcome, _): &&Handle| *op == operation && *outcome == ok;
        {
            let resolved = self.resolved.0.read().unwrap_or_else(|p| p.into_inner());
            if let Some((_, _, histogram)) = resolved.iter().find(matches) {
                histogram.observe(seconds);
                return;
            }
        }
        let histogram = self
            .upstream
            .metrics
            .histogram(&self.provider, operation, ok);
        histogram.observe(seconds);
        let mut resolved = self.resolved.0.write().unwrap_or_else(|p| p.into_inner());
        if !resolved.iter().any(|entry| matches(&entry)) {
            resolved.push((operation, ok, histogram));
        }
    }

    async fn read(&self, request: RequestBuilder) -> Result<Reply, ProviderError> {
        let mut response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let cap = MAX_BODY;
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
            if body.len() + chunk.len() > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(
            status = status.as_u16(),
            bytes = body.len(),
            "upstream answered"
        );
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// GETs `url` with a bearer token and parses a JSON body.
    /// 401 → [`ProviderError::Unauthorized`]; other non-2xx → unavailable.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &Url,
        token: &AccessToken,
    ) -> Result<T, ProviderError> {
        let request = self
            .get(url)
            .bearer_auth(token.secret())
            .header(reqwest::header::ACCEPT, "application/json");
        self.send(operation, request)
            .await?
            .success(operation)?
            .json(operation)
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A token endpoint's body holds tokens: only its size is printed.
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// This reply if its status is 2xx: 401 is [`ProviderError::Unauthorized`],
    /// anything else unavailable.
    pub fn success(self, what: &str) -> Result<Self, ProviderError> {
        match self.status {
            s if s.is_success() => Ok(self),
            StatusCode::UNAUTHORIZED => Err(ProviderError::Unauthorized),
            s => Err(ProviderError::Unavailable(format!("{what}: HTTP {s}"))),
        }
    }

    /// This reply if its status is 2xx, else unavailable: for endpoints
    /// that take no bearer token (discovery, key sets), where a 401 says
    /// nothing about the person's grant.
    pub fn available(self, what: &str) -> Result<Self, ProviderError> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(ProviderError::Unavailable(format!(
                "{what}: HTTP {}",
                self.status
            )))
        }
    }

    /// The body as JSON. A failure names only its class: the body may hold
    /// tokens, so it is never echoed.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let class = match e.classify() {
                serde_json::error::Category::Io => "io error",
                serde_json::error::Category::Syntax => "not JSON",
                serde_json::error::Category::Data => "unexpected fields",
                serde_json::error::Category::Eof => "truncated",
            };
            ProviderError::Malformed(format!("{what}: {class}"))
        })
    }
}

fn too_large() -> ProviderError {
    ProviderError::Malformed("response too large".to_owned())
}

/// Describes a transport error without its URL (a URL may carry a token).
fn transport(e: &reqwest::Error) -> ProviderError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "response body failed"
    } else {
        "request failed"
    };
    ProviderError::Unavailable(kind.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_prints_its_size_never_its_body() {
        let reply = Reply {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: br#"{"access_token":"secret-token"}"#.to_vec(),
        };
        let printed = format!("{reply:?}");
        assert!(!printed.contains("secret-token"), "{printed}");
        assert!(printed.contains("bytes: 31"), "{printed}");
    }

    #[test]
    fn only_bearer_endpoints_turn_401_into_unauthorized() {
        let reply = |status| Reply {
            status,
            headers: HeaderMap::new(),
            body: Vec::new(),
        };
        assert!(matches!(
            reply(StatusCode::UNAUTHORIZED).success("userinfo"),
            Err(ProviderError::Unauthorized)
        ));
        assert!(matches!(
            reply(StatusCode::UNAUTHORIZED).available("jwks"),
            Err(ProviderError::Unavailable(_))
        ));
        assert!(reply(StatusCode::OK).available("jwks").is_ok());
    }

    /// Observations through the resolved handles land in the registered
    /// family, each under its own labels, whichever clone of the handle
    /// made them.
    #[test]
    fn calls_are_counted_under_their_labels_through_resolved_handles() {
        use prometheus_client::{encoding::text::encode, registry::Registry};
        let metrics = UpstreamMetrics::default();
        let mut registry = Registry::default();
        registry.register("upstream", "calls", metrics.family().clone());
        let config = UpstreamConfig {
            connect_timeout: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(1),
        };
        let upstream = Upstream::new(&config, metrics).unwrap();
        let http = upstream.for_provider("aihubmix");
        let copy = http.clone();
        for _ in 0..3 {
            http.observe("balance", true, 0.01);
        }
        copy.observe("balance", true, 0.01);
        copy.observe("balance", false, 0.01);
        http.observe("exchange", true, 0.01);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        for (labels, count) in [
            (r#"provider="aihubmix",operation="balance",outcome="ok""#, 4),
            (
                r#"provider="aihubmix",operation="balance",outcome="error""#,
                1,
            ),
            (
                r#"provider="aihubmix",operation="exchange",outcome="ok""#,
                1,
            ),
        ] {
            let line = format!("upstream_count{{{labels}}} {count}");
            assert!(text.contains(&line), "{line} not in:\n{text}");
        }
    }
}
