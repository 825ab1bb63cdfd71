//! Every user-visible string, in English, Traditional Chinese (Taiwan), Thai and Korean, keyed by [`Text`]; and the current language.
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
//! in `en.rs`, [`chinese`] in `zh_tw.rs`, [`thai`] in `th.rs` and [`korean`]
//! in `ko.rs`. A key without a translation does not compile; a test checks
//! that every translation keeps its placeholders.
//!
//! The keys themselves are in `text.rs`; dates and times in the current
//! language ([`format_time`], [`format_unix_time`]) in `format.rs`.

use leptos::prelude::*;

mod en;
mod format;
mod ko;
mod text;
mod th;
mod zh_tw;

pub use en::english;
pub use format::{format_time, format_unix_time};
pub use ko::korean;
pub use text::Text;
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
    /// Korean.
    Ko,
}

impl Lang {
    /// Every language, in the order of the language menu.
    pub const ALL: [Self; 4] = [Self::En, Self::ZhTw, Self::Th, Self::Ko];

    /// BCP 47 tag: `<html lang>`, the login URL's `lang`, date formatting.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhTw => "zh-TW",
            Self::Th => "th",
            Self::Ko => "ko",
        }
    }

    /// The language's name in itself, as the menu shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::ZhTw => "繁體中文",
            Self::Th => "ไทย",
            Self::Ko => "한국어",
        }
    }

    /// The language for a BCP 47 tag, matched on its primary subtag
    /// (case-insensitive): `en-GB` is English, `th-TH` Thai, `ko-KR` Korean,
    /// and any `zh` (`zh-TW`, `zh-Hant-HK`, also `zh-CN`) Traditional
    /// Chinese, the only Chinese the app has and still far closer than
    /// English.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "zh" => Some(Self::ZhTw),
            "th" => Some(Self::Th),
            "ko" => Some(Self::Ko),
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
        Lang::Ko => korean(text),
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
            for lang in Lang::ALL.into_iter().filter(|l| *l != Lang::En) {
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
            for lang in Lang::ALL.into_iter().filter(|l| *l != Lang::En) {
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
        assert_eq!(Lang::negotiate(["ko-KR", "ko", "en-US"]), Lang::Ko);
        assert_eq!(Lang::negotiate(["ja-JP", "KO"]), Lang::Ko);
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
