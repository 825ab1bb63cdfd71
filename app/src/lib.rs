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
//! - [`i18n`]: every user-visible string.
//!
//! The app never sees a token: the server keeps them and sets an HttpOnly
//! session cookie. Provider data is always rendered as text.

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
    api::AppError,
    auth::{Auth, Providers},
    components::ErrorNotice,
    i18n::{Text, t},
    pages::{DashboardPage, NotFoundPage, SignInPage},
    popup::LoginFlow,
};

/// The whole app: contexts, header and routes.
#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::new();
    provide_context(auth);
    provide_context(Providers::new());
    // Reads a redirect-mode login result from the URL before the router sees it.
    provide_context(LoginFlow::new(auth));

    view! {
        <Router>
            <header class="site-header">
                <A href="/">
                    <span class="brand">{t(Text::AppName)}</span>
                </A>
            </header>
            <main class="page">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=Home />
                </Routes>
            </main>
        </Router>
    }
}

/// `/`: the dashboard or the sign-in page, depending on the session.
#[component]
fn Home() -> impl IntoView {
    let auth = Auth::expect();
    view! {
        // A transition keeps the current page on screen while `/api/me`
        // reloads after a login or logout, instead of flashing "Loading…".
        <Transition fallback=|| view! { <p class="muted">{t(Text::Loading)}</p> }>
            {move || Suspend::new(async move {
                match auth.resource().await {
                    Ok(me) => view! { <DashboardPage me /> }.into_any(),
                    Err(err) if err.is_unauthenticated() => view! { <SignInPage /> }.into_any(),
                    Err(error) => view! { <ServerProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Shown when `/api/me` failed for another reason than "no session".
#[component]
fn ServerProblem(
    /// Why `/api/me` failed.
    error: AppError,
) -> impl IntoView {
    let auth = Auth::expect();
    let retry = Callback::new(move |()| auth.refetch());
    view! {
        <section class="panel">
            <ErrorNotice error on_retry=retry />
        </section>
    }
}

/// A string usable in an HTML `id`: ASCII letters, digits and `-`, everything else as `-`.
pub(crate) fn dom_id(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
