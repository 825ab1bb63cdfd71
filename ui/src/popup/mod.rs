//! Popup sign-in: opens the login window (or navigates the page when popups are blocked) and listens for the callback's answer.
//!
//! The flow, end to end:
//! 1. [`LoginFlow::start`] opens `{base}/auth/{id}/login?mode=popup` in a popup
//!    named [`POPUP_NAME`]. The server redirects it to the provider, the person
//!    consents, the provider redirects to the server's callback.
//! 2. The callback page posts a [`PopupMessage`] to `window.opener` with our
//!    exact origin and closes. If the opener is gone (cross-origin isolation,
//!    in-app browsers) it posts on the `BroadcastChannel`
//!    [`BROADCAST_CHANNEL`](keyhole_api::BROADCAST_CHANNEL)
//!    instead. Both listeners accept only `keyhole:login` messages from our own
//!    origin.
//! 3. `ok` refetches `{base}/me` (the session cookie is already set), so the
//!    signed-in view appears; an error becomes [`LoginState::Failed`].
//! 4. Meanwhile a timer polls `popup.closed`: closed without an answer means the
//!    person gave up ([`LoginState::Cancelled`]).
//!
//! When `window.open` returns `null` (blocked), the whole page goes through
//! `mode=redirect`; the server sends it back to the same page with
//! `?login=ok` or `?login_error=CODE`, which [`LoginFlow::new`] reads and
//! removes from the URL.

use std::{fmt, time::Duration};

use keyhole_api::PopupMessage;
use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, MessageEvent, Window};

use crate::{
    a11y::{Announcer, FocusRequest, FocusTarget},
    client::{Client, LoginMode},
    i18n::{Text, Texts},
    session::Session,
};

mod channel;
mod message;
mod redirect;

use channel::ChannelListener;
pub use message::{LoginFailure, LoginState, parse_message};
use redirect::{REDIRECT_PROVIDER_KEY, take_redirect_result};

/// Window name of the login popup; a second click reuses the same window.
pub const POPUP_NAME: &str = "keyhole-login";

/// `window.open` features: a small popup window, not a tab.
const POPUP_FEATURES: &str = "popup,width=520,height=680";

/// How often the popup's `closed` flag is checked.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Polls that must see the popup closed before the flow counts as cancelled.
/// The callback posts its message and then closes itself, and the message can
/// be delivered a moment after the close is visible: one extra poll avoids
/// calling a successful sign-in "cancelled".
const CLOSED_POLLS_BEFORE_CANCEL: u8 = 2;

/// The sign-in flow, shared by every component through [`Keyhole`](crate::Keyhole).
#[derive(Clone, Copy)]
pub struct LoginFlow {
    state: RwSignal<LoginState>,
    popup: StoredValue<Option<Window>, LocalStorage>,
    poll: StoredValue<Option<IntervalHandle>>,
    closed_polls: StoredValue<u8>,
    // The button that started the flow, to give focus back on cancel.
    return_focus: StoredValue<Option<HtmlElement>, LocalStorage>,
    client: Client,
    texts: Texts,
    session: Session,
    focus: FocusRequest,
    announcer: Announcer,
}

