//! One connected provider account: avatar, name, email, provider badge, status, what its capabilities offer, and "Disconnect".

use keyhole_api::{Capability, Connection, ConnectionStatus, ErrorCode, Profile};
use leptos::prelude::*;

use crate::{
    a11y::FocusTarget,
    client::CallError,
    components::compose_form::ComposeKind,
    components::{BalancePanel, ComposeForm, ErrorNotice, FriendshipPanel, ReauthBanner},
    context::{use_keyhole, use_session},
    i18n::Text,
    session::Session,
    task::Task,
};

/// What a failed call means for one card, shared by all of its sections.
#[derive(Debug, Clone, Copy)]
pub struct Triage {
    session: Session,
    expired: Option<RwSignal<bool>>,
}

impl Triage {
    /// Triage for a connection card, whose banner `expired` shows.
    pub fn new(session: Session, expired: RwSignal<bool>) -> Self {
        Self {
            session,
            expired: Some(expired),
        }
    }

    /// Triage for a card without a reconnect banner (a messaging service).
    pub fn without_banner(session: Session) -> Self {
        Self {
            session,
            expired: None,
        }
    }

    /// Handles what the card as a whole must react to and returns the rest,
    /// to show in place: an expired grant shows the card's banner, an ended
    /// session reloads `/api/me` (and so the sign-in page).
    pub fn check(self, err: CallError) -> Option<CallError> {
        match (err.code(), self.expired) {
            (Some(ErrorCode::ReauthRequired), Some(expired)) => {
                expired.set(true);
                None
            }
            (Some(ErrorCode::Unauthenticated), _) => {
                self.session.refetch();
                None
            }
            _ => Some(err),
        }
    }
}

/// A card for one connection of the session.
///
/// Every profile field comes from the provider and is rendered as text only.
/// Sections appear by capability, never by provider name: `balance`/`topup`
/// (balance panel), `friendship`, `notify` and `messaging`.
#[component]
pub fn ConnectionCard(
    /// The connection to show.
    connection: Connection,
) -> AnyView {
    let texts = use_keyhole().texts();
    let Connection {
        provider,
        provider_name,
        status,
        profile,
        balance,
        capabilities,
        ..
    } = connection;
    let Profile {
        display_name,
        email,
        avatar_url,
        ..
    } = profile;

    let expired = RwSignal::new(status == ConnectionStatus::ReauthRequired);
    let triage = Triage::new(use_session(), expired);
    let has = |capability| capabilities.contains(&capability);
    let has_balance = balance.is_some() || has(Capability::Balance);
    let can_topup = has(Capability::Topup);
    let balance = RwSignal::new(balance);
    let dom_id = crate::dom_id(&provider);
    let heading_id = format!("kh-connection-{dom_id}");
    let badge_id = format!("kh-provider-{dom_id}");
    let avatar_url =
        avatar_url.filter(|url| url.starts_with("https://") || url.starts_with("http://"));

    let banner = {
        let provider = provider.clone();
        let name = provider_name.clone();
        move || {
            expired
                .get()
                .then(|| view! { <ReauthBanner provider=provider.clone() name=name.clone() /> })
        }
    };
    let balance_panel = has_balance.then(|| {
        view! {
            <BalancePanel
                provider=provider.clone()
                provider_name=provider_name.clone()
                balance
                can_topup
                triage
            />
        }
    });
    let friendship = has(Capability::Friendship).then(|| {
        view! {
            <FriendshipPanel
                provider=provider.clone()
                provider_name=provider_name.clone()
                triage
            />
        }
    });
    let notify = has(Capability::Notify).then(|| {
        view! {
            <ComposeForm
                kind=ComposeKind::Notify
                provider=provider.clone()
                provider_name=provider_name.clone()
                triage
            />
        }
    });
    let messaging = has(Capability::Messaging).then(|| {
        view! {
            <ComposeForm
                kind=ComposeKind::Message
                provider=provider.clone()
                provider_name=provider_name.clone()
                triage
            />
        }
    });

    let labelled_by = heading_id.clone();
    let described_by = badge_id.clone();

    view! {
        <article class="kh-card kh-connection" aria-labelledby=labelled_by>
            {banner}
            <header class="kh-connection__header">
                {avatar_url
                    .map(|url| {
                        view! {
                            <img
                                class="kh-avatar"
                                src=url
                                alt=""
                                width="56"
                                height="56"
                                referrerpolicy="no-referrer"
                            />
                        }
                    })}
                <div class="kh-connection__who">
                    <h2 id=heading_id class="kh-connection__name">
                        {display_name}
                    </h2>
                    <span id=badge_id class="kh-badge">
                        {provider_name.clone()}
                    </span>
                </div>
            </header>
            <dl class="kh-facts">
                {email
                    .map(|email| {
                        view! {
                            <div class="kh-facts__item">
                                <dt>{texts.tr(Text::Email)}</dt>
                                <dd class="kh-connection__email">{email}</dd>
                            </div>
                        }
                    })}
                <div class="kh-facts__item">
                    <dt>{texts.tr(Text::Status)}</dt>
                    <dd class="kh-connection__status">
                        {texts.tr_while(expired, Text::StatusReauth, Text::StatusActive)}
                    </dd>
                </div>
            </dl>
            {balance_panel}
            {friendship}
            {notify}
            {messaging}
            <DisconnectButton provider provider_name described_by triage />
        </article>
    }
    .into_any()
}

/// "Disconnect": removes this connection; the last one ends the session.
///
/// Either way the page changes under the person, so focus goes to the next
/// page's heading and the live region says which provider was disconnected.
#[component]
fn DisconnectButton(
    /// Provider id (URL segment).
    provider: String,
    /// Provider display name, for the announcement.
    provider_name: String,
    /// Id of the element naming the provider (the card's badge), read after
    /// the button's own name so each card's button is told apart.
    described_by: String,
    /// What a failed call means for the card.
    triage: Triage,
) -> AnyView {
    let keyhole = use_keyhole();
    let (texts, client, session) = (keyhole.texts(), keyhole.client(), keyhole.session());
    let (focus, announcer) = (keyhole.focus(), keyhole.announcer());
    let error = RwSignal::new(None::<CallError>);
    let task = Task::new();
    let disconnect = {
        let provider_name = provider_name.clone();
        move || {
            let provider = provider.clone();
            let provider_name = provider_name.clone();
            task.run(async move {
                error.set(None);
                match client.disconnect(&provider).await {
                    // Not connected any more (another tab was faster): the
                    // same outcome as a disconnect.
                    Ok(()) => {}
                    Err(err) if err.code() == Some(ErrorCode::NotFound) => {}
                    Err(err) => {
                        error.set(triage.check(err));
                        return;
                    }
                }
                focus.request(FocusTarget::PageHeading);
                announcer.say(Text::Disconnected, &provider_name);
                session.refetch();
            });
        }
    };
    let pending = task.pending();
    view! {
        {move || {
            error
                .get()
                .map(|error| view! { <ErrorNotice error provider_name=provider_name.clone() /> })
        }}
        <div class="kh-actions kh-connection__footer">
            <button
                type="button"
                class="kh-button kh-button--secondary kh-button--danger"
                aria-describedby=described_by
                disabled=pending
                on:click=move |_| disconnect()
            >
                {texts.tr_while(pending, Text::Disconnecting, Text::Disconnect)}
            </button>
        </div>
    }
    .into_any()
}
