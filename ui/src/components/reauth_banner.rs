//! Banner for a connection whose sign-in expired, with a button that restarts the popup flow.

use leptos::prelude::*;

use crate::{
    context::{use_keyhole, use_login},
    i18n::Text,
};

/// "Your {provider} sign-in expired" with a "Sign in again" button.
#[component]
pub fn ReauthBanner(
    /// Provider id (URL segment).
    #[prop(into)]
    provider: String,
    /// Provider display name.
    #[prop(into)]
    name: String,
) -> AnyView {
    let texts = use_keyhole().texts();
    let flow = use_login();
    let text = texts.trf(Text::ReauthBanner, "provider", name.clone());
    view! {
        <div class="kh-banner" role="alert">
            <p class="kh-banner__text">{text}</p>
            <button
                type="button"
                class="kh-button"
                on:click=move |_| flow.start(&provider, &name)
            >
                {texts.tr(Text::SignInAgain)}
            </button>
        </div>
    }
    .into_any()
}
