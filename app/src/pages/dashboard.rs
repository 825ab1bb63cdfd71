//! The dashboard: the app's heading and "Log out" above the `keyhole-leptos` connection cards and "Connect another account".

use keyhole_leptos::{
    ConnectAnother, Connections, LoginStatus, LogoutButton, api::Me, focus_heading_when_requested,
};
use leptos::{html::H1, prelude::*};

use crate::{language::Language, words::Word};

/// Shown at `/` when signed in.
#[component]
pub fn DashboardPage(
    /// The session, as `/api/me` returned it.
    me: Me,
) -> AnyView {
    let language = Language::expect();
    let heading = NodeRef::<H1>::new();
    focus_heading_when_requested(heading);
    let connected: Vec<String> = me.connections.iter().map(|c| c.provider.clone()).collect();
    view! {
        <section class="dashboard" aria-labelledby="dashboard-title">
            <div class="dashboard__header">
                <h1 id="dashboard-title" tabindex="-1" node_ref=heading>
                    {language.word(Word::DashboardTitle)}
                </h1>
                <LogoutButton />
            </div>
            <LoginStatus />
            <Connections me />
            <ConnectAnother connected />
        </section>
    }
    .into_any()
}
