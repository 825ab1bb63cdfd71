//! The page for unknown paths, with a link home.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Text, tr};

/// Shown for any path the router does not know.
#[component]
pub fn NotFoundPage() -> AnyView {
    view! {
        <section class="panel not-found" aria-labelledby="not-found-title">
            <h1 id="not-found-title">{tr(Text::NotFoundTitle)}</h1>
            <p>{tr(Text::NotFoundText)}</p>
            <p>
                <A href="/">{tr(Text::GoHome)}</A>
            </p>
        </section>
    }
    .into_any()
}
