//! Every user-visible string, in English, Traditional Chinese (Taiwan) and Thai, keyed by [`Text`]; and the current language.
//!
//! Views never hold literal text: they call [`tr`] (a reactive fixed string),
//! or [`t`] / [`tf`] inside a reactive closure (`move || tf(...)`), so every
//! string follows the language menu without re-creating any component.
//!
//! The language is chosen once at start ([`init`]): the one remembered in
//! `localStorage` under [`STORAGE_KEY`], else the first of the browser's
//! `navigator.languages` that Keyhole speaks, else English. [`choose`] switches
//! and remembers it; the `<html lang>` attribute follows.
//!
//! Each language lives in its own file, as one exhaustive `match`: [`english`]
//! in `en.rs`, [`chinese`] in `zh_tw.rs` and [`thai`] in `th.rs`. A key
//! without a translation does not compile; a test checks that every
//! translation keeps its placeholders.

use leptos::prelude::*;

mod en;
mod th;
mod zh_tw;

pub use en::english;
pub use th::thai;
pub use zh_tw::chinese;

/// `localStorage` key of the chosen language: the only thing the app keeps in
/// the browser's storage.
pub const STORAGE_KEY: &str = "keyhole.lang";

/// A language the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Traditional Chinese as written in Taiwan.
    ZhTw,
    /// Thai.
    Th,
}

impl Lang {
    /// Every language, in the order of the language menu.
    pub const ALL: [Self; 3] = [Self::En, Self::ZhTw, Self::Th];

    /// BCP 47 tag: `<html lang>`, the login URL's `lang`, date formatting.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhTw => "zh-TW",
            Self::Th => "th",
        }
    }

    /// The language's name in itself, as the menu shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::ZhTw => "繁體中文",
            Self::Th => "ไทย",
        }
    }

    /// The language for a BCP 47 tag, matched on its primary subtag
    /// (case-insensitive): `en-GB` is English, `th-TH` Thai, and any `zh`
    /// (`zh-TW`, `zh-Hant-HK`, also `zh-CN`) Traditional Chinese, the only
    /// Chinese the app has and still far closer than English.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "zh" => Some(Self::ZhTw),
            "th" => Some(Self::Th),
            _ => None,
        }
    }

    /// The first of `preferred` (most preferred first) that the app speaks,
    /// else English.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Self {
        preferred
            .into_iter()
            .find_map(Self::from_tag)
            .unwrap_or_default()
    }
}

thread_local! {
    // The app runs on one thread; a signal here lets `t` work anywhere,
    // including in async code that has no reactive owner.
    static CURRENT: ArcRwSignal<Lang> = ArcRwSignal::new(Lang::default());
}

/// The current language; tracked, so a reactive closure that reads it reruns
/// when it changes.
pub fn lang() -> Lang {
    CURRENT.with(|current| current.get())
}

/// The current language, without tracking (event handlers, URLs).
pub fn lang_untracked() -> Lang {
    CURRENT.with(|current| current.get_untracked())
}

/// Picks the language at start (remembered choice, then the browser's
/// languages) and keeps `<html lang>` in step with it. Call once, from
/// [`crate::App`].
pub fn init() {
    let remembered = storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|tag| Lang::from_tag(&tag));
    let chosen = remembered.unwrap_or_else(|| {
        let languages: Vec<String> = window()
            .navigator()
            .languages()
            .iter()
            .filter_map(|tag| tag.as_string())
            .collect();
        Lang::negotiate(languages.iter().map(String::as_str))
    });
    CURRENT.with(|current| current.set(chosen));
    Effect::new(move || {
        let tag = lang().tag();
        if let Some(root) = document().document_element() {
            _ = root.set_attribute("lang", tag);
        }
    });
}

/// Switches to `lang` and remembers the choice.
pub fn choose(lang: Lang) {
    if let Some(storage) = storage() {
        _ = storage.set_item(STORAGE_KEY, lang.tag());
    }
    CURRENT.with(|current| current.set(lang));
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be disabled (privacy settings): then nothing is remembered.
    window().local_storage().ok().flatten()
}

/// Defines [`Text`] and `Text::ALL` from one list, so the list used by the
/// tests can never miss a key.
macro_rules! texts {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// Key of one user-visible string. Placeholders are noted where a key has some.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Text {
            $($(#[$doc])* $key,)*
        }

        impl Text {
            /// Every key, in declaration order.
            pub const ALL: &'static [Text] = &[$(Text::$key,)*];
        }
    };
}

