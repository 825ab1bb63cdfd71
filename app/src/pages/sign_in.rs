//! The sign-in page: the app's heading and introduction around the `keyhole-leptos` sign-in buttons and status.

use keyhole_leptos::{LoginStatus, SignInButtons, focus_heading_when_requested};
use leptos::{html::H1, prelude::*};

use crate::{language::Language, words::Word};

/// Shown at `/` when there is no session.
#[component]
pub fn SignInPage() -> AnyView {
    let language = Language::expect();
    // After a logout or the last disconnect, focus lands here.
    let heading = NodeRef::<H1>::new();
    focus_heading_when_requested(heading);
    view! {
        <section class="panel sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title" tabindex="-1" node_ref=heading>
                {language.word(Word::SignInTitle)}
            </h1>
            <p class="lede">{language.word(Word::SignInIntro)}</p>
            <SignInButtons />
            <LoginStatus />
        </section>
    }
    .into_any()
}
