//! Keyhole's single-page app (Leptos, client-side rendered): sign in with a provider in a popup, then see profiles and balances.
//!
//! Layout:
//! - [`App`] (here): the language, `keyhole-leptos`'s context, the header
//!   and the page: `/` shows the dashboard when signed in and the sign-in
//!   page otherwise; anything else is the not-found page.
//! - [`pages`]: routed pages, each the app's heading and text around the
//!   components of `keyhole-leptos`, which do the signing in, the cards and
//!   the calls to the server. [`components`]: the language menu.
//! - [`language`]: the current language, remembered in `localStorage`;
//!   [`words`]: the app's own strings (the components bring theirs).
//!
//! The app never sees a token: the server keeps them and sets an HttpOnly
//! session cookie. Provider data is always rendered as text.

pub mod components;
pub mod language;
pub mod pages;
pub mod words;

use keyhole_leptos::{
    Announcements, CallError, ErrorNotice, KeyholeOptions, Text, provide_keyhole, use_keyhole,
    use_session,
};
use leptos::prelude::*;

use crate::{
    components::LanguageMenu,
    language::Language,
    pages::{DashboardPage, NotFoundPage, SignInPage},
    words::Word,
};

/// The whole app: language, contexts, header and the page for this path.
#[component]
pub fn App() -> AnyView {
    let language = Language::init();
    provide_context(language);
    // Keyhole at `/api`, speaking the menu's language. Reads a
    // redirect-mode login result from the URL before the router sees it.
    provide_keyhole(KeyholeOptions::new().lang(language.signal()));

    // One page: `/` is the app, any other path the not-found page. A router
    // would cost the bundle more than this whole app's routing needs.
    let home = window().location().pathname().is_ok_and(|path| path == "/");
    view! {
        <header class="site-header">
            <a href="/">
                <span class="brand">{language.word(Word::AppName)}</span>
            </a>
            <LanguageMenu />
        </header>
        <Announcements />
        <main class="page">
            {if home { view! { <Home /> }.into_any() } else { view! { <NotFoundPage /> }.into_any() }}
        </main>
    }
    .into_any()
}

/// `/`: the dashboard or the sign-in page, depending on the session.
///
/// A plain reactive match, not `<Transition>`: while `/api/me` reloads
/// after a login or logout the resource keeps its last answer, so the
/// current page stays on screen without the Suspense machinery, which cost
/// the bundle more than the rest of this file.
#[component]
fn Home() -> AnyView {
    let session = use_session();
    let texts = use_keyhole().texts();
    (move || match session.get() {
        None => view! { <p class="kh-muted">{texts.tr(Text::Loading)}</p> }.into_any(),
        Some(Ok(me)) => view! { <DashboardPage me /> }.into_any(),
        Some(Err(err)) if err.is_unauthenticated() => view! { <SignInPage /> }.into_any(),
        Some(Err(error)) => view! { <ServerProblem error /> }.into_any(),
    })
    .into_any()
}

/// Shown when `/api/me` failed for another reason than "no session".
#[component]
fn ServerProblem(
    /// Why `/api/me` failed.
    error: CallError,
) -> AnyView {
    let session = use_session();
    let retry = Callback::new(move |()| session.refetch());
    view! {
        <section class="panel">
            <ErrorNotice error on_retry=retry />
        </section>
    }
    .into_any()
}
