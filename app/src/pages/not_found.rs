//! The page for unknown paths, with a link home.

use leptos::prelude::*;

use crate::{language::Language, words::Word};

/// Shown for any path the router does not know.
#[component]
pub fn NotFoundPage() -> AnyView {
    let language = Language::expect();
    view! {
        <section class="panel not-found" aria-labelledby="not-found-title">
            <h1 id="not-found-title">{language.word(Word::NotFoundTitle)}</h1>
            <p>{language.word(Word::NotFoundText)}</p>
            <p>
                <a href="/">{language.word(Word::GoHome)}</a>
            </p>
        </section>
    }
    .into_any()
}
