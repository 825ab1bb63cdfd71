//! Wire types of Keyhole's HTTP contract (`docs/http-contract.md`), shared by
//! the app and the server so both sides agree on every field.
//!
//! Layout: [`ProviderInfo`] (`GET /api/providers`), [`Me`] and [`Connection`]
//! (`GET /api/me`), [`Balance`] and [`Topup`], [`Friendship`], [`NotifyRequest`]
//! and [`NotifyResult`], [`MessageRequest`] and [`MessageResult`],
//! [`ApiError`] (every error body),
//! [`PopupMessage`] (what the callback page posts to the opener), and the
//! names of headers and query parameters both sides use; [`Lang`], the
//! languages both sides speak.
//!
//! Money and quota are strings holding a decimal or an integer in the
//! provider's own unit: never floats.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod lang;

pub use lang::Lang;

/// Header that every state-changing `/api/` request must carry (value `1`).
/// A custom header forces a CORS preflight, so another origin cannot send it.
pub const CSRF_HEADER: &str = "x-keyhole-csrf";

/// `type` of the popup's `postMessage` payload.
pub const POPUP_MESSAGE_TYPE: &str = "keyhole:login";

/// Name of the `BroadcastChannel` used when the popup lost its opener.
pub const BROADCAST_CHANNEL: &str = "keyhole";

/// What a provider instance can do, as listed by `GET /api/providers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Sign in (creates or joins a session).
    Login,
    /// A profile (display name, email, ...).
    Profile,
    /// An account balance.
    Balance,
    /// A top-up page.
    Topup,
    /// Send a notification (LINE Notify).
    Notify,
    /// Friendship with an official account (LINE Login).
    Friendship,
    /// Push messages (LINE Messaging API).
    Messaging,
    /// A capability this build does not know, from a newer server: ignored,
    /// so one new capability does not make the whole provider list unreadable.
    /// The server never sends it.
    #[serde(other)]
    Unknown,
}

/// One configured provider (`GET /api/providers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// Id used in URLs (`/api/auth/{id}/login`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Adapter kind, such as `aihubmix` or `line-login`.
    pub kind: String,
    /// What the provider can do.
    pub capabilities: Vec<Capability>,
    /// For a messaging service (capability `messaging`): the id of the
    /// login provider whose signed-in account it sends to, so the app can
    /// say which sign-in is missing. Absent for everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sends_via: Option<String>,
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The session itself.
    pub session: SessionInfo,
    /// One entry per connected provider.
    pub connections: Vec<Connection>,
}

/// Public facts about the session (never its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// RFC 3339 time at which the session ends.
    pub expires_at: String,
}

/// State of one provider connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Tokens are usable.
    Active,
    /// The provider refused the refresh token: the person must sign in again.
    ReauthRequired,
}

/// One provider connected to the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Provider id.
    pub provider: String,
    /// Provider display name.
    pub provider_name: String,
    /// Provider kind.
    pub kind: String,
    /// Whether the tokens are usable.
    pub status: ConnectionStatus,
    /// Normalised profile.
    pub profile: Profile,
    /// Last known balance, where the provider has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Balance>,
    /// What this connection can do.
    pub capabilities: Vec<Capability>,
    /// RFC 3339 time of the sign-in.
    pub connected_at: String,
}

/// A person's profile, normalised across providers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The provider's user id, as a string.
    pub id: String,
    /// Name to show.
    pub display_name: String,
    /// Email, when the provider shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Avatar URL, when the provider has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// BCP 47 locale, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Provider-specific fields, kept as the provider sent them. The
    /// browser never reads them (nothing in the app shows them), so the
    /// wasm build skips them, and with them the code that parses any JSON
    /// value (3 KB of the first load, BENCHMARKS.md).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// An account balance in the provider's own unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Remaining amount (decimal or integer string).
    pub remaining: String,
    /// Amount used so far, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<String>,
    /// Total (remaining + used), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// Unit of `remaining`, `used` and `total` (for example `quota`).
    pub unit: String,
    /// The provider's own display string, shown as is.
    pub formatted: String,
    /// RFC 3339 time at which the provider reported it.
    pub as_of: String,
}

/// `GET /api/me/{provider}/topup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topup {
    /// The provider's top-up page; open it in a new tab.
    pub url: String,
}

/// `GET /api/me/{provider}/friendship` (capability `friendship`): whether the
/// person is a friend of the provider's linked official account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Friendship {
    /// True when the person has added the official account as a friend.
    pub friend: bool,
    /// Page where the person can add the official account, when known
    /// (for LINE, `https://line.me/R/ti/p/@...`); open it in a new tab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_friend_url: Option<String>,
}

/// Longest `message` that [`NotifyRequest`] may carry, in characters
/// (Unicode scalar values), as LINE Notify allows.
pub const NOTIFY_MESSAGE_MAX_CHARS: usize = 1000;

/// Body of `POST /api/me/{provider}/notify` (capability `notify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyRequest {
    /// Text of the notification; at most [`NOTIFY_MESSAGE_MAX_CHARS`] characters.
    pub message: String,
}

/// Answer to `POST /api/me/{provider}/notify` when the notification was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyResult {
    /// The provider's rate limit after this notification, when it reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

