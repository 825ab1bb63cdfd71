//! Capability `friendship`: whether the person is a friend of the provider's official account, with an "Add friend" link when not.

use keyhole_api::Friendship;
use leptos::prelude::*;

use crate::{
    client::CallError,
    components::{ErrorNotice, connection_card::Triage},
    context::use_keyhole,
    i18n::Text,
    task::Task,
};

/// The friendship section of one connection card.
///
/// It asks the server when the card appears (a reload asks again, after the
/// person added the account in the tab the link opened).
#[component]
pub fn FriendshipPanel(
    /// Provider id (URL segment).
    provider: String,
    /// Provider display name, for the sentences.
    provider_name: String,
    /// What a failed call means for the card.
    triage: Triage,
) -> AnyView {
    let keyhole = use_keyhole();
    let (texts, client) = (keyhole.texts(), keyhole.client());
    let heading_id = format!("kh-friendship-{}", crate::dom_id(&provider));
    // A task rather than a resource: the components' other requests are
    // tasks of the same shape, so this one adds almost no code to the bundle.
    let answer = RwSignal::new(None::<Friendship>);
    let error = RwSignal::new(None::<CallError>);
    let task = Task::new();
    let check = move || {
        let provider = provider.clone();
        task.run(async move {
            error.set(None);
            match client.friendship(&provider).await {
                Ok(found) => answer.set(Some(found)),
                Err(err) => error.set(triage.check(err)),
            }
        });
    };
    check();

    let labelled_by = heading_id.clone();
    let retry = Callback::new(move |()| check());
    let pending = task.pending();
    let body = move || match (answer.get(), error.get()) {
        (Some(answer), _) => {
            view! { <FriendshipStatus answer provider_name=provider_name.clone() /> }.into_any()
        }
        (None, Some(error)) => view! {
            <ErrorNotice error provider_name=provider_name.clone() on_retry=retry />
        }
        .into_any(),
        // Loading, or handled by the card (banner or sign-in page).
        (None, None) => pending
            .get()
            .then(|| view! { <p class="kh-muted">{texts.tr(Text::Loading)}</p> })
            .into_any(),
    };

    view! {
        <section class="kh-feature" aria-labelledby=labelled_by>
            <h3 id=heading_id class="kh-feature__heading">
                {texts.tr(Text::FriendshipHeading)}
            </h3>
            {body}
        </section>
    }
    .into_any()
}

/// "You are a friend of …", or "not yet" with the add-friend link.
#[component]
fn FriendshipStatus(
    /// The server's answer.
    answer: Friendship,
    /// Provider display name.
    provider_name: String,
) -> AnyView {
    let texts = use_keyhole().texts();
    let Friendship {
        friend,
        add_friend_url,
    } = answer;
    let text = if friend {
        Text::FriendYes
    } else {
        Text::FriendNo
    };
    let sentence = texts.trf(text, "provider", provider_name);
    // A web page only: never a `javascript:` or other scheme from upstream.
    let link = add_friend_url
        .filter(|url| !friend && is_web_url(url))
        .map(|url| {
            view! {
                <a class="kh-button kh-button--secondary" href=url target="_blank" rel="noopener noreferrer">
                    {texts.tr(Text::AddFriend)}
                    <span class="kh-visually-hidden">" " {texts.tr(Text::OpensInNewTab)}</span>
                </a>
            }
        });
    view! {
        <p class="kh-feature__status" data-friend=friend.to_string()>
            {sentence}
        </p>
        {link.map(|link| view! { <div class="kh-actions">{link}</div> })}
    }
    .into_any()
}

/// True for `https://…` and `http://…` URLs.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_are_offered() {
        assert!(is_web_url("https://line.me/R/ti/p/@keyhole"));
        assert!(is_web_url("HTTP://example.com"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("line://ti/p/@keyhole"));
        assert!(!is_web_url("//evil.example"));
    }
}
