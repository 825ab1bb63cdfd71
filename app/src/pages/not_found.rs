//! The page for unknown paths, with a link home.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Text, t};

/// Shown for any path the router does not know.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="panel not-found" aria-labelledby="not-found-title">
            <h1 id="not-found-title">{t(Text::NotFoundTitle)}</h1>
            <p>{t(Text::NotFoundText)}</p>
            <p>
                <A href="/">{t(Text::GoHome)}</A>
            </p>
        </section>
    }
}
