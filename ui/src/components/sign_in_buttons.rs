//! "Sign in with {provider}": one popup button per provider that offers sign-in.

use keyhole_api::ProviderInfo;
use leptos::prelude::*;

use crate::{components::ErrorNotice, context::use_keyhole, i18n::Text, session::login_providers};

/// A list of sign-in buttons, one per provider with the `login` capability,
/// in configuration order; "Loading…" until the providers are known, and a
/// notice with "Try again" when they could not be loaded.
///
/// A click opens the provider in a popup (or, when popups are blocked, takes
/// the whole page there and back); place a [`LoginStatus`](crate::LoginStatus)
/// nearby to show how it went.
#[component]
pub fn SignInButtons() -> AnyView {
    let keyhole = use_keyhole();
    let texts = keyhole.texts();
    let providers = keyhole.providers();
    let retry = Callback::new(move |()| providers.refetch());
    // A plain reactive match rather than `<Transition>` + `<ErrorBoundary>`:
    // the list is usually loaded before this shows, a reload keeps the
    // previous list on screen anyway (the resource keeps its last value), and
    // the Suspense machinery costs the bundle more than it gives here.
    (move || match providers.get() {
        None => view! { <p class="kh-muted">{texts.tr(Text::Loading)}</p> }.into_any(),
        Some(Ok(all)) => view! { <ProviderList providers=login_providers(all) /> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error on_retry=retry /> }.into_any(),
    })
    .into_any()
}

/// The sign-in buttons, or a note when no provider offers sign-in.
#[component]
fn ProviderList(
    /// Providers with the `login` capability.
    providers: Vec<ProviderInfo>,
) -> AnyView {
    let texts = use_keyhole().texts();
    if providers.is_empty() {
        return view! { <p class="kh-muted">{texts.tr(Text::NoProviders)}</p> }.into_any();
    }
    view! {
        <ul class="kh-provider-list">
            {providers
                .into_iter()
                .map(|provider| {
                    view! {
                        <li>
                            <ProviderButton provider label=Text::SignInWith secondary=false />
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// "Sign in with {name}" or "Connect {name}": opens the popup flow for one
/// provider (the server adds a connection when a session exists).
#[component]
pub(crate) fn ProviderButton(
    /// The provider to sign in with.
    provider: ProviderInfo,
    /// The button's words, with `{provider}`.
    label: Text,
    /// A secondary (outlined) button.
    secondary: bool,
) -> AnyView {
    let keyhole = use_keyhole();
    let flow = keyhole.login();
    let ProviderInfo { id, name, kind, .. } = provider;
    let label = keyhole.texts().trf(label, "provider", name.clone());
    let class = if secondary {
        "kh-button kh-button--secondary kh-button--provider"
    } else {
        "kh-button kh-button--provider"
    };
    view! {
        <button type="button" class=class data-kind=kind on:click=move |_| flow.start(&id, &name)>
            {label}
        </button>
    }
    .into_any()
}
