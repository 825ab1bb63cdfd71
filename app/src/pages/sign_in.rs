//! The sign-in page: one "Sign in with {provider}" button per provider that offers login.

use keyhole_api::ProviderInfo;
use leptos::{html::H1, prelude::*};

use crate::{
    a11y::focus_heading_when_requested,
    auth::{Providers, login_providers},
    components::{ErrorNotice, LoginStatus},
    i18n::{Text, tr, trf},
    popup::LoginFlow,
};

/// Shown at `/` when there is no session.
#[component]
pub fn SignInPage() -> AnyView {
    let providers = Providers::expect();
    let retry = Callback::new(move |()| providers.resource().refetch());
    // After a logout or the last disconnect, focus lands here.
    let heading = NodeRef::<H1>::new();
    focus_heading_when_requested(heading);
    // A plain reactive match rather than `<Transition>` + `<ErrorBoundary>`:
    // the list is usually loaded before this page shows, a reload keeps the
    // previous list on screen anyway (the resource keeps its last value), and
    // the Suspense machinery costs the bundle more than it gives here.
    let list = move || match providers.resource().get() {
        None => view! { <p class="muted">{tr(Text::Loading)}</p> }.into_any(),
        Some(Ok(all)) => view! { <ProviderList providers=login_providers(all) /> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error on_retry=retry /> }.into_any(),
    };
    view! {
        <section class="panel sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title" tabindex="-1" node_ref=heading>
                {tr(Text::SignInTitle)}
            </h1>
            <p class="lede">{tr(Text::SignInIntro)}</p>
            {list}
            <LoginStatus />
        </section>
    }
    .into_any()
}

/// The sign-in buttons, or a note when no provider offers sign-in.
#[component]
fn ProviderList(
    /// Providers with the `login` capability.
    providers: Vec<ProviderInfo>,
) -> AnyView {
    if providers.is_empty() {
        return view! { <p class="muted">{tr(Text::NoProviders)}</p> }.into_any();
    }
    view! {
        <ul class="provider-list">
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
    let flow = LoginFlow::expect();
    let ProviderInfo { id, name, kind, .. } = provider;
    let label = trf(Text::SignInWith, "provider", name.clone());
    view! {
        <button
            type="button"
            class="button button--provider"
            data-kind=kind
            on:click=move |_| flow.start(&id, &name)
        >
            {label}
        </button>
    }
    .into_any()
}
