//! Readable error messages for failed server calls, with an optional retry.

use leptos::prelude::*;

use crate::{
    api::AppError,
    i18n::{Text, tr, trf},
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
) -> AnyView {
    let reference = error.request_id().map(str::to_owned);
    let message = move || error.user_message(&provider_name);
    view! {
        <div class="alert" role="alert">
            <p>{message}</p>
            {reference
                .map(|id| {
                    view! {
                        <p class="alert__detail">
                            {trf(Text::ErrorReference, "id", id)}
                        </p>
                    }
                })}
            {on_retry
                .map(|retry| {
                    view! {
                        <button
                            type="button"
                            class="button button--secondary"
                            on:click=move |_| retry.run(())
                        >
                            {tr(Text::Retry)}
                        </button>
                    }
                })}
        </div>
    }
    .into_any()
}
