//! Popup sign-in: opens the login window (or navigates the page when popups are blocked) and listens for the callback's answer.
//!
//! The flow, end to end:
//! 1. [`LoginFlow::start`] opens `/api/auth/{id}/login?mode=popup` in a popup
//!    named [`POPUP_NAME`]. The server redirects it to the provider, the person
//!    consents, the provider redirects to the server's callback.
//! 2. The callback page posts a [`PopupMessage`] to `window.opener` with our
//!    exact origin and closes. If the opener is gone (cross-origin isolation,
//!    in-app browsers) it posts on the `BroadcastChannel` [`BROADCAST_CHANNEL`]
//!    instead. Both listeners accept only `keyhole:login` messages from our own
//!    origin.
//! 3. `ok` refetches `/api/me` (the session cookie is already set), so the
//!    dashboard appears; an error becomes [`LoginState::Failed`].
//! 4. Meanwhile a timer polls `popup.closed`: closed without an answer means the
//!    person gave up ([`LoginState::Cancelled`]).
//!
//! When `window.open` returns `null` (blocked), the whole page goes through
//! `mode=redirect`; the server sends it back to `/?login=ok` or
//! `/?login_error=CODE`, which [`LoginFlow::new`] reads and removes from the URL.

use std::{fmt, time::Duration};

use keyhole_api::{BROADCAST_CHANNEL, POPUP_MESSAGE_TYPE, PopupMessage};
use leptos::{ev, prelude::*};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{BroadcastChannel, HtmlElement, MessageEvent, UrlSearchParams, Window};

use crate::{
    a11y::{Announcer, FocusRequest, FocusTarget},
    api::{self, LoginMode},
    auth::Auth,
    i18n::{self, Text, t, tf},
};

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

/// `sessionStorage` key remembering which provider a redirect-mode login went
/// to, so an error on return can name it (the redirect carries only a code).
const REDIRECT_PROVIDER_KEY: &str = "keyhole.login.provider";

/// Longest provider `error_description` shown; the rest is cut off.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// Where the sign-in flow stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoginState {
    /// Nothing in progress.
    #[default]
    Idle,
    /// The popup is open.
    Waiting {
        /// Provider id.
        provider: String,
        /// Provider display name.
        name: String,
    },
    /// The popup was closed without an answer.
    Cancelled,
    /// The provider or the server refused the sign-in.
    Failed(LoginFailure),
}

/// A sign-in that came back with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailure {
    /// The error code (`access_denied`, `csrf`, `provider_error`, ...).
    pub code: String,
    /// Provider id, when known.
    pub provider: Option<String>,
    /// Provider display name, when known at the time of the failure.
    pub provider_name: Option<String>,
    /// The provider's own description: attacker-controlled, shown as text only.
    pub description: Option<String>,
}

impl LoginFailure {
    /// The sentence to show, naming the provider as `provider_name`.
    pub fn message(&self, provider_name: &str) -> String {
        let args = [("provider", provider_name)];
        match self.code.as_str() {
            "access_denied" => tf(Text::LoginDeclined, &args),
            "csrf" | "invalid_state" => t(Text::LoginExpired).to_owned(),
            "provider_unavailable" | "temporarily_unavailable" => {
                tf(Text::LoginProviderUnavailable, &args)
            }
            "provider_error" | "server_error" => tf(Text::LoginProviderError, &args),
            "invalid_request" => t(Text::LoginInvalidRequest).to_owned(),
            _ => tf(Text::LoginFailed, &args),
        }
    }

    /// "{provider} said: …" with the provider's description, if it sent one.
    pub fn detail(&self, provider_name: &str) -> Option<String> {
        let description = self.description.as_deref()?.trim();
        if description.is_empty() {
            return None;
        }
        let mut shown: String = description.chars().take(MAX_DESCRIPTION_CHARS).collect();
        if shown.len() < description.len() {
            shown.push('…');
        }
        Some(tf(
            Text::ProviderSaid,
            &[("provider", provider_name), ("description", &shown)],
        ))
    }
}

/// Parses a message payload, keeping only Keyhole login messages.
pub fn parse_message(json: &str) -> Option<PopupMessage> {
    let message: PopupMessage = serde_json::from_str(json).ok()?;
    (message.kind == POPUP_MESSAGE_TYPE).then_some(message)
}

