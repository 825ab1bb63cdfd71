//! One connected provider account: avatar, name, email, provider badge, status and balance.

use keyhole_api::{Capability, Connection, ConnectionStatus, Profile};
use leptos::prelude::*;

use crate::{
    components::{BalancePanel, ReauthBanner},
    i18n::{Text, t},
};

/// A card for one connection of the session.
///
/// Every profile field comes from the provider and is rendered as text only.
#[component]
pub fn ConnectionCard(
    /// The connection to show.
    connection: Connection,
) -> impl IntoView {
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
    let has_balance = balance.is_some() || capabilities.contains(&Capability::Balance);
    let can_topup = capabilities.contains(&Capability::Topup);
    let balance = RwSignal::new(balance);
    let heading_id = format!("connection-{}", crate::dom_id(&provider));
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
                expired
            />
        }
    });

    let labelled_by = heading_id.clone();

    view! {
        <article class="card connection" aria-labelledby=labelled_by>
            {banner}
            <header class="connection__header">
                {avatar_url
                    .map(|url| {
                        view! {
                            <img
                                class="avatar"
                                src=url
                                alt=""
                                width="56"
                                height="56"
                                referrerpolicy="no-referrer"
                            />
                        }
                    })}
                <div class="connection__who">
                    <h2 id=heading_id class="connection__name">
                        {display_name}
                    </h2>
                    <span class="badge">{provider_name}</span>
                </div>
            </header>
            <dl class="facts">
                {email
                    .map(|email| {
                        view! {
                            <div class="facts__item">
                                <dt>{t(Text::Email)}</dt>
                                <dd class="connection__email">{email}</dd>
                            </div>
                        }
                    })}
                <div class="facts__item">
                    <dt>{t(Text::Status)}</dt>
                    <dd class="connection__status">
                        {move || {
                            if expired.get() {
                                t(Text::StatusReauth)
                            } else {
                                t(Text::StatusActive)
                            }
                        }}
                    </dd>
                </div>
            </dl>
            {balance_panel}
        </article>
    }
}
