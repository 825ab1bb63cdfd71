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
                .map(|provider| view! { <li><ProviderButton provider /></li> })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// "Sign in with {name}": opens the popup flow for one provider.
#[component]
fn ProviderButton(
    /// The provider to sign in with.
    provider: ProviderInfo,
) -> AnyView {
    let keyhole = use_keyhole();
    let flow = keyhole.login();
    let ProviderInfo { id, name, kind, .. } = provider;
    let label = keyhole
        .texts()
        .trf(Text::SignInWith, "provider", name.clone());
    view! {
        <button
            type="button"
            class="kh-button kh-button--provider"
            data-kind=kind
            on:click=move |_| flow.start(&id, &name)
        >
            {label}
        </button>
    }
    .into_any()
}
