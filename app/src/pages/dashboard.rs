//! The dashboard: one card per connected account, "Connect another account", and "Log out".

use keyhole_api::{Capability, Me, ProviderInfo};
use leptos::{html::H1, prelude::*};

use crate::{
    a11y::{Announcer, FocusRequest, FocusTarget, focus_heading_when_requested},
    api,
    auth::{Auth, Providers, connectable},
    components::{
        ComposeForm, ConnectionCard, ErrorNotice, LoginStatus, compose_form::ComposeKind,
        connection_card::Triage,
    },
    i18n::{Text, tr, tr_while, trf},
    popup::LoginFlow,
};

/// Shown at `/` when signed in.
#[component]
pub fn DashboardPage(
    /// The session, as `/api/me` returned it.
    me: Me,
) -> AnyView {
    let auth = Auth::expect();
    let focus = FocusRequest::expect();
    let announcer = Announcer::expect();
    let heading = NodeRef::<H1>::new();
    focus_heading_when_requested(heading);

    let logout = Action::new_local(move |_: &()| async move {
        let result = api::logout().await;
        // "No session" means logged out as well: show the sign-in page.
        let signed_out = match &result {
            Ok(()) => true,
            Err(err) => err.is_unauthenticated(),
        };
        if signed_out {
            focus.request(FocusTarget::PageHeading);
            announcer.say(Text::LoggedOut, "");
            auth.refetch();
        }
        result
    });
    let logging_out = logout.pending();
    let logout_error = move || logout.value().get().and_then(Result::err);

    let connected: Vec<String> = me.connections.iter().map(|c| c.provider.clone()).collect();
    let cards = if me.connections.is_empty() {
        view! { <p class="muted">{tr(Text::NoConnections)}</p> }.into_any()
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
                <h1 id="dashboard-title" tabindex="-1" node_ref=heading>
                    {tr(Text::DashboardTitle)}
                </h1>
                <button
                    type="button"
                    class="button button--secondary"
                    disabled=logging_out
                    on:click=move |_| {
                        logout.dispatch(());
                    }
                >
                    {tr_while(logging_out, Text::LoggingOut, Text::LogOut)}
                </button>
            </div>
            {move || logout_error().map(|error| view! { <ErrorNotice error /> })}
            <LoginStatus />
            <div class="cards">{cards} <MessagingCards connected=connected.clone() /></div>
            <ConnectAnother connected />
        </section>
    }
    .into_any()
}

/// "Connect another account": a popup button for each configured provider
/// that can be connected and is not yet; nothing when there is none.
///
/// Unlike the sign-in page, this lists connect-only providers too (no `login`
/// capability, such as a notification service): the server accepts them once
/// a session exists, and adds them to it. See [`connectable`].
#[component]
fn ConnectAnother(
    /// Ids of the providers already connected.
    connected: Vec<String>,
) -> AnyView {
    let providers = Providers::expect();
    (move || {
        let available: Vec<ProviderInfo> = providers
            .resource()
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| connectable(p) && !connected.contains(&p.id))
            .collect();
        (!available.is_empty()).then(|| {
            view! {
                <section class="card connect" aria-labelledby="connect-title">
                    <h2 id="connect-title">{tr(Text::ConnectTitle)}</h2>
                    <p class="muted">{tr(Text::ConnectIntro)}</p>
                    <ul class="provider-list">
                        {available
                            .into_iter()
                            .map(|provider| view! { <li><ConnectButton provider /></li> })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    })
    .into_any()
}

/// A card for each messaging service (capability `messaging`) that is not a
/// connection itself: it sends to the account the person signed in with
/// through another provider (`sends_via`). While that sign-in is missing the
/// card says so instead of offering a form whose every send would fail; the
/// "Connect another account" list below has the button.
#[component]
fn MessagingCards(
    /// Ids of the providers connected (a connection with `messaging` shows
    /// the form on its own card instead).
    connected: Vec<String>,
) -> AnyView {
    let providers = Providers::expect();
    let triage = Triage::without_banner(Auth::expect());
    (move || {
        let all = providers
            .resource()
            .get()
            .and_then(Result::ok)
            .unwrap_or_default();
        let name_of = |id: &str| {
            all.iter()
                .find(|p| p.id == id)
                .map_or_else(|| id.to_owned(), |p| p.name.clone())
        };
        all.iter()
            .filter(|p| {
                p.capabilities.contains(&Capability::Messaging) && !connected.contains(&p.id)
            })
            .map(|p| {
                let ProviderInfo { id, name, .. } = p.clone();
                let missing = p
                    .sends_via
                    .as_deref()
                    .filter(|via| !connected.iter().any(|c| c == via));
                let heading_id = format!("messaging-{}", crate::dom_id(&id));
                let labelled_by = heading_id.clone();
                let named_by = heading_id.clone();
                let title = trf(Text::MessagingCard, "provider", name.clone());
                let body = match missing {
                    Some(via) => view! {
                        <p class="muted">
                            {trf(Text::MessageNeedsLogin, "provider", name_of(via))}
                        </p>
                    }
                    .into_any(),
                    None => view! {
                        <ComposeForm
                            kind=ComposeKind::Message
                            provider=id
                            provider_name=name
                            triage
                            named_by
                        />
                    }
                    .into_any(),
                };
                view! {
                    <article class="card messaging" aria-labelledby=labelled_by>
                        <h2 id=heading_id class="connection__name">
                            {title}
                        </h2>
                        {body}
                    </article>
                }
            })
            .collect_view()
    })
    .into_any()
}

/// "Connect {name}": the same popup flow as signing in; the server adds the
/// connection to the current session.
#[component]
fn ConnectButton(
    /// The provider to connect.
    provider: ProviderInfo,
) -> AnyView {
    let flow = LoginFlow::expect();
    let ProviderInfo { id, name, kind, .. } = provider;
    let label = trf(Text::ConnectWith, "provider", name.clone());
    view! {
        <button
            type="button"
            class="button button--secondary button--provider"
            data-kind=kind
            on:click=move |_| flow.start(&id, &name)
        >
            {label}
        </button>
    }
    .into_any()
}