texts! {
    /// Product name in the header.
    AppName,
    /// Label of the language menu.
    Language,
    /// Shown while something loads.
    Loading,
    /// Sign-in page heading.
    SignInTitle,
    /// Sign-in page introduction.
    SignInIntro,
    /// Sign-in button; `{provider}`.
    SignInWith,
    /// No provider offers sign-in.
    NoProviders,
    /// Live status while the popup is open; `{provider}`.
    Waiting,
    /// Hint under the waiting status.
    WaitingHint,
    /// Closes the sign-in popup.
    Cancel,
    /// The popup was closed without an answer.
    Cancelled,
    /// Announced after a successful popup sign-in; `{provider}`.
    SignedIn,
    /// The person pressed Deny at the provider; `{provider}`.
    LoginDeclined,
    /// State mismatch, expired or foreign login.
    LoginExpired,
    /// The provider could not be reached during sign-in; `{provider}`.
    LoginProviderUnavailable,
    /// The provider answered the sign-in with an error; `{provider}`.
    LoginProviderError,
    /// The sign-in request was rejected as malformed.
    LoginInvalidRequest,
    /// Any other sign-in failure; `{provider}`.
    LoginFailed,
    /// The provider's own error text; `{provider}`, `{description}`.
    ProviderSaid,
    /// Stands in for a provider name that is unknown.
    TheProvider,
    /// Dashboard heading.
    DashboardTitle,
    /// Shown when the session has no connection.
    NoConnections,
    /// Logout button (ends the whole session).
    LogOut,
    /// Logout button while the request runs.
    LoggingOut,
    /// Announced after logging out.
    LoggedOut,
    /// Heading of the "connect another account" section.
    ConnectTitle,
    /// Introduction of the "connect another account" section.
    ConnectIntro,
    /// Button that adds a provider to the session; `{provider}`.
    ConnectWith,
    /// Removes one connection.
    Disconnect,
    /// Disconnect button while the request runs.
    Disconnecting,
    /// Announced after a disconnect; `{provider}`.
    Disconnected,
    /// Label of the email field.
    Email,
    /// Label of the connection status.
    Status,
    /// Connection status: tokens usable.
    StatusActive,
    /// Connection status: needs a new sign-in.
    StatusReauth,
    /// Banner for an expired connection; `{provider}`.
    ReauthBanner,
    /// Button that restarts the popup flow.
    SignInAgain,
    /// Balance section heading.
    BalanceHeading,
    /// The provider's own balance string; `{formatted}`.
    BalanceFormatted,
    /// Accessible name of the balance meter.
    BalanceMeter,
    /// Label: remaining amount.
    Remaining,
    /// Label: amount used.
    Used,
    /// Label: total amount.
    Total,
    /// Label: unit of the amounts.
    Unit,
    /// Time the balance was reported; `{time}`.
    AsOf,
    /// Balance refresh button.
    RefreshBalance,
    /// Balance refresh button while loading.
    Refreshing,
    /// Opens the provider's top-up page.
    TopUp,
    /// Top-up button while the URL loads.
    OpeningTopUp,
    /// Heading of the friendship section.
    FriendshipHeading,
    /// The person is a friend of the official account; `{provider}`.
    FriendYes,
    /// The person is not a friend of the official account; `{provider}`.
    FriendNo,
    /// Link to add the official account as a friend.
    AddFriend,
    /// Told to screen readers after a link that opens a new tab.
    OpensInNewTab,
    /// Heading of the test-notification form.
    NotifyHeading,
    /// Label of the notification text.
    NotifyLabel,
    /// Sends the test notification.
    NotifySend,
    /// The notification went out.
    NotifySent,
    /// Rate limit after a notification; `{remaining}`, `{limit}`, `{time}`.
    RateLimitLeft,
    /// Heading of the message form.
    MessageHeading,
    /// Label of the message text.
    MessageLabel,
    /// Text the message form starts with.
    MessageDefault,
    /// Sends the message; `{provider}`.
    MessageSend,
    /// The message went out; `{provider}`.
    MessageSent,
    /// The provider would not deliver: not a friend of its official account; `{provider}`.
    MessageNeedsFriend,
    /// Messages go to an account the person has not signed in with; `{provider}`.
    MessageNeedsLogin,
    /// Heading of a messaging service's card (not a connection); `{provider}`.
    MessagingCard,
    /// A send button while the request runs.
    Sending,
    /// Character counter; `{count}`, `{limit}`.
    CharCount,
    /// Limit of a text field, for screen readers; `{limit}`.
    CharLimit,
    /// Submitted an empty text.
    TextEmpty,
    /// Submitted a text over the limit; `{over}`.
    TextTooLong,
    /// The server could not be reached.
    ErrorNetwork,
    /// The server is rate limiting.
    ErrorRateLimited,
    /// A provider could not be reached; `{provider}`.
    ErrorProviderUnavailable,
    /// A provider answered with an error; `{provider}`.
    ErrorProviderError,
    /// The provider does not support this; `{provider}`.
    ErrorNotSupported,
    /// The provider connection needs a new sign-in; `{provider}`.
    ErrorReauth,
    /// Anything else.
    ErrorGeneric,
    /// Request id for support; `{id}`.
    ErrorReference,
    /// Retries a failed load.
    Retry,
    /// Not-found page heading.
    NotFoundTitle,
    /// Not-found page text.
    NotFoundText,
    /// Link back to `/`.
    GoHome,
}

/// The string for `text` in the current language (tracked).
pub fn t(text: Text) -> &'static str {
    t_in(lang(), text)
}

