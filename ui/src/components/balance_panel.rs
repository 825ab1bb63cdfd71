//! A connection's balance: the figures, a "Refresh balance" button and, where offered, "Top up".

use keyhole_api::Balance;
use leptos::prelude::*;

use crate::{
    client::CallError,
    components::{ErrorNotice, connection_card::Triage},
    context::use_keyhole,
    i18n::{Text, format_time},
    task::Task,
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
    /// What a failed call means for the card (expired grant, ended session).
    triage: Triage,
) -> AnyView {
    let keyhole = use_keyhole();
    let (texts, client) = (keyhole.texts(), keyhole.client());
    let error = RwSignal::new(None::<CallError>);
    let on_error = move |err: CallError| error.set(triage.check(err));

    let (refreshing, opening) = (Task::new(), Task::new());
    let refresh = {
        let provider = provider.clone();
        move || {
            let provider = provider.clone();
            refreshing.run(async move {
                error.set(None);
                match client.balance(&provider).await {
                    Ok(fresh) => balance.set(Some(fresh)),
                    Err(err) => on_error(err),
                }
            });
        }
    };
    let topup = {
        let provider = provider.clone();
        move || {
            let provider = provider.clone();
            opening.run(async move {
                error.set(None);
                match client.topup(&provider).await {
                    Ok(topup) => open_topup(&topup.url),
                    Err(err) => on_error(err),
                }
            });
        }
    };
    let (refreshing, opening) = (refreshing.pending(), opening.pending());
    let heading_id = format!("kh-balance-{}", crate::dom_id(&provider));
    let labelled_by = heading_id.clone();

    view! {
        <section class="kh-balance" aria-labelledby=labelled_by>
            <h3 id=heading_id class="kh-visually-hidden">
                {texts.tr(Text::BalanceHeading)}
            </h3>
            {move || balance.get().map(|balance| view! { <BalanceFigures balance /> })}
            {move || {
                error
                    .get()
                    .map(|error| {
                        view! { <ErrorNotice error provider_name=provider_name.clone() /> }
                    })
            }}
            <div class="kh-actions">
                <button
                    type="button"
                    class="kh-button"
                    disabled=refreshing
                    aria-busy=move || refreshing.get().then_some("true")
                    on:click=move |_| refresh()
                >
                    {move || {
                        if refreshing.get() {
                            view! {
                                <span class="kh-spinner" aria-hidden="true"></span>
                                {texts.t(Text::Refreshing)}
                            }
                                .into_any()
                        } else {
                            texts.t(Text::RefreshBalance).into_any()
                        }
                    }}
                </button>
                {can_topup
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="kh-button kh-button--secondary"
                                disabled=opening
                                on:click=move |_| topup()
                            >
                                {texts.tr_while(opening, Text::OpeningTopUp, Text::TopUp)}
                            </button>
                        }
                    })}
            </div>
        </section>
    }
    .into_any()
}

/// The figures of one balance.
#[component]
fn BalanceFigures(
    /// The balance to show.
    balance: Balance,
) -> AnyView {
    let texts = use_keyhole().texts();
    let Balance {
        remaining,
        used,
        total,
        unit,
        formatted,
        as_of,
    } = balance;
    let meter = meter_values(&remaining, total.as_deref());
    let as_of_text = {
        let as_of = as_of.clone();
        move || texts.tf(Text::AsOf, &[("time", &format_time(texts.lang(), &as_of))])
    };
    view! {
        <p class="kh-balance__formatted">
            {texts.trf(Text::BalanceFormatted, "formatted", formatted)}
        </p>
        {meter
            .map(|(value, max)| {
                view! {
                    <meter
                        class="kh-balance__meter"
                        min="0"
                        max=max
                        value=value
                        aria-label=texts.tr(Text::BalanceMeter)
                    ></meter>
                }
            })}
        <dl class="kh-figures">
            <div class="kh-figures__item">
                <dt>{texts.tr(Text::Remaining)}</dt>
                <dd>{remaining}</dd>
            </div>
            {used
                .map(|used| {
                    view! {
                        <div class="kh-figures__item">
                            <dt>{texts.tr(Text::Used)}</dt>
                            <dd>{used}</dd>
                        </div>
                    }
                })}
            {total
                .map(|total| {
                    view! {
                        <div class="kh-figures__item">
                            <dt>{texts.tr(Text::Total)}</dt>
                            <dd>{total}</dd>
                        </div>
                    }
                })}
            <div class="kh-figures__item">
                <dt>{texts.tr(Text::Unit)}</dt>
                <dd>{unit}</dd>
            </div>
        </dl>
        <p class="kh-balance__as-of">
            <time datetime=as_of>{as_of_text}</time>
        </p>
    }
    .into_any()
}

/// `(value, max)` for the balance meter, when both amounts are plain
/// non-negative decimals and the total is not zero; the browser clamps a value
/// above the maximum. The meter only draws a proportion: the amounts are
/// shown as the provider's strings, and nothing here does arithmetic on them
/// (no floats in the app).
pub fn meter_values(remaining: &str, total: Option<&str>) -> Option<(String, String)> {
    let total = total?.trim();
    let remaining = remaining.trim();
    (is_plain_decimal(remaining)
        && is_plain_decimal(total)
        && total.bytes().any(|b| matches!(b, b'1'..=b'9')))
    .then(|| (remaining.to_owned(), total.to_owned()))
}

/// Digits with at most one decimal point inside: `12`, `0.5`, `10.00`.
fn is_plain_decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// Opens the provider's top-up page in a new tab, for web URLs only.
fn open_topup(url: &str) {
    if url.starts_with("https://") || url.starts_with("http://") {
        _ = window().open_with_url_and_target_and_features(url, "_blank", TOPUP_FEATURES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_needs_two_sensible_amounts() {
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(meter_values("250", Some("1000")), pair("250", "1000"));
        assert_eq!(meter_values(" 12.5", Some("50.00 ")), pair("12.5", "50.00"));
        assert_eq!(meter_values("1200", Some("1000")), pair("1200", "1000"));
        assert_eq!(meter_values("250", None), None);
        assert_eq!(meter_values("250", Some("0.00")), None);
        assert_eq!(meter_values("-1", Some("10")), None);
        assert_eq!(meter_values("US$2.00", Some("10")), None);
        assert_eq!(meter_values("1e3", Some("10")), None);
        assert_eq!(meter_values("1.2.3", Some("10")), None);
        assert_eq!(meter_values(".5", Some("10")), None);
        assert_eq!(meter_values("NaN", Some("10")), None);
    }
}