/// A provider's rate limit, as it reported it (LINE Notify's
/// `X-RateLimit-*` headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Calls allowed per window.
    pub limit: u64,
    /// Calls left in the current window.
    pub remaining: u64,
    /// When the window resets, in Unix seconds (UTC).
    pub reset: i64,
}

/// Longest `text` that [`MessageRequest`] may carry, in characters, as a
/// LINE text message allows.
pub const MESSAGE_TEXT_MAX_CHARS: usize = 5000;

/// Body of `POST /api/me/{provider}/message` (capability `messaging`): a text
/// message pushed to the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRequest {
    /// Text of the message; at most [`MESSAGE_TEXT_MAX_CHARS`] characters.
    pub text: String,
}

/// Answer to `POST /api/me/{provider}/message` when LINE accepted the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageResult {
    /// Always true in a 200: LINE accepted the message, exactly once even
    /// when retries were needed. Refusals are error bodies instead.
    pub delivered: bool,
}

/// Stable error codes of every error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No session, or it ended.
    Unauthenticated,
    /// The provider connection needs a new sign-in.
    ReauthRequired,
    /// The provider could not be reached, timed out or answered garbage.
    ProviderUnavailable,
    /// The provider answered with an error.
    ProviderError,
    /// The request itself is wrong.
    InvalidRequest,
    /// Missing CSRF header, wrong origin, or a bad login state.
    Csrf,
    /// Too many requests.
    RateLimited,
    /// No such provider or route.
    NotFound,
    /// The provider does not support this.
    NotSupported,
    /// The session store is unreachable.
    StoreUnavailable,
    /// Something failed inside Keyhole; the request id ties it to the log.
    Internal,
    /// The request took longer than the server allows; try again.
    Timeout,
}

impl ErrorCode {
    /// The wire spelling, as used in `?login_error=` and popup messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::ReauthRequired => "reauth_required",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::ProviderError => "provider_error",
            Self::InvalidRequest => "invalid_request",
            Self::Csrf => "csrf",
            Self::RateLimited => "rate_limited",
            Self::NotFound => "not_found",
            Self::NotSupported => "not_supported",
            Self::StoreUnavailable => "store_unavailable",
            Self::Internal => "internal",
            Self::Timeout => "timeout",
        }
    }
}

/// Body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable code to branch on.
    pub code: ErrorCode,
    /// Human-readable English message (never internal details).
    pub message: String,
    /// The provider concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Ties the response to the server's log line.
    pub request_id: String,
}

/// What the popup callback page posts to its opener. Never a token or code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopupMessage {
    /// Always [`POPUP_MESSAGE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Provider id.
    pub provider: String,
    /// Whether the sign-in succeeded.
    pub ok: bool,
    /// Error code when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Provider's error text (attacker-controlled: show as text only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_and_error_code_use_snake_case_on_the_wire() {
        let json = serde_json::to_string(&vec![Capability::Login, Capability::Topup]).unwrap();
        assert_eq!(json, r#"["login","topup"]"#);
        for code in [
            ErrorCode::ReauthRequired,
            ErrorCode::ProviderUnavailable,
            ErrorCode::Csrf,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn an_unknown_capability_does_not_spoil_the_provider_list() {
        let info: ProviderInfo = serde_json::from_str(
            r#"{"id":"x","name":"X","kind":"oidc","capabilities":["login","teleport"]}"#,
        )
        .unwrap();
        assert_eq!(info.capabilities, [Capability::Login, Capability::Unknown]);
        assert_eq!(info.sends_via, None, "optional on the wire");
    }

    #[test]
    fn popup_message_has_type_field_and_omits_absent_error() {
        let msg = PopupMessage {
            kind: POPUP_MESSAGE_TYPE.to_owned(),
            provider: "aihubmix".to_owned(),
            ok: true,
            error: None,
            error_description: None,
        };
        let json = serde_json::to_value(&msg).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "keyhole:login", "provider": "aihubmix", "ok": true})
        );
    }

    #[test]
    fn capability_payloads_have_the_documented_shape() {
        let friendship: Friendship = serde_json::from_str(r#"{"friend":false}"#).unwrap();
        assert_eq!(friendship.add_friend_url, None);
        let friendship: Friendship = serde_json::from_str(
            r#"{"friend":false,"add_friend_url":"https://line.me/R/ti/p/@x"}"#,
        )
        .unwrap();
        assert_eq!(
            friendship.add_friend_url.as_deref(),
            Some("https://line.me/R/ti/p/@x")
        );

        let result: NotifyResult = serde_json::from_str("{}").unwrap();
        assert_eq!(result, NotifyResult::default());
        let result: NotifyResult = serde_json::from_str(
            r#"{"rate_limit":{"limit":1000,"remaining":999,"reset":1767225600}}"#,
        )
        .unwrap();
        assert_eq!(
            result.rate_limit,
            Some(RateLimit {
                limit: 1000,
                remaining: 999,
                reset: 1_767_225_600
            })
        );

        let notify = serde_json::to_value(NotifyRequest {
            message: "hi".to_owned(),
        })
        .unwrap();
        assert_eq!(notify, serde_json::json!({"message": "hi"}));
        let message = serde_json::to_value(MessageRequest {
            text: "hi".to_owned(),
        })
        .unwrap();
        assert_eq!(message, serde_json::json!({"text": "hi"}));
    }
}
