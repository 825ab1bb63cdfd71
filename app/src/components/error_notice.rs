//! Readable error messages for failed server calls, with an optional retry.

use leptos::prelude::*;

use crate::{
    api::AppError,
    i18n::{Text, t, tf},
};

/// An alert explaining `error` in plain words, with the request id for support.
#[component]
pub fn ErrorNotice(
    /// What went wrong.
    error: AppError,
    /// Name of the provider concerned, for messages that mention it.
    #[prop(optional, into)]
    provider_name: String,
    /// Called by a "Try again" button; no button without it.
    #[prop(optional, into)]
    on_retry: Option<Callback<()>>,
) -> impl IntoView {
    let message = error.user_message(&provider_name);
    let reference = error
        .request_id()
        .map(|id| tf(Text::ErrorReference, &[("id", id)]));
    view! {
        <div class="alert" role="alert">
            <p>{message}</p>
            {reference.map(|reference| view! { <p class="alert__detail">{reference}</p> })}
            {on_retry
                .map(|retry| {
                    view! {
                        <button
                            type="button"
                            class="button button--secondary"
                            on:click=move |_| retry.run(())
                        >
                            {t(Text::Retry)}
                        </button>
                    }
                })}
        </div>
    }
}

/// Fallback of an `<ErrorBoundary>`: one readable line per caught error.
#[component]
pub fn ErrorList(
    /// The boundary's errors.
    errors: ArcRwSignal<Errors>,
    /// Called by a "Try again" button.
    #[prop(optional, into)]
    on_retry: Option<Callback<()>>,
) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| match error.downcast_ref::<AppError>() {
                Some(error) => error.user_message(""),
                None => t(Text::ErrorGeneric).to_owned(),
            })
            .map(|message| view! { <p>{message}</p> })
            .collect_view()
    };
    view! {
        <div class="alert" role="alert">
            {messages}
            {on_retry
                .map(|retry| {
                    view! {
                        <button
                            type="button"
                            class="button button--secondary"
                            on:click=move |_| retry.run(())
                        >
                            {t(Text::Retry)}
                        </button>
                    }
                })}
        </div>
    }
}