/// The sign-in flow, shared by every page through context.
#[derive(Clone, Copy)]
pub struct LoginFlow {
    state: RwSignal<LoginState>,
    popup: StoredValue<Option<Window>, LocalStorage>,
    poll: StoredValue<Option<IntervalHandle>>,
    closed_polls: StoredValue<u8>,
    // The button that started the flow, to give focus back on cancel.
    return_focus: StoredValue<Option<HtmlElement>, LocalStorage>,
    auth: Auth,
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
    pub fn new(auth: Auth, focus: FocusRequest, announcer: Announcer) -> Self {
        let initial = take_redirect_result()
            .map(LoginState::Failed)
            .unwrap_or_default();
        let flow = Self {
            state: RwSignal::new(initial),
            popup: StoredValue::new_local(None),
            poll: StoredValue::new(None),
            closed_polls: StoredValue::new(0),
            return_focus: StoredValue::new_local(None),
            auth,
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

    /// The flow provided by [`crate::App`].
    pub fn expect() -> Self {
        expect_context::<Self>()
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
        let lang = i18n::lang_untracked();
        let url = api::login_url(provider, LoginMode::Popup, lang);
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
                _ = window
                    .location()
                    .assign(&api::login_url(provider, LoginMode::Redirect, lang));
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
            self.auth.refetch();
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

/// The `BroadcastChannel` fallback listener; closes the channel when dropped.
struct ChannelListener {
    channel: BroadcastChannel,
    // Owned so the JS callback stays alive exactly as long as the channel.
    _callback: Closure<dyn FnMut(MessageEvent)>,
}

impl ChannelListener {
    fn open(on_message: impl Fn(MessageEvent) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(BROADCAST_CHANNEL).ok()?;
        let callback = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
        channel.set_onmessage(Some(callback.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _callback: callback,
        })
    }
}

impl Drop for ChannelListener {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Reads `?login=ok` / `?login_error=CODE` (set by a redirect-mode login),
/// removes them from the address bar, and returns the failure, if any.
fn take_redirect_result() -> Option<LoginFailure> {
    let window = window();
    let remembered = window.session_storage().ok().flatten().and_then(|storage| {
        let provider = storage.get_item(REDIRECT_PROVIDER_KEY).ok().flatten();
        _ = storage.remove_item(REDIRECT_PROVIDER_KEY);
        provider
    });
    let location = window.location();
    let search = location.search().ok()?;
    if search.is_empty() {
        return None;
    }
    let params = UrlSearchParams::new_with_str(&search).ok()?;
    let ok = params.get("login");
    let error = params.get("login_error");
    if ok.is_none() && error.is_none() {
        return None;
    }
    let provider = params.get("provider").or(remembered);
    for key in ["login", "login_error", "provider"] {
        params.delete(key);
    }

    let rest = String::from(params.to_string());
    let mut clean = location.pathname().unwrap_or_else(|_| "/".to_owned());
    if !rest.is_empty() {
        clean.push('?');
        clean.push_str(&rest);
    }
    clean.push_str(&location.hash().unwrap_or_default());
    if let Ok(history) = window.history() {
        _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&clean));
    }

    error.map(|code| LoginFailure {
        code,
        provider,
        provider_name: None,
        description: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_message_accepts_only_keyhole_login_messages() {
        let ok = parse_message(r#"{"type":"keyhole:login","provider":"aihubmix","ok":true}"#);
        assert_eq!(ok.map(|m| m.ok), Some(true));
        assert!(parse_message(r#"{"type":"other","provider":"x","ok":true}"#).is_none());
        assert!(parse_message(r#""just a string""#).is_none());
        assert!(parse_message("not json").is_none());
    }

    #[test]
    fn failures_read_well_and_keep_provider_text_as_is() {
        let failure = LoginFailure {
            code: "access_denied".to_owned(),
            provider: Some("aihubmix".to_owned()),
            provider_name: Some("AIHubMix".to_owned()),
            description: Some("<img src=x onerror=alert(1)>".to_owned()),
        };
        assert_eq!(
            failure.message("AIHubMix"),
            "You declined the sign-in at AIHubMix."
        );
        assert_eq!(
            failure.detail("AIHubMix").as_deref(),
            Some("AIHubMix said: <img src=x onerror=alert(1)>")
        );
        let expired = LoginFailure {
            code: "invalid_state".to_owned(),
            ..failure.clone()
        };
        assert!(expired.message("AIHubMix").contains("expired"));
        let unknown = LoginFailure {
            code: "weird".to_owned(),
            description: Some("  ".to_owned()),
            ..failure
        };
        assert!(unknown.message("AIHubMix").contains("AIHubMix"));
        assert_eq!(unknown.detail("AIHubMix"), None);
    }

    #[test]
    fn long_descriptions_are_cut() {
        let failure = LoginFailure {
            code: "provider_error".to_owned(),
            provider: None,
            provider_name: None,
            description: Some("é".repeat(1000)),
        };
        let detail = failure.detail("X").unwrap_or_default();
        assert!(detail.ends_with('…'));
        assert!(detail.chars().count() < MAX_DESCRIPTION_CHARS + 20);
    }
}
