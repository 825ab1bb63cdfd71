//! The app's language: chosen at start (remembered, else the browser's), switched by the menu, remembered in `localStorage`, and given to the components.

use keyhole_leptos::{Lang, i18n::browser_lang};
use leptos::prelude::*;

use crate::words::Word;

/// `localStorage` key of the chosen language: the only thing the app keeps in
/// the browser's storage.
pub const STORAGE_KEY: &str = "keyhole.lang";

/// The current language, shared through context; the same signal drives
/// the components (`KeyholeOptions::lang`).
#[derive(Debug, Clone, Copy)]
pub struct Language(RwSignal<Lang>);

impl Language {
    /// Picks the language (remembered choice, then the browser's languages)
    /// and keeps `<html lang>` in step with it.
    pub fn init() -> Self {
        let remembered = storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|tag| Lang::from_tag(&tag));
        let lang = RwSignal::new(remembered.unwrap_or_else(browser_lang));
        Effect::new(move || {
            let tag = lang.get().tag();
            if let Some(root) = document().document_element() {
                _ = root.set_attribute("lang", tag);
            }
        });
        Self(lang)
    }

    /// The language provided by [`crate::App`].
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The signal itself, for `KeyholeOptions::lang`.
    pub fn signal(self) -> RwSignal<Lang> {
        self.0
    }

    /// The current language, without tracking.
    pub fn get_untracked(self) -> Lang {
        self.0.get_untracked()
    }

    /// Switches to `lang` and remembers the choice.
    pub fn choose(self, lang: Lang) {
        if let Some(storage) = storage() {
            _ = storage.set_item(STORAGE_KEY, lang.tag());
        }
        self.0.set(lang);
    }

    /// One of the app's own strings, following the language: use it as a
    /// view child or an attribute value.
    pub fn word(self, word: Word) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || word.in_lang(self.0.get())
    }
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be disabled (privacy settings): then nothing is remembered.
    window().local_storage().ok().flatten()
}
