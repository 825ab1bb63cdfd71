//! Keyhole's single-page app (Leptos, client-side rendered): sign in with a provider in a popup, then see profiles and balances.
//!
//! Layout:
//! - [`App`] (here): provides the contexts and the routes. `/` shows the
//!   dashboard when signed in and the sign-in page otherwise; anything else
//!   is the not-found page.
//! - [`auth`]: the [`auth::Auth`] context (the `/api/me` resource) and the
//!   [`auth::Providers`] context (`/api/providers`).
//! - [`popup`]: the popup sign-in flow ([`popup::LoginFlow`]).
//! - [`api`]: the only module that calls the server; [`api::AppError`].
//! - [`pages`]: routed pages. [`components`]: reusable pieces.
//! - [`i18n`]: every user-visible string, in English, Traditional Chinese,
//!   Thai and Korean, and the current language.
//! - [`a11y`]: focus moves and screen-reader announcements across page changes.
//!
//! The app never sees a token: the server keeps them and sets an HttpOnly
//! session cookie. Provider data is always rendered as text.
//!
//! Size: components return `AnyView` (`view! { … }.into_any()`) rather than
//! `impl IntoView`, so a parent's rendering code does not embed each child's
//! whole view type; with the three string tables this keeps the first load
//! under its 250 KB gzip budget (`cargo xtask bench`).

pub mod a11y;
pub mod api;
pub mod auth;
pub mod components;
pub mod i18n;
pub mod pages;
pub mod popup;

use leptos::prelude::*;
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

use crate::{
    a11y::{Announcements, Announcer, FocusRequest},
    api::AppError,
    auth::{Auth, Providers},
    components::{ErrorNotice, LanguageMenu},
    i18n::{Text, tr},
    pages::{DashboardPage, NotFoundPage, SignInPage},
    popup::LoginFlow,
};

/// The whole app: language, contexts, header and routes.
#[component]
pub fn App() -> AnyView {
    i18n::init();
    let auth = Auth::new();
    let focus = FocusRequest::new();
    let announcer = Announcer::new();
    provide_context(auth);
    provide_context(focus);
    provide_context(announcer);
    provide_context(Providers::new());
    // Reads a redirect-mode login result from the URL before the router sees it.
    provide_context(LoginFlow::new(auth, focus, announcer));

    view! {
        <Router>
            <header class="site-header">
                <A href="/">
                    <span class="brand">{tr(Text::AppName)}</span>
                </A>
                <LanguageMenu />
            </header>
            <Announcements />
            <main class="page">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=Home />
                </Routes>
            </main>
        </Router>
    }
    .into_any()
}

/// `/`: the dashboard or the sign-in page, depending on the session.
#[component]
fn Home() -> AnyView {
    let auth = Auth::expect();
    view! {
        // A transition keeps the current page on screen while `/api/me`
        // reloads after a login or logout, instead of flashing "Loading…".
        <Transition fallback=|| view! { <p class="muted">{tr(Text::Loading)}</p> }>
            {move || Suspend::new(async move {
                match auth.resource().await {
                    Ok(me) => view! { <DashboardPage me /> }.into_any(),
                    Err(err) if err.is_unauthenticated() => view! { <SignInPage /> }.into_any(),
                    Err(error) => view! { <ServerProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// Shown when `/api/me` failed for another reason than "no session".
#[component]
fn ServerProblem(
    /// Why `/api/me` failed.
    error: AppError,
) -> AnyView {
    let auth = Auth::expect();
    let retry = Callback::new(move |()| auth.refetch());
    view! {
        <section class="panel">
            <ErrorNotice error on_retry=retry />
        </section>
    }
    .into_any()
}

/// A string usable in an HTML `id`: ASCII letters, digits and `-`, everything else as `-`.
pub(crate) fn dom_id(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
