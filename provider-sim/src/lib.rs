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
//! - [`dev`]: the dev clients' credentials; constants only, in a dependency-free file that
//!   `xtask` compiles into itself too.
//! - `state`: the mutex-guarded `World` every dialect shares (users, clients, counters,
//!   faults, clock), the cheap-to-clone `Sim` handle, and the registry the admin API
//!   reaches dialects through.
//! - `dialect`: the `Dialect` trait each provider implements on its own state, the
//!   `Ctx` its handlers get, the options admin routes, and the `Registry` that
//!   `build_router` fills: the only place naming every dialect.
//! - `clock`: simulated time, which the admin API moves forward so tests can expire tokens
//!   without sleeping.
//! - `users`: the seeded test users shared by every dialect, and their generated avatars.
//! - `clients`: registered OAuth clients: one dev client per dialect plus any a test adds.
//! - `oauth`: what every dialect shares: random tokens, PKCE, error redirects, token-endpoint
//!   errors, bearer parsing.
//! - `consent`: the HTML frame: consent page (users as radios, Allow / Deny), error page,
//!   plain information pages.
//! - `grants`: the grant store every OAuth dialect keeps (codes, access and refresh
//!   tokens: single use, expiry, rotation, replay and reuse revocation, bearer checks).
//! - `flow/`: the shared OAuth pipeline: the authorization endpoint driven by a
//!   dialect's `AuthorizeFlow` hooks, and the token endpoint's opening (counters,
//!   client authentication, grant dispatch, RFC 6749 error wording).
//! - `faults`: call counters and queued faults (latency, status, body, hang-up).
//! - `net`: the TCP listener wrapper that lets a fault hang up on a client.
//! - `admin`: the shared JSON admin API under `/_sim/`; each dialect adds
//!   `/_sim/{prefix}/options` and its own routes.
//! - `aihubmix`: the AIHubMix dialect under `/aihubmix`, with app registration
//!   (`POST /aihubmix/api/oauth_apps`, developer token in [`dev`]). Each further
//!   dialect gets its own file like this one.
//! - `elice/`: the Elice dialect under `/elice`: comma scopes, localised
//!   consent (`authorize`, by `lang`), a JSON token call without `grant_type`, 1-hour
//!   tokens, no refresh.
//! - `feishu/`: the Feishu (Lark) dialect under `/feishu`:
//!   `app_access_token` with its 30-minute reissue rule, both login pages (`login`), the
//!   legacy v1 token calls (`v1`, HTTP 200 + `{code, msg}` errors) and the current v2
//!   token endpoint (`v2`, PKCE, flat bodies).
//! - `oidc/`: a generic OpenID Connect provider under `/oidc` (issuer `{origin}/oidc`):
//!   discovery, rotating RS256 JWKS (`keys`), `authorize`, `token` (Basic and post client
//!   authentication, code and refresh grants, ID tokens) and `resource` (userinfo, RFC 7009
//!   revocation).
//! - `line_login/`: LINE Login v2.1 under `/line`, on the shared pipeline: `authorize`
//!   and `validate` (upper-case error codes, `bot_prompt` add-friend option, form_post),
//!   `token` (code and refresh grants), `verify` (and revoke), `id_token` (HS256 for web
//!   channels, ES256 + JWKS for native), `api` (profile, friendship, userinfo, discovery),
//!   `channel_api` (the channel's own tokens, `/user/v1/deauthorize`), and `page`, LINE's
//!   add-friend step and form_post page.
//! - `line_notify/`: LINE Notify under `/line-notify`: consent with a chosen
//!   chat (`authorize`), and the `{status, message}` API with hourly rate limits (`api`).
//! - `line_messaging/`: the Messaging API under `/line-bot`: channel tokens
//!   (`tokens`: short-lived, v2.1 from JWT assertions, stateless; LINE Login's channels
//!   use the same store), push with retry keys and replies (`push`), signed webhooks
//!   sent from the admin API (`webhook`), and the users' friendships with official accounts,
//!   which LINE Login reads and changes too.

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
