//! Banner for a connection whose sign-in expired, with a button that restarts the popup flow.

use leptos::prelude::*;

use crate::{
    i18n::{Text, t, tf},
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
) -> impl IntoView {
    let flow = LoginFlow::expect();
    let text = tf(Text::ReauthBanner, &[("provider", &name)]);
    view! {
        <div class="banner" role="alert">
            <p class="banner__text">{text}</p>
            <button
                type="button"
                class="button"
                on:click=move |_| flow.start(&provider, &name)
            >
                {t(Text::SignInAgain)}
            </button>
        </div>
    }
}
