//! The language menu in the header: a labelled native `<select>`, so keyboards, screen readers and phones handle it as they handle any other.

use keyhole_leptos::Lang;
use leptos::prelude::*;

use crate::{language::Language, words::Word};

/// Switches the app's language and remembers the choice.
///
/// Each option names its language in that language (and says so with its own
/// `lang`), so a person can find theirs whatever the page is in now. Focus
/// stays on the menu: only texts change, no component is re-created.
#[component]
pub fn LanguageMenu() -> AnyView {
    let language = Language::expect();
    let current = language.get_untracked();
    let options = Lang::ALL
        .into_iter()
        .map(|lang| {
            view! {
                <option value=lang.tag() lang=lang.tag() selected=lang == current>
                    {lang.native_name()}
                </option>
            }
        })
        .collect_view();
    view! {
        <div class="language">
            <label class="language__label" for="language-menu">
                {language.word(Word::Language)}
            </label>
            <select
                id="language-menu"
                class="language__select"
                on:change=move |ev| {
                    if let Some(lang) = Lang::from_tag(&event_target_value(&ev)) {
                        language.choose(lang);
                    }
                }
            >
                {options}
            </select>
        </div>
    }
    .into_any()
}
