//! `provider-sim`: an offline emulator of the OAuth providers Keyhole signs in with.
//!
//! Tests call [`spawn`] to get a simulator on a free port of 127.0.0.1; `cargo xtask dev`
//! runs the `keyhole-sim` binary, which calls [`serve`]. Every provider "dialect" lives
//! under its own path prefix on the same port, and `/_sim/` is the admin API tests use
//! to steer it (clock, balances, faults, counters). `docs/providers.md` describes what each
//! dialect emulates.
//!
//! # Layout
//!
//! - this file: [`SimConfig`], [`SimHandle`], [`spawn`], [`serve`], [`router`].
//! - [`dev`]: the dev clients' credentials, in a dependency-free file `xtask` compiles too.
//! - `state`: the shared `World` (users, clients, counters, faults, clock) and the `Sim` handle.
//! - `dialect`: the `Dialect` trait, its handlers' `Ctx`, and the `Registry` `build_router` fills.
//! - `clock`, `users`, `clients`: simulated time, seeded users, registered OAuth clients.
//! - `oauth`: random tokens, PKCE, token-endpoint errors, bearer parsing.
//! - `consent`: the HTML frame: consent, error and information pages.
//! - `grants`: every OAuth dialect's codes and tokens (single use, rotation, revocation).
//! - `flow/`: the shared authorization and token endpoints, driven by a dialect's hooks.
//! - `faults`, `net`: call counters and queued faults; the listener that can hang up.
//! - `admin`: the JSON admin API under `/_sim/`.
//! - `aihubmix`, `elice/`, `feishu/`, `oidc/`, `line_login/`, `line_notify/`,
//!   `line_messaging/`: one dialect each, under its own prefix (see `docs/providers.md`).

mod admin;
mod aihubmix;
mod clients;
mod clock;
mod consent;
pub mod dev;
mod dialect;
mod elice;
mod faults;
mod feishu;
mod flow;
mod grants;
mod line_login;
mod line_messaging;
mod line_notify;
mod net;
mod oauth;
mod oidc;
mod state;
mod users;

use std::{
    future::Future,
    io,
    net::{Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::Request,
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{dialect::Registry, net::ConnTap};

/// How to start a simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Origin of the Keyhole app (scheme, host and port, no path), e.g.
    /// `http://127.0.0.1:8080`. The dev clients' redirect URIs are built from it.
    pub app_url: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            app_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

/// A running simulator. Dropping it stops the server (in the background);
/// [`SimHandle::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct SimHandle {
    /// Where the simulator listens, e.g. `http://127.0.0.1:43123` (no trailing slash).
    pub base_url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl SimHandle {
    /// The socket address the simulator is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    ///
    /// The wait is capped, because a test may leave a request parked on an injected
    /// latency fault; after the cap the server task is aborted.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The receiver is gone only when the server already stopped.
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(error))) => tracing::warn!(%error, "simulator stopped with an error"),
                Ok(Err(error)) => tracing::warn!(%error, "simulator task failed"),
                Err(_) => task.abort(),
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a simulator on a free port of 127.0.0.1 in a background task.
pub async fn spawn(config: SimConfig) -> io::Result<SimHandle> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, config, async move {
        // Either an explicit stop or the handle being dropped ends the wait.
        let _ = stopped.await;
    }));
    Ok(SimHandle {
        base_url: format!("http://{addr}"),
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Serves the simulator on `listener` until the future is dropped (the binary
/// races it against Ctrl-C).
pub async fn serve(listener: TcpListener, config: SimConfig) -> io::Result<()> {
    run(listener, config, std::future::pending()).await
}

/// The simulator's routes without a server, for `oneshot` tests.
///
/// Absolute URLs the simulator hands out (such as the top-up URL) then come from
/// the request's `Host` header, and a "drop the connection" fault answers 500
/// instead, since there is no connection to drop.
pub fn router(config: SimConfig) -> Router {
    build_router(&config, None)
}

async fn run(
    listener: TcpListener,
    config: SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let addr = listener.local_addr()?;
    // An unspecified address (0.0.0.0) is no use in a URL; fall back to `Host`.
    let base_url = (!addr.ip().is_unspecified()).then(|| format!("http://{addr}"));
    let app = build_router(&config, base_url);
    axum::serve(
        net::SimListener::new(listener),
        app.into_make_service_with_connect_info::<ConnTap>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Registers every dialect (the one place that names them all) and builds the app.
fn build_router(config: &SimConfig, base_url: Option<String>) -> Router {
    let mut registry = Registry::new(&config.app_url);
    registry.add(aihubmix::DialectState::default());
    registry.add(elice::DialectState::default());
    registry.add(feishu::DialectState::default());
    registry.add(oidc::DialectState::default());
    let bot = registry.add(line_messaging::DialectState::default());
    registry.add(line_login::DialectState::new(bot));
    registry.add(line_notify::DialectState::default());
    let (sim, dialects) = registry.finish(base_url);
    Router::new()
        .route("/", get(consent::index))
        .route("/avatars/{file}", get(consent::avatar))
        .merge(dialects)
        .merge(admin::router())
        .layer(middleware::from_fn(log_request))
        .with_state(sim)
}

/// One line per request. Only the path is logged: query strings carry `state`
/// and bodies carry codes and secrets, which even a simulator should not spill.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        elapsed = ?started.elapsed(),
        "request"
    );
    response
}
