//! Keyhole's backend-for-frontend: it starts OAuth logins, receives callbacks,
//! exchanges codes with the client secret, keeps tokens in server-side
//! sessions, refreshes them, and answers the app with JSON. It is the
//! `keyhole` binary, and a library any axum app can mount.
//!
//! # Use as a library
//!
//! Build [`Keyhole`] from a [`Config`](config::Config) value, nest its
//! [router](Keyhole::router) at the configured `base_path`, and ask for the
//! signed-in person with the [`Session`] extractor in your own handlers:
//!
//! ```no_run
//! use axum::{Json, Router, extract::FromRef, routing::get};
//! use keyhole::{ApiError, Keyhole, Session, config::Config};
//!
//! #[derive(Clone)]
//! struct App {
//!     keyhole: Keyhole,
//! }
//!
//! impl FromRef<App> for Keyhole {
//!     fn from_ref(app: &App) -> Keyhole {
//!         app.keyhole.clone()
//!     }
//! }
//!
//! /// Who is signed in, and a fresh token for one provider.
//! async fn whoami(session: Session) -> Result<Json<Vec<String>>, ApiError> {
//!     let _token = session.access_token("aihubmix").await?;
//!     Ok(Json(session.connections().iter().map(|c| c.profile.display_name.clone()).collect()))
//! }
//!
//! # async fn run() -> anyhow::Result<()> {
//! let config = Config::from_toml(
//!     r#"
//!     public_url = "https://app.example.com"
//!     base_path = "/auth"
//!     [[providers]]
//!     id = "aihubmix"
//!     kind = "aihubmix"
//!     client_id = "client_abc123"
//!     "#,
//!     &|name| std::env::var(name).ok(),
//! )?;
//! let keyhole = Keyhole::open(config, &|name| std::env::var(name).ok()).await?;
//! let app = Router::new()
//!     .route("/whoami", get(whoami))
//!     .nest("/auth", keyhole.router())
//!     .with_state(App { keyhole: keyhole.clone() });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! From the leaves up; no module imports one above it.
//! - [`providers`] — the `keyhole-providers` crate: the one upstream path,
//!   the OAuth/OIDC engine ([`oauth`]), an adapter per kind, the [`grant`]
//!   they issue (re-exported here, with [`clock`] and [`upstream`]).
//! - [`session`] — the `keyhole-session` crate: sealed sessions and
//!   key-value records over memory, SQLite or Redis; [`secret`] tokens.
//! - [`metrics`] — Prometheus counters.
//! - [`config`] — `keyhole.toml`, each key overridable from the environment;
//!   secrets from the environment or files.
//! - [`cookies`] — the session and login-binding cookies.
//! - [`error`] — the JSON errors of the contract.
//! - [`tokens`] — a connection's token, with single-flight refresh.
//! - [`messaging`] — LINE Messaging API: webhook queue, records, push.
//! - [`state`] — [`Keyhole`], what every handler shares.
//! - [`security`], [`page_lang`], [`callback_page`], [`spa`], [`routes`],
//!   [`extract`], [`app`] — the HTTP layer: headers and CSRF, the language
//!   of the pages keyhole renders, the popup page, the built app, the
//!   handlers, the host's extractor, and the routers.
//! - [`register_app`] — the `keyhole aihubmix register-app` command.

pub mod app;
pub mod callback_page;
pub mod config;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod messaging;
pub mod metrics;
pub mod page_lang;
pub mod register_app;
pub mod routes;
pub mod security;
pub mod serve;
pub mod spa;
pub mod state;
mod stores;
pub mod throttle;
pub mod tokens;

// The provider layer is its own crate; these keep its modules at the paths
// the rest of the server (and its users) name them by.
pub use keyhole_providers as providers;
pub use keyhole_providers::{clock, grant, oauth, upstream};
// So is the session store.
pub use keyhole_session as session;
pub use keyhole_session::secret;

pub use app::router;
pub use error::ApiError;
pub use extract::Session;
pub use serve::serve;
pub use state::Keyhole;
