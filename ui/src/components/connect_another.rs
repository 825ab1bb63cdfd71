//! "Connect another account": popup buttons that add a provider to the session.

use keyhole_api::ProviderInfo;
use leptos::prelude::*;

use crate::{
    components::sign_in_buttons::ProviderButton, context::use_keyhole, i18n::Text,
    session::connectable,
};

/// "Connect another account": a popup button for each configured provider
/// that can be connected and is not yet; nothing when there is none.
///
/// Unlike [`SignInButtons`](crate::SignInButtons), this lists connect-only
/// providers too (no `login` capability, such as a notification service):
/// the server accepts them once a session exists, and adds them to it.
#[component]
pub fn ConnectAnother(
    /// Ids of the providers already connected.
    connected: Vec<String>,
) -> AnyView {
    let keyhole = use_keyhole();
    let texts = keyhole.texts();
    let providers = keyhole.providers();
    (move || {
        let available: Vec<ProviderInfo> = providers
            .list()
            .into_iter()
            .filter(|p| connectable(p) && !connected.contains(&p.id))
            .collect();
        (!available.is_empty()).then(|| {
            view! {
                <section class="kh-card kh-connect" aria-labelledby="kh-connect-title">
                    <h2 id="kh-connect-title">{texts.tr(Text::ConnectTitle)}</h2>
                    <p class="kh-muted">{texts.tr(Text::ConnectIntro)}</p>
                    <ul class="kh-provider-list">
                        {available
                            .into_iter()
                            .map(|provider| {
                                view! {
                                    <li>
                                        <ProviderButton provider label=Text::ConnectWith secondary=true />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    })
    .into_any()
}
