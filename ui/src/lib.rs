//! Popup sign-in with Keyhole for Leptos (client-side rendered) apps: one context, a few hooks, and components for signing in and showing the person's accounts.
//!
//! Keyhole is the server that keeps every client secret and token; this
//! crate is its browser side. The page never sees a token: the server sets
//! an HttpOnly session cookie, and every provider value is rendered as text.
//!
//! # Use it
//!
//! Mount Keyhole in the host's axum server (here under `/auth`, the config's
//! `base_path`) and serve the Leptos app from the same origin:
//!
//! ```text
//! // The host's server, with the `keyhole` crate; config: base_path = "/auth".
//! let keyhole = Keyhole::open(config, &|name| std::env::var(name).ok()).await?;
//! let site = Router::new()
//!     .route_service("/", ServeFile::new("dist/index.html"))
//!     .fallback_service(ServeDir::new("dist"));
//! let app = keyhole.mount(site).with_state(keyhole.clone());
//! ```
//!
//! (`server/examples/embed.rs` in Keyhole's repository is a complete one.)
//! Then, in the app:
//!
//! ```no_run
//! use keyhole_leptos::{
//!     Announcements, ConnectAnother, Connections, KeyholeOptions, LoginStatus, LogoutButton,
//!     SignInButtons, provide_keyhole, use_session,
//! };
//! use leptos::prelude::*;
//!
//! #[component]
//! fn Account() -> impl IntoView {
//!     provide_keyhole(KeyholeOptions::new().base_path("/auth"));
//!     let session = use_session();
//!     view! {
//!         <Announcements />
//!         {move || match session.me() {
//!             None => ().into_any(),
//!             Some(None) => view! { <SignInButtons /> <LoginStatus /> }.into_any(),
//!             Some(Some(me)) => {
//!                 let connected = me.connections.iter().map(|c| c.provider.clone()).collect();
//!                 view! {
//!                     <LogoutButton />
//!                     <LoginStatus />
//!                     <Connections me />
//!                     <ConnectAnother connected />
//!                 }
//!                 .into_any()
//!             }
//!         }}
//!     }
//! }
//! ```
//!
//! and link the stylesheet `style/keyhole.css` of this crate (or
//! [`STYLESHEET`], served by the host), whose classes all start with `kh-`
//! and whose colours are `--kh-*` custom properties.
//!
//! # Layout
//! - [`provide_keyhole`] / [`use_keyhole`] ([`context`]): the one context,
//!   [`Keyhole`], configured by [`KeyholeOptions`] (base path, language,
//!   replacement strings); hooks [`use_session`], [`use_providers`],
//!   [`use_login`].
//! - [`client`]: [`Client`], the only code that calls Keyhole, and
//!   [`CallError`].
//! - [`session`]: the [`Session`] and [`Providers`] resources.
//! - [`popup`]: the popup sign-in flow ([`LoginFlow`]), with redirect and
//!   `BroadcastChannel` fallbacks.
//! - [`components`]: the views. [`i18n`]: every string in English,
//!   Traditional Chinese, Thai and Korean ([`Texts`]). [`a11y`]: focus moves
//!   and screen-reader announcements across page changes.
//!
//! Works with or without `leptos_router`: nothing here routes.
//!
//! Size: components return `AnyView` (`view! { … }.into_any()`) rather than
//! `impl IntoView`, so a parent's rendering code does not embed each child's
//! whole view type.

#![warn(missing_docs)]

pub mod a11y;
pub mod client;
pub mod components;
pub mod context;
mod fetch;
pub mod i18n;
mod json;
pub mod popup;
pub mod session;
mod task;

pub use client::{CallError, Client};
pub use components::{
    Announcements, BalancePanel, ComposeForm, ConnectAnother, ConnectionCard, Connections,
    ErrorNotice, FriendshipPanel, LoginStatus, LogoutButton, ReauthBanner, SignInButtons,
};
pub use context::{
    Keyhole, KeyholeOptions, focus_heading_when_requested, provide_keyhole, use_keyhole, use_login,
    use_providers, use_session,
};
pub use i18n::{Lang, Strings, Text, Texts};
pub use keyhole_api as api;
pub use popup::{LoginFailure, LoginFlow, LoginState};
pub use session::{Providers, Session};

/// The components' stylesheet (`style/keyhole.css`), for a host that serves
/// it itself rather than linking the file.
pub const STYLESHEET: &str = include_str!("../style/keyhole.css");

/// A string usable in an HTML `id`: ASCII letters, digits and `-`, everything else as `-`.
pub(crate) fn dom_id(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