impl fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginFlow")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl LoginFlow {
    /// Creates the flow, reads a redirect-mode result from the URL, and starts
    /// listening for popup messages for as long as the current owner lives.
    ///
    /// A successful sign-in asks `focus` to move to the next page's heading
    /// and tells `announcer` which provider it was.
    pub fn new(
        client: Client,
        texts: Texts,
        session: Session,
        focus: FocusRequest,
        announcer: Announcer,
    ) -> Self {
        let initial = take_redirect_result()
            .map(LoginState::Failed)
            .unwrap_or_default();
        let flow = Self {
            state: RwSignal::new(initial),
            popup: StoredValue::new_local(None),
            poll: StoredValue::new(None),
            closed_polls: StoredValue::new(0),
            return_focus: StoredValue::new_local(None),
            client,
            texts,
            session,
            focus,
            announcer,
        };

        let listener = window_event_listener(ev::message, move |event: MessageEvent| {
            flow.on_message(&event);
        });
        on_cleanup(move || listener.remove());

        // Kept in the reactive arena so that the channel closes (see `Drop`)
        // when the owner is disposed.
        let channel = ChannelListener::open(move |event| flow.on_message(&event));
        StoredValue::new_local(channel);

        flow
    }

    /// The current state (reactive).
    pub fn state(self) -> Signal<LoginState> {
        self.state.into()
    }

    /// True while the popup is open (reactive).
    pub fn is_waiting(self) -> bool {
        self.state.with(|s| matches!(s, LoginState::Waiting { .. }))
    }

    /// Starts signing in with `provider` (id), shown as `name`.
    ///
    /// Must run inside the click handler: browsers allow popups only during a
    /// user gesture. A blocked popup falls back to a full-page redirect.
    pub fn start(self, provider: &str, name: &str) {
        self.stop_polling();
        let window = window();
        let lang = self.texts.lang_untracked();
        // The page to come back to in redirect mode: this one.
        let here = window
            .location()
            .pathname()
            .unwrap_or_else(|_| "/".to_owned());
        let url = self
            .client
            .login_url(provider, LoginMode::Popup, lang, &here);
        match window.open_with_url_and_target_and_features(&url, POPUP_NAME, POPUP_FEATURES) {
            Ok(Some(popup)) => {
                _ = popup.focus();
                self.popup.set_value(Some(popup));
                self.return_focus.set_value(
                    document()
                        .active_element()
                        .and_then(|el| el.dyn_into::<HtmlElement>().ok()),
                );
                self.state.set(LoginState::Waiting {
                    provider: provider.to_owned(),
                    name: name.to_owned(),
                });
                self.start_polling();
            }
            _ => {
                if let Ok(Some(storage)) = window.session_storage() {
                    _ = storage.set_item(REDIRECT_PROVIDER_KEY, provider);
                }
                _ = window.location().assign(&self.client.login_url(
                    provider,
                    LoginMode::Redirect,
                    lang,
                    &here,
                ));
            }
        }
    }

    /// Closes the popup and gives up.
    pub fn cancel(self) {
        self.stop_polling();
        self.close_popup();
        self.state.set(LoginState::Cancelled);
        self.restore_focus();
    }

    /// Gives focus back to the button that started the flow, if it is still
    /// in the page (the Cancel button that had it is gone now).
    fn restore_focus(self) {
        if let Some(element) = self.return_focus.try_update_value(Option::take).flatten()
            && element.is_connected()
        {
            _ = element.focus();
        }
    }

    fn on_message(self, event: &MessageEvent) {
        // Only our own origin may speak: the callback page is served by our
        // server, and any other window could post a forged "ok".
        let own_origin = window().location().origin().ok();
        if own_origin.as_deref() != Some(event.origin().as_str()) {
            return;
        }
        let Some(json) = js_sys::JSON::stringify(&event.data())
            .ok()
            .and_then(|s| s.as_string())
        else {
            return;
        };
        if let Some(message) = parse_message(&json) {
            self.finish(message);
        }
    }

    fn finish(self, message: PopupMessage) {
        let current = self.state.get_untracked();
        if !message.ok && current == LoginState::Idle {
            // A failure from a flow this tab never started (another tab's
            // fallback broadcast): not ours to report.
            return;
        }
        self.stop_polling();
        self.close_popup();
        self.return_focus.set_value(None);
        let provider_name = match current {
            LoginState::Waiting { provider, name } if provider == message.provider => Some(name),
            _ => None,
        };
        if message.ok {
            self.state.set(LoginState::Idle);
            if let Some(name) = provider_name {
                self.focus.request(FocusTarget::PageHeading);
                self.announcer.say(Text::SignedIn, &name);
            }
            self.session.refetch();
            return;
        }
        self.state.set(LoginState::Failed(LoginFailure {
            code: message.error.unwrap_or_default(),
            provider: Some(message.provider),
            provider_name,
            description: message.error_description,
        }));
    }

    fn start_polling(self) {
        self.closed_polls.set_value(0);
        let handle = set_interval_with_handle(move || self.poll_popup(), POLL_INTERVAL).ok();
        self.poll.set_value(handle);
    }

    fn poll_popup(self) {
        if !self.is_waiting_untracked() {
            self.stop_polling();
            return;
        }
        let closed = self.popup.with_value(|popup| {
            popup
                .as_ref()
                .is_none_or(|popup| popup.closed().unwrap_or(true))
        });
        if !closed {
            self.closed_polls.set_value(0);
            return;
        }
        let seen = self.closed_polls.get_value().saturating_add(1);
        self.closed_polls.set_value(seen);
        if seen >= CLOSED_POLLS_BEFORE_CANCEL {
            self.stop_polling();
            self.popup.set_value(None);
            self.state.set(LoginState::Cancelled);
            self.restore_focus();
        }
    }

    fn is_waiting_untracked(self) -> bool {
        self.state
            .with_untracked(|s| matches!(s, LoginState::Waiting { .. }))
    }

    fn stop_polling(self) {
        if let Some(handle) = self.poll.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    }

    fn close_popup(self) {
        if let Some(popup) = self.popup.try_update_value(Option::take).flatten() {
            _ = popup.close();
        }
    }
}