/// The string for `text` in `lang`.
pub fn t_in(lang: Lang, text: Text) -> &'static str {
    match lang {
        Lang::En => english(text),
        Lang::ZhTw => chinese(text),
        Lang::Th => thai(text),
    }
}

/// A fixed string that follows the language: use it as a view child or an
/// attribute value.
pub fn tr(text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || t(text)
}

/// A template with one placeholder, `{key}` = `value`, that follows the
/// language: use it as a view child or an attribute value.
pub fn trf(
    text: Text,
    key: &'static str,
    value: String,
) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    move || tf(text, &[(key, &value)])
}

/// A fixed string chosen by a flag (a button that reads "Sending…" while its
/// request runs): `on` while `flag` is true, else `off`.
pub fn tr_while(
    flag: impl Into<Signal<bool>>,
    on: Text,
    off: Text,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let flag = flag.into();
    move || t(if flag.get() { on } else { off })
}

/// The template for `text` with each `{name}` replaced by its value in `args`
/// (tracked; call it inside a reactive closure).
///
/// Values are inserted as plain text; the view escapes them like any other text.
pub fn tf(text: Text, args: &[(&str, &str)]) -> String {
    fill(t(text), args)
}

/// Replaces `{name}` placeholders in one pass, so a value that itself contains
/// `{...}` (provider data) is never expanded again.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An RFC 3339 time as a medium date and short time in the current language
/// (tracked), or the input unchanged when the browser cannot parse it.
pub fn format_time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    locale_string(&date, &[("dateStyle", "medium"), ("timeStyle", "short")])
}

/// A Unix time in seconds as a short time of day in the current language
/// (tracked): a rate limit resets within the hour.
pub fn format_unix_time(seconds: i64) -> String {
    // Exact for any time in the next 285 000 years.
    #[allow(clippy::cast_precision_loss)]
    let millis = seconds.saturating_mul(1000) as f64;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
    if date.get_time().is_nan() {
        return seconds.to_string();
    }
    locale_string(&date, &[("timeStyle", "short")])
}

fn locale_string(date: &js_sys::Date, options: &[(&str, &str)]) -> String {
    let object = js_sys::Object::new();
    for (key, value) in options {
        _ = js_sys::Reflect::set(&object, &(*key).into(), &(*value).into());
    }
    date.to_locale_string(lang().tag(), &object).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(template: &str) -> BTreeSet<&str> {
        template
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_unknown_ones() {
        assert_eq!(
            fill(english(Text::SignInWith), &[("provider", "AIHubMix")]),
            "Sign in with AIHubMix"
        );
        assert_eq!(fill("a {x} b {y}", &[("x", "1")]), "a 1 b {y}");
        assert_eq!(fill("open { brace", &[]), "open { brace");
    }

    #[test]
    fn inserted_values_are_not_expanded_again() {
        let out = fill(
            english(Text::ProviderSaid),
            &[("provider", "{description}"), ("description", "<b>x</b>")],
        );
        assert_eq!(out, "{description} said: <b>x</b>");
    }

    #[test]
    fn every_translation_keeps_the_english_placeholders() {
        for &text in Text::ALL {
            let english_names = placeholders(english(text));
            for lang in [Lang::ZhTw, Lang::Th] {
                let translated = t_in(lang, text);
                assert!(!translated.trim().is_empty(), "{lang:?} {text:?} is empty");
                assert_eq!(
                    placeholders(translated),
                    english_names,
                    "{lang:?} {text:?}: {translated}"
                );
            }
        }
    }

    #[test]
    fn words_are_translated_not_copied() {
        // Names and pure formats are the same everywhere; nothing else is.
        let same_everywhere = [Text::AppName, Text::CharCount];
        for &text in Text::ALL {
            if same_everywhere.contains(&text) {
                continue;
            }
            for lang in [Lang::ZhTw, Lang::Th] {
                assert_ne!(t_in(lang, text), english(text), "{lang:?} {text:?}");
            }
        }
    }

    #[test]
    fn browser_languages_pick_the_first_one_spoken() {
        assert_eq!(Lang::negotiate(["th-TH", "en-US"]), Lang::Th);
        assert_eq!(Lang::negotiate(["de-DE", "zh-Hant-TW", "en"]), Lang::ZhTw);
        assert_eq!(Lang::negotiate(["zh_TW"]), Lang::ZhTw);
        assert_eq!(Lang::negotiate(["EN-gb", "th"]), Lang::En);
        assert_eq!(Lang::negotiate(["fr", "de"]), Lang::En);
        assert_eq!(Lang::negotiate([]), Lang::En);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn tags_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }

    #[test]
    fn t_follows_the_chosen_language() {
        assert_eq!(t(Text::LogOut), "Log out");
        CURRENT.with(|current| current.set(Lang::Th));
        assert_eq!(t(Text::LogOut), "ออกจากระบบ");
        assert_eq!(tr(Text::LogOut)(), "ออกจากระบบ");
        CURRENT.with(|current| current.set(Lang::En));
    }
}
