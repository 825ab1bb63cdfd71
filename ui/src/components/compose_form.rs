//! Capabilities `notify` and `messaging`: a small form that sends a text through the provider, with a live character counter and the result.

use keyhole_api::{ErrorCode, MESSAGE_TEXT_MAX_CHARS, NOTIFY_MESSAGE_MAX_CHARS, RateLimit};
use leptos::{ev, prelude::*};

use crate::{
    client::CallError,
    components::{
        ErrorNotice,
        connection_card::Triage,
        text_limit::{CharCount, TextProblem},
    },
    context::{use_keyhole, use_providers},
    i18n::{Text, Texts, format_unix_time},
    session::Providers,
    task::Task,
};

/// Which capability the form serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeKind {
    /// "Send a test notification" (`POST /api/me/{provider}/notify`).
    Notify,
    /// "Send me a message" (`POST /api/me/{provider}/message`).
    Message,
}

impl ComposeKind {
    /// Longest text the provider takes, in characters.
    pub fn limit(self) -> usize {
        match self {
            Self::Notify => NOTIFY_MESSAGE_MAX_CHARS,
            Self::Message => MESSAGE_TEXT_MAX_CHARS,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::Message => "message",
        }
    }

    fn heading(self) -> Text {
        match self {
            Self::Notify => Text::NotifyHeading,
            Self::Message => Text::MessageHeading,
        }
    }

    fn label(self) -> Text {
        match self {
            Self::Notify => Text::NotifyLabel,
            Self::Message => Text::MessageLabel,
        }
    }

    fn submit(self) -> Text {
        match self {
            Self::Notify => Text::NotifySend,
            Self::Message => Text::MessageSend,
        }
    }

    /// What the text field starts with: a message needs no thought to try.
    fn initial_text(self, texts: Texts) -> String {
        match self {
            Self::Notify => String::new(),
            Self::Message => texts.t(Text::MessageDefault).to_owned(),
        }
    }
}

/// A message the provider refused for a reason the person can fix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// Not a friend of the official account (or blocked it).
    NeedsFriend,
    /// Messages go to an account of this provider (display name or id),
    /// which the session has not signed in with.
    NeedsLogin(String),
}

impl Refusal {
    /// The refusal behind `err`, naming the missing sign-in's provider as
    /// `providers` lists it.
    fn of(err: &CallError, providers: Providers) -> Option<Self> {
        let CallError::Api(body) = err else {
            return None;
        };
        match body.code {
            ErrorCode::NotSupported => Some(Self::NeedsFriend),
            ErrorCode::NotFound => {
                let login = body.provider.as_deref()?;
                let name = providers
                    .name_of_untracked(login)
                    .unwrap_or_else(|| login.to_owned());
                Some(Self::NeedsLogin(name))
            }
            _ => None,
        }
    }

    /// The sentence for the person (tracked).
    fn message(&self, texts: Texts, provider_name: &str) -> String {
        match self {
            Self::NeedsFriend => texts.tf(Text::MessageNeedsFriend, &[("provider", provider_name)]),
            Self::NeedsLogin(login) => texts.tf(Text::MessageNeedsLogin, &[("provider", login)]),
        }
    }
}

/// What came back from a successful send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// A notification, with the provider's rate limit when it reported one.
    Notified(Option<RateLimit>),
    /// A message.
    Messaged,
}

