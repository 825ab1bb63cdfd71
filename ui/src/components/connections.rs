//! The signed-in person's accounts: a card per connection and one per messaging service.

use keyhole_api::{Capability, Me, ProviderInfo};
use leptos::prelude::*;

use crate::{
    components::{ComposeForm, ConnectionCard, compose_form::ComposeKind, connection_card::Triage},
    context::use_keyhole,
    i18n::Text,
};

/// A [`ConnectionCard`] for each connection of `me`, then a card for each
/// messaging service (capability `messaging`) the session can send through;
/// "No account is connected." when there is nothing to show.
#[component]
pub fn Connections(
    /// The session, as [`use_session`](crate::use_session) loaded it.
    me: Me,
) -> AnyView {
    let texts = use_keyhole().texts();
    let connected: Vec<String> = me.connections.iter().map(|c| c.provider.clone()).collect();
    let cards = if me.connections.is_empty() {
        view! { <p class="kh-muted">{texts.tr(Text::NoConnections)}</p> }.into_any()
    } else {
        me.connections
            .into_iter()
            .map(|connection| view! { <ConnectionCard connection /> })
            .collect_view()
            .into_any()
    };
    view! { <div class="kh-cards">{cards} <MessagingCards connected /></div> }.into_any()
}

/// A card for each messaging service (capability `messaging`) that is not a
/// connection itself: it sends to the account the person signed in with
/// through another provider (`sends_via`). While that sign-in is missing the
/// card says so instead of offering a form whose every send would fail; the
/// [`ConnectAnother`](crate::ConnectAnother) list has the button.
#[component]
fn MessagingCards(
    /// Ids of the providers connected (a connection with `messaging` shows
    /// the form on its own card instead).
    connected: Vec<String>,
) -> AnyView {
    let keyhole = use_keyhole();
    let texts = keyhole.texts();
    let providers = keyhole.providers();
    let triage = Triage::without_banner(keyhole.session());
    (move || {
        let all = providers.list();
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
                let heading_id = format!("kh-messaging-{}", crate::dom_id(&id));
                let labelled_by = heading_id.clone();
                let named_by = heading_id.clone();
                let title = texts.trf(Text::MessagingCard, "provider", name.clone());
                let body = match missing {
                    Some(via) => view! {
                        <p class="kh-muted">
                            {texts.trf(Text::MessageNeedsLogin, "provider", name_of(via))}
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
                    <article class="kh-card kh-messaging" aria-labelledby=labelled_by>
                        <h2 id=heading_id class="kh-connection__name">
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
