//! "Log out": ends the whole session, then focus and the live region follow the page change.

use leptos::prelude::*;

use crate::{
    a11y::FocusTarget, client::CallError, components::ErrorNotice, context::use_keyhole,
    i18n::Text, task::Task,
};

/// "Log out" (all connections), with a readable notice when it failed.
///
/// On success the session reloads (so a signed-out view shows), focus goes
/// to the next page's heading and the live region says "Logged out".
#[component]
pub fn LogoutButton() -> AnyView {
    let keyhole = use_keyhole();
    let (texts, client, session) = (keyhole.texts(), keyhole.client(), keyhole.session());
    let (focus, announcer) = (keyhole.focus(), keyhole.announcer());
    let task = Task::new();
    let failure = RwSignal::new(None::<CallError>);
    let logout = move || {
        task.run(async move {
            failure.set(None);
            match client.logout().await {
                // "No session" means logged out as well: show the sign-in page.
                Ok(()) => {}
                Err(err) if err.is_unauthenticated() => {}
                Err(err) => {
                    failure.set(Some(err));
                    return;
                }
            }
            focus.request(FocusTarget::PageHeading);
            announcer.say(Text::LoggedOut, "");
            session.refetch();
        });
    };
    let logging_out = task.pending();
    let error = move || failure.get();
    view! {
        <button
            type="button"
            class="kh-button kh-button--secondary"
            disabled=logging_out
            on:click=move |_| logout()
        >
            {texts.tr_while(logging_out, Text::LoggingOut, Text::LogOut)}
        </button>
        {move || error().map(|error| view! { <ErrorNotice error /> })}
    }
    .into_any()
}
