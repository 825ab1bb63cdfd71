//! Live status of the popup sign-in: "Waiting…" with Cancel, "cancelled", or a readable error.

use leptos::{html::Div, prelude::*};

use crate::{
    context::{use_keyhole, use_login, use_providers},
    i18n::Text,
    popup::{LoginFailure, LoginState},
};

/// Shows where the sign-in flow stands.
///
/// The `role="status"` paragraph is always in the page, so screen readers
/// announce "Waiting for …" and "Sign-in cancelled." as they appear; errors
/// appear as a `role="alert"` that takes focus, so a keyboard user continues
/// from the message (the popup that had focus is gone). Provider text is only
/// ever rendered as text.
#[component]
pub fn LoginStatus() -> AnyView {
    let texts = use_keyhole().texts();
    let flow = use_login();
    let providers = use_providers();
    let state = flow.state();

    let status_text = move || match state.get() {
        LoginState::Waiting { name, .. } => texts.tf(Text::Waiting, &[("provider", &name)]),
        LoginState::Cancelled => texts.t(Text::Cancelled).to_owned(),
        LoginState::Idle | LoginState::Failed(_) => String::new(),
    };
    let failure = move || match state.get() {
        LoginState::Failed(failure) => Some(failure),
        _ => None,
    };
    // The name known when the popup opened, else the configured name, else a
    // neutral phrase (a redirect-mode error may not say which provider).
    let provider_name = move |failure: &LoginFailure| {
        failure
            .provider_name
            .clone()
            .or_else(|| {
                failure
                    .provider
                    .as_deref()
                    .and_then(|id| providers.name_of(id))
            })
            .unwrap_or_else(|| texts.t(Text::TheProvider).to_owned())
    };
    let alert = NodeRef::<Div>::new();
    Effect::new(move || {
        if let Some(alert) = alert.get() {
            _ = alert.focus();
        }
    });

    view! {
        <div class="kh-login-status">
            <p class="kh-login-status__text" role="status">
                {status_text}
            </p>
            <Show when=move || flow.is_waiting()>
                <p class="kh-login-status__hint">{texts.tr(Text::WaitingHint)}</p>
                <button
                    type="button"
                    class="kh-button kh-button--secondary"
                    on:click=move |_| flow.cancel()
                >
                    {texts.tr(Text::Cancel)}
                </button>
            </Show>
            {move || {
                failure()
                    .map(|failure| {
                        // The texts follow the language inside the alert; the
                        // alert itself is created (and focused) once per failure.
                        let message = {
                            let failure = failure.clone();
                            move || failure.message(texts, &provider_name(&failure))
                        };
                        let detail = move || {
                            failure
                                .detail(texts, &provider_name(&failure))
                                .map(|detail| view! { <p class="kh-alert__detail">{detail}</p> })
                        };
                        view! {
                            <div class="kh-alert" role="alert" tabindex="-1" node_ref=alert>
                                <p>{message}</p>
                                {detail}
                            </div>
                        }
                    })
            }}
        </div>
    }
    .into_any()
}
