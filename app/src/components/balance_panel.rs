//! A connection's balance: the figures, a "Refresh balance" button and, where offered, "Top up".

use keyhole_api::{Balance, ErrorCode};
use leptos::prelude::*;

use crate::{
    api::{self, AppError},
    auth::Auth,
    components::ErrorNotice,
    i18n::{self, Text, t, tf},
};

/// `window.open` features for the top-up page: a new tab that cannot reach back.
const TOPUP_FEATURES: &str = "noopener,noreferrer";

/// The balance section of one connection card.
///
/// Its heading is for screen readers and names the region; sighted readers
/// see "Balance: {formatted}" right below it.
///
/// Amounts and the provider's `formatted` string are opaque text in the
/// provider's own unit; nothing here parses or rounds them.
#[component]
pub fn BalancePanel(
    /// Provider id (URL segment).
    #[prop(into)]
    provider: String,
    /// Provider display name, for messages.
    #[prop(into)]
    provider_name: String,
    /// Last known balance; replaced by each refresh.
    balance: RwSignal<Option<Balance>>,
    /// Whether the provider has a top-up page.
    can_topup: bool,
    /// Set when the provider refuses the stored grant (the card shows a banner).
    expired: RwSignal<bool>,
) -> impl IntoView {
    let auth = Auth::expect();
    let error = RwSignal::new(None::<AppError>);
    // Shared by both actions: what a failed call means for this card.
    let on_error = move |err: AppError| match err.code() {
        Some(ErrorCode::ReauthRequired) => expired.set(true),
        Some(ErrorCode::Unauthenticated) => auth.refetch(),
        _ => error.set(Some(err)),
    };

    let refresh = {
        let provider = provider.clone();
        Action::new_local(move |_: &()| {
            let provider = provider.clone();
            async move {
                error.set(None);
                match api::balance(&provider).await {
                    Ok(fresh) => balance.set(Some(fresh)),
                    Err(err) => on_error(err),
                }
            }
        })
    };
    let topup = {
        let provider = provider.clone();
        Action::new_local(move |_: &()| {
            let provider = provider.clone();
            async move {
                error.set(None);
                match api::topup(&provider).await {
                    Ok(topup) => open_topup(&topup.url),
                    Err(err) => on_error(err),
                }
            }
        })
    };
    let refreshing = refresh.pending();
    let opening = topup.pending();
    let heading_id = format!("balance-{}", crate::dom_id(&provider));
    let labelled_by = heading_id.clone();

    view! {
        <section class="balance" aria-labelledby=labelled_by>
            <h3 id=heading_id class="visually-hidden">
                {t(Text::BalanceHeading)}
            </h3>
            {move || balance.get().map(|balance| view! { <BalanceFigures balance /> })}
            {move || {
                error
                    .get()
                    .map(|error| {
                        view! { <ErrorNotice error provider_name=provider_name.clone() /> }
                    })
            }}
            <div class="actions">
                <button
                    type="button"
                    class="button"
                    disabled=move || refreshing.get()
                    aria-busy=move || refreshing.get().then_some("true")
                    on:click=move |_| {
                        refresh.dispatch(());
                    }
                >
                    {move || {
                        if refreshing.get() {
                            view! {
                                <span class="spinner" aria-hidden="true"></span>
                                {t(Text::Refreshing)}
                            }
                                .into_any()
                        } else {
                            t(Text::RefreshBalance).into_any()
                        }
                    }}
                </button>
                {can_topup
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button button--secondary"
                                disabled=move || opening.get()
                                on:click=move |_| {
                                    topup.dispatch(());
                                }
                            >
                                {move || {
                                    if opening.get() {
                                        t(Text::OpeningTopUp)
                                    } else {
                                        t(Text::TopUp)
                                    }
                                }}
                            </button>
                        }
                    })}
            </div>
        </section>
    }
}

/// The figures of one balance.
#[component]
fn BalanceFigures(
    /// The balance to show.
    balance: Balance,
) -> impl IntoView {
    let Balance {
        remaining,
        used,
        total,
        unit,
        formatted,
        as_of,
    } = balance;
    let as_of_text = tf(Text::AsOf, &[("time", &i18n::format_time(&as_of))]);
    view! {
        <p class="balance__formatted">{tf(Text::BalanceFormatted, &[("formatted", &formatted)])}</p>
        <dl class="figures">
            <div class="figures__item">
                <dt>{t(Text::Remaining)}</dt>
                <dd>{remaining}</dd>
            </div>
            {used
                .map(|used| {
                    view! {
                        <div class="figures__item">
                            <dt>{t(Text::Used)}</dt>
                            <dd>{used}</dd>
                        </div>
                    }
                })}
            {total
                .map(|total| {
                    view! {
                        <div class="figures__item">
                            <dt>{t(Text::Total)}</dt>
                            <dd>{total}</dd>
                        </div>
                    }
                })}
            <div class="figures__item">
                <dt>{t(Text::Unit)}</dt>
                <dd>{unit}</dd>
            </div>
        </dl>
        <p class="balance__as-of">
            <time datetime=as_of>{as_of_text}</time>
        </p>
    }
}

/// Opens the provider's top-up page in a new tab, for web URLs only.
fn open_topup(url: &str) {
    if url.starts_with("https://") || url.starts_with("http://") {
        _ = window().open_with_url_and_target_and_features(url, "_blank", TOPUP_FEATURES);
    }
}