/// The form of one capability: a section of a connection card, or the whole
/// of a messaging service's card.
#[component]
pub fn ComposeForm(
    /// Which capability the form serves.
    kind: ComposeKind,
    /// Provider id (URL segment).
    provider: String,
    /// Provider display name, for labels and messages.
    provider_name: String,
    /// What a failed call means for the card.
    triage: Triage,
    /// Id of a heading that already names the form (a card that holds only
    /// this form); without it, the form has a heading of its own.
    #[prop(optional, into)]
    named_by: Option<String>,
) -> AnyView {
    let texts = use_keyhole().texts();
    let limit = kind.limit();
    let client = use_keyhole().client();
    let text = RwSignal::new(kind.initial_text(texts));
    let problem = RwSignal::new(None::<TextProblem>);
    let providers = use_providers();
    let error = RwSignal::new(None::<CallError>);
    // A message refused for a reason the person can fix, said in words that
    // tell them what to do.
    let refusal = RwSignal::new(None::<Refusal>);
    let sent = RwSignal::new(None::<Sent>);
    let count = move || text.with(|text| CharCount::of(text, limit));

    let task = Task::new();
    let send = {
        let provider = provider.clone();
        move |body: String| {
            let provider = provider.clone();
            task.run(async move {
                error.set(None);
                refusal.set(None);
                sent.set(None);
                let result = match kind {
                    ComposeKind::Notify => client
                        .notify(&provider, body)
                        .await
                        .map(|result| Sent::Notified(result.rate_limit)),
                    ComposeKind::Message => client
                        .message(&provider, body)
                        .await
                        .map(|()| Sent::Messaged),
                };
                match result {
                    Ok(outcome) => sent.set(Some(outcome)),
                    Err(err) => match Refusal::of(&err, providers)
                        .filter(|_| kind == ComposeKind::Message)
                    {
                        Some(found) => refusal.set(Some(found)),
                        None => error.set(triage.check(err)),
                    },
                }
            });
        }
    };
    let pending = task.pending();
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let body = text.get_untracked();
        let found = TextProblem::of(&body, limit);
        problem.set(found);
        if found.is_none() {
            send(body);
        }
    };

    let base = format!("kh-{}-{}", kind.slug(), crate::dom_id(&provider));
    let heading_id = format!("{base}-heading");
    let field_id = format!("{base}-text");
    let count_id = format!("{base}-count");
    let problem_id = format!("{base}-problem");
    let described_by = {
        let (count_id, problem_id) = (count_id.clone(), problem_id.clone());
        move || match problem.get() {
            Some(_) => format!("{count_id} {problem_id}"),
            None => count_id.clone(),
        }
    };
    let labelled_by = named_by.clone().unwrap_or_else(|| heading_id.clone());
    let own_heading = named_by.is_none().then(|| {
        view! {
            <h3 id=heading_id class="kh-feature__heading">
                {texts.tr(kind.heading())}
            </h3>
        }
    });
    let label_for = field_id.clone();
    let submit_label = {
        let provider_name = provider_name.clone();
        move || {
            if pending.get() {
                texts.t(Text::Sending).to_owned()
            } else {
                texts.tf(kind.submit(), &[("provider", &provider_name)])
            }
        }
    };
    let provider_name_refusal = provider_name.clone();
    let result = {
        let provider_name = provider_name.clone();
        move || {
            sent.get()
                .map(|sent| sent_text(texts, sent, &provider_name))
        }
    };

    view! {
        <section class="kh-feature" aria-labelledby=labelled_by>
            {own_heading}
            <form class="kh-compose" novalidate on:submit=on_submit>
                <label class="kh-compose__label" for=label_for>
                    {texts.tr(kind.label())}
                </label>
                <textarea
                    id=field_id
                    class="kh-compose__text"
                    rows="3"
                    aria-describedby=described_by
                    aria-invalid=move || problem.get().is_some().then_some("true")
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        // A problem stays until the text no longer has it.
                        if problem.get_untracked().is_some() {
                            problem.set(TextProblem::of(&text.get_untracked(), limit));
                        }
                    }
                ></textarea>
                <p
                    id=count_id
                    class=move || {
                        if count().over() > 0 {
                            "kh-compose__count kh-compose__count--over"
                        } else {
                            "kh-compose__count"
                        }
                    }
                >
                    {move || {
                        let count = count();
                        texts.tf(
                            Text::CharCount,
                            &[("count", &count.used.to_string()), ("limit", &limit.to_string())],
                        )
                    }}
                    <span class="kh-visually-hidden">
                        " " {texts.trf(Text::CharLimit, "limit", limit.to_string())}
                    </span>
                </p>
                {move || {
                    problem
                        .get()
                        .map(|found| {
                            view! {
                                <p id=problem_id.clone() class="kh-compose__problem" role="alert">
                                    {move || found.message(texts)}
                                </p>
                            }
                        })
                }}
                <div class="kh-actions">
                    <button
                        type="submit"
                        class="kh-button"
                        disabled=pending
                        aria-busy=move || pending.get().then_some("true")
                    >
                        {submit_label}
                    </button>
                </div>
            </form>
            <p class="kh-compose__result" role="status">
                {result}
            </p>
            {move || {
                refusal
                    .get()
                    .map(|found| {
                        let provider_name = provider_name_refusal.clone();
                        view! {
                            <div class="kh-alert" role="alert">
                                <p>{move || found.message(texts, &provider_name)}</p>
                            </div>
                        }
                    })
            }}
            {move || {
                error
                    .get()
                    .map(|error| view! { <ErrorNotice error provider_name=provider_name.clone() /> })
            }}
        </section>
    }
    .into_any()
}

/// "Notification sent." (with what the rate limit leaves) or "Message sent."
fn sent_text(texts: Texts, sent: Sent, provider_name: &str) -> String {
    match sent {
        Sent::Notified(rate_limit) => {
            let mut text = texts.t(Text::NotifySent).to_owned();
            if let Some(RateLimit {
                limit,
                remaining,
                reset,
            }) = rate_limit
            {
                text.push(' ');
                text.push_str(&texts.tf(
                    Text::RateLimitLeft,
                    &[
                        ("remaining", &remaining.to_string()),
                        ("limit", &limit.to_string()),
                        ("time", &format_unix_time(texts.lang(), reset)),
                    ],
                ));
            }
            text
        }
        Sent::Messaged => texts.tf(Text::MessageSent, &[("provider", provider_name)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn limits_follow_the_capability() {
        assert_eq!(ComposeKind::Notify.limit(), 1000);
        assert_eq!(ComposeKind::Message.limit(), 5000);
        let english = Texts::new(Signal::stored(Lang::En), None);
        assert_eq!(ComposeKind::Notify.initial_text(english), "");
        assert_eq!(
            ComposeKind::Message.initial_text(english),
            "Hello from Keyhole!"
        );
    }

    #[test]
    fn a_message_result_names_the_provider() {
        let english = Texts::new(Signal::stored(Lang::En), None);
        assert_eq!(
            sent_text(english, Sent::Messaged, "LINE"),
            "Message sent. Have a look in LINE."
        );
        assert_eq!(
            sent_text(english, Sent::Notified(None), "LINE"),
            "Notification sent."
        );
    }
}
