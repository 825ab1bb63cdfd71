//! Call counters and injected faults, both keyed by endpoint name (`"aihubmix.token"`).

use std::{collections::BTreeMap, time::Duration};

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

use crate::net::Conn;

/// How often each endpoint was called since the last reset.
///
/// Known keys start at zero so a test can read `counters["aihubmix.userinfo"]`
/// before the first call. A `BTreeMap` keeps the JSON output sorted.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub(crate) struct Counters(BTreeMap<String, u64>);

impl Counters {
    pub(crate) fn seeded(keys: &[&str]) -> Self {
        Self(keys.iter().map(|key| ((*key).to_owned(), 0)).collect())
    }

    pub(crate) fn bump(&mut self, key: &str) {
        *self.0.entry(key.to_owned()).or_default() += 1;
    }
}

/// One queued fault, as posted to `POST /_sim/faults`.
///
/// Played in this order: wait `latency_ms`; then hang up if `drop`; otherwise
/// answer `status` / `body` if either is set; otherwise run the endpoint
/// normally (a pure latency fault).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FaultSpec {
    pub(crate) endpoint: String,
    /// How many of the next calls get this fault.
    #[serde(default = "one")]
    pub(crate) count: u32,
    pub(crate) status: Option<u16>,
    pub(crate) latency_ms: Option<u64>,
    /// Sent verbatim; `"not json"` makes a malformed-body fault.
    pub(crate) body: Option<String>,
    /// Content type of `body`; JSON by default, since the point of a malformed
    /// body is usually a server that claims JSON and sends something else.
    pub(crate) content_type: Option<String>,
    #[serde(default)]
    pub(crate) drop: bool,
}

fn one() -> u32 {
    1
}

/// Faults waiting for their endpoint, oldest first.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub(crate) struct Faults(Vec<FaultSpec>);

impl Faults {
    pub(crate) fn push(&mut self, fault: FaultSpec) {
        self.0.push(fault);
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// Takes one use of the oldest fault queued for `endpoint`.
    pub(crate) fn take(&mut self, endpoint: &str) -> Option<FaultSpec> {
        let index = self.0.iter().position(|fault| fault.endpoint == endpoint)?;
        let fault = &mut self.0[index];
        fault.count = fault.count.saturating_sub(1);
        if fault.count == 0 {
            Some(self.0.remove(index))
        } else {
            Some(fault.clone())
        }
    }
}

/// Plays `fault`; `Some` is the response to send instead of running the endpoint.
pub(crate) async fn play(fault: FaultSpec, conn: &Conn) -> Option<Response> {
    tracing::info!(endpoint = %fault.endpoint, "playing injected fault");
    if let Some(latency) = fault.latency_ms {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if fault.drop {
        if conn.hang_up() {
            // Never reaches the client: the connection fails on the first write.
            return Some(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
        // No connection to drop (router driven by `oneshot`): the nearest thing.
        return Some(
            (StatusCode::INTERNAL_SERVER_ERROR, [("x-sim-fault", "drop")]).into_response(),
        );
    }
    if fault.status.is_none() && fault.body.is_none() {
        return None;
    }
    // Admin validation guarantees a valid status; 200 is the "malformed body" default.
    let status = fault
        .status
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    let body = fault.body.unwrap_or_else(|| {
        serde_json::json!({
            "error": "temporarily_unavailable",
            "error_description": "injected fault",
        })
        .to_string()
    });
    let content_type = fault
        .content_type
        .and_then(|value| HeaderValue::try_from(value).ok())
        .unwrap_or(HeaderValue::from_static("application/json"));
    Some((status, [(header::CONTENT_TYPE, content_type)], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(endpoint: &str, count: u32, status: u16) -> FaultSpec {
        FaultSpec {
            endpoint: endpoint.to_owned(),
            count,
            status: Some(status),
            latency_ms: None,
            body: None,
            content_type: None,
            drop: false,
        }
    }

    #[test]
    fn faults_are_used_up_in_order() {
        let mut faults = Faults::default();
        faults.push(fault("a", 2, 500));
        faults.push(fault("a", 1, 503));
        faults.push(fault("b", 1, 502));
        let statuses: Vec<Option<u16>> = std::iter::from_fn(|| faults.take("a"))
            .map(|fault| fault.status)
            .collect();
        assert_eq!(statuses, [Some(500), Some(500), Some(503)]);
        assert_eq!(faults.take("b").and_then(|fault| fault.status), Some(502));
        assert!(faults.take("b").is_none());
    }

    #[test]
    fn counters_start_with_known_keys() {
        let counters = Counters::seeded(&["aihubmix.token.refresh_token"]);
        let json = serde_json::to_value(&counters).expect("serializes");
        assert_eq!(json["aihubmix.token.refresh_token"], 0);
    }
}
