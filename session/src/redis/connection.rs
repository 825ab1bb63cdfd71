//! The connection to Redis: opening it, and running each command under the deadline.
//!
//! A dropped connection gets one retry; see [`RedisBackend::run`] for why
//! that is safe.

use super::RedisBackend;
use crate::backend::StoreError;
use redis::{
    Client, IntoConnectionInfo, RedisResult,
    aio::{ConnectionManager, ConnectionManagerConfig},
    io::tcp::TcpSettings,
};
use std::{future::Future, time::Duration};

impl RedisBackend {
    /// A backend for `url` (`redis://host:port/db`, or `rediss://` for TLS
    /// checked against the system's roots), with every key under `prefix`
    /// and every command bounded by `timeout`.
    ///
    /// Connects lazily: a Redis that is down at start-up makes requests
    /// answer 503 until it comes up, rather than keeping keyhole down.
    /// Call it within a Tokio runtime: the connection manager spawns a task.
    pub fn open(url: &str, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        let bad = |e: redis::RedisError| StoreError(format!("redis: invalid URL: {e}"));
        let info = url.into_connection_info().map_err(bad)?;
        let addr = info.addr().to_string();
        let mut tcp = TcpSettings::default().set_nodelay(true);
        // A peer that vanished without a reset (network partition, host
        // down) would otherwise keep the connection "open" for the kernel's
        // full retransmission time: drop it once writes go unacknowledged.
        #[cfg(target_os = "linux")]
        {
            tcp = tcp.set_user_timeout(timeout.saturating_mul(2));
        }
        let client = Client::open(info.set_tcp_settings(tcp)).map_err(bad)?;
        // Few, short reconnect retries: while Redis is down each request
        // fails fast and starts the next attempt itself; our own deadline
        // bounds the wait in any case.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let conn = client.get_connection_manager_lazy(config).map_err(|e| {
            StoreError(format!(
                "redis: cannot set up the connection to {addr}: {e}"
            ))
        })?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            timeout,
            addr,
        })
    }

    /// Runs `op` on the shared connection within the deadline.
    pub(super) async fn run<T, F, Fut>(&self, what: &str, op: F) -> Result<T, StoreError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let attempt = async {
            match op(self.conn.clone()).await {
                // The connection was gone (Redis restarted, or an earlier
                // connection attempt failed) and the manager has just begun
                // a new one: one more try on it lets the first request after
                // Redis returns succeed. Safe for every command here: each
                // is idempotent (the lock script renews for its owner),
                // except GETDEL and SET NX, whose retry after a lost answer
                // can only say "no such login" or "already there" — failing
                // closed.
                Err(e) if e.is_connection_dropped() || e.is_connection_refusal() => {
                    tracing::debug!(error = %e, "redis connection lost; retrying once");
                    op(self.conn.clone()).await
                }
                other => other,
            }
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StoreError(format!("redis {what} at {}: {e}", self.addr))),
            Err(_) => Err(StoreError(format!(
                "redis {what} at {}: no answer within {} ms",
                self.addr,
                self.timeout.as_millis()
            ))),
        }
    }
}
