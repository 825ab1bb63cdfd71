//! The page's polite live region, where the components tell screen readers what just happened.

use leptos::prelude::*;

use crate::context::use_keyhole;

/// The live region itself: visually hidden, outside the routed pages so it
/// survives page changes. Place it once per page, outside anything that
/// the session replaces.
///
/// It is a plain polite live region rather than `role="status"`: the page's
/// own status line (the sign-in flow) stays the one status of the page.
#[component]
pub fn Announcements() -> AnyView {
    let keyhole = use_keyhole();
    let (announcer, texts) = (keyhole.announcer(), keyhole.texts());
    view! {
        <p id="announcements" class="kh-visually-hidden" aria-live="polite" aria-atomic="true">
            {move || announcer.sentence(texts)}
        </p>
    }
    .into_any()
}
