//! Readable error messages for failed server calls, with an optional retry.

use leptos::prelude::*;

use crate::{client::CallError, context::use_keyhole, i18n::Text};

/// An alert explaining `error` in plain words, with the request id for support.
#[component]
pub fn ErrorNotice(
    /// What went wrong.
    error: CallError,
    /// Name of the provider concerned, for messages that mention it.
    #[prop(optional, into)]
    provider_name: String,
    /// Called by a "Try again" button; no button without it.
    #[prop(optional, into)]
    on_retry: Option<Callback<()>>,
) -> AnyView {
    let texts = use_keyhole().texts();
    let reference = error.request_id().map(str::to_owned);
    let message = move || error.user_message(texts, &provider_name);
    view! {
        <div class="kh-alert" role="alert">
            <p>{message}</p>
            {reference
                .map(|id| {
                    view! {
                        <p class="kh-alert__detail">
                            {texts.trf(Text::ErrorReference, "id", id)}
                        </p>
                    }
                })}
            {on_retry
                .map(|retry| {
                    view! {
                        <button
                            type="button"
                            class="kh-button kh-button--secondary"
                            on:click=move |_| retry.run(())
                        >
                            {texts.tr(Text::Retry)}
                        </button>
                    }
                })}
        </div>
    }
    .into_any()
}
