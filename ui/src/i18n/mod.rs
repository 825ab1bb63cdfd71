//! Every user-visible string of the components, in English, Traditional Chinese (Taiwan), Thai and Korean, keyed by [`Text`]; and [`Texts`], the handle that picks one in the current language.
//!
//! Views never hold literal text: they call [`Texts::tr`] (a reactive fixed
//! string), or [`Texts::t`] / [`Texts::tf`] inside a reactive closure
//! (`move || texts.tf(...)`), so every string follows the language without
//! re-creating any component.
//!
//! The language is the host's: a `Signal<Lang>` given to
//! [`KeyholeOptions::lang`](crate::KeyholeOptions::lang), or else the
//! browser's ([`browser_lang`]). The host may replace any string, in any
//! language, with [`KeyholeOptions::strings`](crate::KeyholeOptions::strings).
//!
//! Each language lives in its own file, as one exhaustive `match`: [`english`]
//! in `en.rs`, [`chinese`] in `zh_tw.rs`, [`thai`] in `th.rs` and [`korean`]
//! in `ko.rs`. A key without a translation does not compile; a test checks
//! that every translation keeps its placeholders.
//!
//! The keys themselves are in `text.rs`; dates and times in a language
//! ([`format_time`], [`format_unix_time`]) in `format.rs`.

use leptos::prelude::*;

mod en;
mod format;
mod ko;
mod text;
mod th;
mod zh_tw;

pub use en::english;
pub use format::{format_time, format_unix_time};
pub use keyhole_api::Lang;
pub use ko::korean;
pub use text::Text;
pub use th::thai;
pub use zh_tw::chinese;

/// A host's replacement strings: `Some` replaces the built-in string for
/// that language and key, `None` keeps it. Placeholders (`{provider}`, …)
/// are filled in the same way as in the built-in strings.
pub type Strings = fn(Lang, Text) -> Option<&'static str>;

/// The first of the browser's `navigator.languages` that Keyhole speaks,
/// else English.
pub fn browser_lang() -> Lang {
    let languages: Vec<String> = window()
        .navigator()
        .languages()
        .iter()
        .filter_map(|tag| tag.as_string())
        .collect();
    Lang::negotiate(languages.iter().map(String::as_str))
}

/// The built-in string for `text` in `lang`.
pub fn builtin(lang: Lang, text: Text) -> &'static str {
    match lang {
        Lang::En => english(text),
        Lang::ZhTw => chinese(text),
        Lang::Th => thai(text),
        Lang::Ko => korean(text),
    }
}

/// The strings in the current language: the language signal and the host's
/// replacements. `Copy`, so views capture it freely; get it with
/// [`use_keyhole`](crate::use_keyhole)`().texts()`.
#[derive(Clone, Copy)]
pub struct Texts {
    lang: Signal<Lang>,
    custom: Option<Strings>,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texts")
            .field("custom", &self.custom.is_some())
            .finish_non_exhaustive()
    }
}

impl Texts {
    /// Strings in `lang`, with the host's replacements `custom`.
    pub fn new(lang: Signal<Lang>, custom: Option<Strings>) -> Self {
        Self { lang, custom }
    }

    /// The current language (tracked).
    pub fn lang(self) -> Lang {
        self.lang.get()
    }

    /// The current language, without tracking (event handlers, URLs).
    pub fn lang_untracked(self) -> Lang {
        self.lang.get_untracked()
    }

    /// The string for `text` in the current language (tracked).
    pub fn t(self, text: Text) -> &'static str {
        self.in_lang(self.lang(), text)
    }

    /// The string for `text` in `lang`, the host's if it replaced it.
    pub fn in_lang(self, lang: Lang, text: Text) -> &'static str {
        self.custom
            .and_then(|custom| custom(lang, text))
            .unwrap_or_else(|| builtin(lang, text))
    }

    /// A fixed string that follows the language: use it as a view child or
    /// an attribute value.
    pub fn tr(self, text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || self.t(text)
    }

    /// A template with one placeholder, `{key}` = `value`, that follows the
    /// language: use it as a view child or an attribute value.
    pub fn trf(
        self,
        text: Text,
        key: &'static str,
        value: String,
    ) -> impl Fn() -> String + Clone + Send + Sync + 'static {
        move || self.tf(text, &[(key, &value)])
    }

    /// A fixed string chosen by a flag (a button that reads "Sending…" while
    /// its request runs): `on` while `flag` is true, else `off`.
    pub fn tr_while(
        self,
        flag: impl Into<Signal<bool>>,
        on: Text,
        off: Text,
    ) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        let flag = flag.into();
        move || self.t(if flag.get() { on } else { off })
    }

    /// The template for `text` with each `{name}` replaced by its value in
    /// `args` (tracked; call it inside a reactive closure).
    ///
    /// Values are inserted as plain text; the view escapes them like any
    /// other text.
    pub fn tf(self, text: Text, args: &[(&str, &str)]) -> String {
        fill(self.t(text), args)
    }
}

/// Replaces `{name}` placeholders in one pass, so a value that itself contains
/// `{...}` (provider data) is never expanded again.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
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
                let translated = builtin(lang, text);
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
        let same_everywhere = [Text::CharCount];
        for &text in Text::ALL {
            if same_everywhere.contains(&text) {
                continue;
            }
            for lang in Lang::ALL.into_iter().filter(|l| *l != Lang::En) {
                assert_ne!(builtin(lang, text), english(text), "{lang:?} {text:?}");
            }
        }
    }

    #[test]
    fn texts_follow_the_language_and_the_hosts_replacements() {
        let lang = RwSignal::new(Lang::En);
        let texts = Texts::new(lang.into(), None);
        assert_eq!(texts.t(Text::LogOut), "Log out");
        lang.set(Lang::Th);
        assert_eq!(texts.t(Text::LogOut), "ออกจากระบบ");
        assert_eq!(texts.tr(Text::LogOut)(), "ออกจากระบบ");

        fn ours(lang: Lang, text: Text) -> Option<&'static str> {
            match (lang, text) {
                (Lang::En, Text::SignInWith) => Some("Continue with {provider}"),
                _ => None,
            }
        }
        let texts = Texts::new(lang.into(), Some(ours));
        lang.set(Lang::En);
        assert_eq!(
            texts.tf(Text::SignInWith, &[("provider", "LINE")]),
            "Continue with LINE"
        );
        assert_eq!(texts.t(Text::LogOut), "Log out");
        lang.set(Lang::Ko);
        assert_eq!(texts.t(Text::SignInWith), korean(Text::SignInWith));
    }
}
