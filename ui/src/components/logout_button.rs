//! "Log out": ends the whole session, then focus and the live region follow the page change.

use leptos::prelude::*;

use crate::{a11y::FocusTarget, components::ErrorNotice, context::use_keyhole, i18n::Text};

/// "Log out" (all connections), with a readable notice when it failed.
///
/// On success the session reloads (so a signed-out view shows), focus goes
/// to the next page's heading and the live region says "Logged out".
#[component]
pub fn LogoutButton() -> AnyView {
    let keyhole = use_keyhole();
    let (texts, client, session) = (keyhole.texts(), keyhole.client(), keyhole.session());
    let (focus, announcer) = (keyhole.focus(), keyhole.announcer());
    let logout = Action::new_local(move |_: &()| async move {
        let result = client.logout().await;
        // "No session" means logged out as well: show the sign-in page.
        let signed_out = match &result {
            Ok(()) => true,
            Err(err) => err.is_unauthenticated(),
        };
        if signed_out {
            focus.request(FocusTarget::PageHeading);
            announcer.say(Text::LoggedOut, "");
            session.refetch();
        }
        result
    });
    let logging_out = logout.pending();
    let error = move || logout.value().get().and_then(Result::err);
    view! {
        <button
            type="button"
            class="kh-button kh-button--secondary"
            disabled=logging_out
            on:click=move |_| {
                logout.dispatch(());
            }
        >
            {texts.tr_while(logging_out, Text::LoggingOut, Text::LogOut)}
        </button>
        {move || error().map(|error| view! { <ErrorNotice error /> })}
    }
    .into_any()
}
