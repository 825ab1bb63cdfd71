//! Banner for a connection whose sign-in expired, with a button that restarts the popup flow.

use leptos::prelude::*;

use crate::{
    i18n::{Text, tr, trf},
    popup::LoginFlow,
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
    let flow = LoginFlow::expect();
    let text = trf(Text::ReauthBanner, "provider", name.clone());
    view! {
        <div class="banner" role="alert">
            <p class="banner__text">{text}</p>
            <button
                type="button"
                class="button"
                on:click=move |_| flow.start(&provider, &name)
            >
                {tr(Text::SignInAgain)}
            </button>
        </div>
    }
    .into_any()
}
