//! Focus and announcements across page changes: [`FocusRequest`] moves focus to the next page's heading, [`Announcer`] speaks through the page's live region ([`Announcements`](crate::Announcements)).
//!
//! After a popup sign-in, a disconnect or a logout the page under the person
//! is replaced, and the button they used is gone. Without help, focus would
//! fall back to `<body>` and a screen reader would say nothing. The action
//! that causes the change files a [`FocusRequest`] and an announcement; the
//! new page takes the request once its heading is in the document.

use std::fmt;

use leptos::prelude::*;

use crate::i18n::{Text, Texts};

/// Where focus should go once the next page is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FocusTarget {
    /// The `<h1>` of whatever page shows next (it has `tabindex="-1"`).
    PageHeading,
}

/// A pending focus move, shared through context.
#[derive(Clone, Copy)]
pub struct FocusRequest(StoredValue<Option<FocusTarget>>);

impl FocusRequest {
    /// No request pending.
    pub fn new() -> Self {
        Self(StoredValue::new(None))
    }

    /// Asks the next page to move focus to `target`.
    pub fn request(self, target: FocusTarget) {
        self.0.set_value(Some(target));
    }

    /// True (once) when `target` was requested.
    pub(crate) fn take(self, target: FocusTarget) -> bool {
        self.0
            .try_update_value(|pending| pending.take_if(|p| *p == target).is_some())
            .unwrap_or(false)
    }
}

impl Default for FocusRequest {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FocusRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FocusRequest")
    }
}

/// One announcement: a text key and the provider name it may mention.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Announcement {
    text: Text,
    provider: String,
    // Flips with each announcement, so saying the same sentence twice still
    // changes the live region's text and is spoken again.
    parity: bool,
}

/// The app-wide polite live region, shared through context.
#[derive(Clone, Copy)]
pub struct Announcer(RwSignal<Option<Announcement>>);

impl Announcer {
    /// Nothing said yet.
    pub fn new() -> Self {
        Self(RwSignal::new(None))
    }

    /// Says `text` (with `{provider}` filled in) to screen readers.
    pub fn say(self, text: Text, provider: &str) {
        let parity = self
            .0
            .with_untracked(|last| last.as_ref().is_some_and(|a| !a.parity));
        self.0.set(Some(Announcement {
            text,
            provider: provider.to_owned(),
            parity,
        }));
    }
}

impl Announcer {
    /// The last announcement in words (tracked), for the live region.
    pub(crate) fn sentence(self, texts: Texts) -> Option<String> {
        self.0.with(|said| {
            said.as_ref().map(|a| {
                let mut sentence = texts.tf(a.text, &[("provider", &a.provider)]);
                if a.parity {
                    sentence.push('\u{200B}');
                }
                sentence
            })
        })
    }
}

impl Default for Announcer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Announcer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Announcer")
    }
}
