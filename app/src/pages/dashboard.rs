//! The dashboard: one card per connected account, and "Log out".

use keyhole_api::Me;
use leptos::prelude::*;

use crate::{
    api,
    auth::Auth,
    components::{ConnectionCard, ErrorNotice, LoginStatus},
    i18n::{Text, t},
};

/// Shown at `/` when signed in.
#[component]
pub fn DashboardPage(
    /// The session, as `/api/me` returned it.
    me: Me,
) -> impl IntoView {
    let auth = Auth::expect();
    let logout = Action::new_local(move |_: &()| async move {
        let result = api::logout().await;
        // "No session" means logged out as well: show the sign-in page.
        let signed_out = match &result {
            Ok(()) => true,
            Err(err) => err.is_unauthenticated(),
        };
        if signed_out {
            auth.refetch();
        }
        result
    });
    let logging_out = logout.pending();
    let logout_error = move || logout.value().get().and_then(Result::err);

    let cards = if me.connections.is_empty() {
        view! { <p class="muted">{t(Text::NoConnections)}</p> }.into_any()
    } else {
        me.connections
            .into_iter()
            .map(|connection| view! { <ConnectionCard connection /> })
            .collect_view()
            .into_any()
    };

    view! {
        <section class="dashboard" aria-labelledby="dashboard-title">
            <div class="dashboard__header">
                <h1 id="dashboard-title">{t(Text::DashboardTitle)}</h1>
                <button
                    type="button"
                    class="button button--secondary"
                    disabled=move || logging_out.get()
                    on:click=move |_| {
                        logout.dispatch(());
                    }
                >
                    {move || if logging_out.get() { t(Text::LoggingOut) } else { t(Text::LogOut) }}
                </button>
            </div>
            {move || logout_error().map(|error| view! { <ErrorNotice error /> })}
            <LoginStatus />
            <div class="cards">{cards}</div>
        </section>
    }
}
