//! The sign-in page: one "Sign in with {provider}" button per provider that offers login.

use keyhole_api::ProviderInfo;
use leptos::prelude::*;

use crate::{
    auth::{Providers, login_providers},
    components::{ErrorList, LoginStatus},
    i18n::{Text, t, tf},
    popup::LoginFlow,
};

/// Shown at `/` when there is no session.
#[component]
pub fn SignInPage() -> impl IntoView {
    let providers = Providers::expect();
    let retry = Callback::new(move |()| providers.resource().refetch());
    view! {
        <section class="panel sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">{t(Text::SignInTitle)}</h1>
            <p class="lede">{t(Text::SignInIntro)}</p>
            <Transition fallback=|| view! { <p class="muted">{t(Text::Loading)}</p> }>
                <ErrorBoundary fallback=move |errors| {
                    view! { <ErrorList errors on_retry=retry /> }
                }>
                    {move || Suspend::new(async move {
                        providers.resource().await.map(|all| view! { <ProviderList providers=login_providers(all) /> })
                    })}
                </ErrorBoundary>
            </Transition>
            <LoginStatus />
        </section>
    }
}

/// The sign-in buttons, or a note when no provider offers sign-in.
#[component]
fn ProviderList(
    /// Providers with the `login` capability.
    providers: Vec<ProviderInfo>,
) -> impl IntoView {
    if providers.is_empty() {
        return view! { <p class="muted">{t(Text::NoProviders)}</p> }.into_any();
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
) -> impl IntoView {
    let flow = LoginFlow::expect();
    let ProviderInfo { id, name, kind, .. } = provider;
    let label = tf(Text::SignInWith, &[("provider", &name)]);
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
}
