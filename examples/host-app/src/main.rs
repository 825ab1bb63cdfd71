//! The example host: a Leptos app of someone else's that adds "sign in with…" through `keyhole-leptos` only, with Keyhole mounted under `/auth` by its axum server (`server/examples/embed.rs`).
//!
//! Everything Keyhole-specific here is public API of `keyhole-leptos`: the
//! context with its base path, the session hook and four components. No
//! router: the page decides by the session alone.

use keyhole_leptos::{
    Announcements, ConnectAnother, Connections, KeyholeOptions, LoginStatus, LogoutButton,
    SignInButtons, provide_keyhole, use_session,
};
use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(Host);
}

/// The host's one page: its own header and text around Keyhole's pieces.
#[component]
fn Host() -> impl IntoView {
    provide_keyhole(KeyholeOptions::new().base_path("/auth"));
    let session = use_session();
    let account = move || match session.me() {
        None => ().into_any(),
        Some(None) => view! {
            <h2>"Sign in to see your usage"</h2>
            <SignInButtons />
            <LoginStatus />
        }
        .into_any(),
        Some(Some(me)) => {
            let connected = me.connections.iter().map(|c| c.provider.clone()).collect();
            view! {
                <h2>"Your account"</h2>
                <p>
                    // The host's own API, which reads the provider with the
                    // token Keyhole keeps on the server.
                    <a href="/usage">"Usage (JSON)"</a>
                </p>
                <LogoutButton />
                <LoginStatus />
                <Connections me />
                <ConnectAnother connected />
            }
            .into_any()
        }
    };
    view! {
        <header class="host-header">
            <h1>"Example host"</h1>
        </header>
        <Announcements />
        <main class="host-main">{account}</main>
    }
}
