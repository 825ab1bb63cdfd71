//! [`Client`], the only part that talks to Keyhole: one method per route under the base path where Keyhole is mounted, each returning `Result<T, CallError>`.
//!
//! Requests are same-origin, so the browser sends the session cookie by
//! itself; the page never sees a token. Login navigations are not fetches:
//! [`Client::login_url`] builds the URL that the popup (or the whole page)
//! opens.

use keyhole_api::{
    ApiError, Balance, CSRF_HEADER, ErrorCode, Friendship, Me, MessageRequest, NotifyRequest,
    NotifyResult, ProviderInfo, Topup,
};
use serde::{Serialize, de::DeserializeOwned};
use thiserror::Error;

use crate::{
    fetch,
    i18n::{Lang, Text, Texts},
    json,
};

/// Why a call to Keyhole failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallError {
    /// The server answered with its JSON error body; branch on its `code`.
    #[error("{} ({})", .0.message, .0.code.as_str())]
    Api(ApiError),
    /// No usable answer: offline, server down, or a body that is not ours.
    #[error("network error: {0}")]
    Network(String),
}

impl CallError {
    /// The server's error code, if the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api(err) => Some(err.code),
            Self::Network(_) => None,
        }
    }

    /// True when there is no session (the sign-in page should show).
    pub fn is_unauthenticated(&self) -> bool {
        self.code() == Some(ErrorCode::Unauthenticated)
    }

    /// A sentence for the person, in the current language of `texts`
    /// (tracked). `provider` names the provider concerned, for messages that
    /// mention it.
    pub fn user_message(&self, texts: Texts, provider: &str) -> String {
        let provider = if provider.is_empty() {
            texts.t(Text::TheProvider)
        } else {
            provider
        };
        let args = [("provider", provider)];
        let text = match self.code() {
            None => Text::ErrorNetwork,
            Some(ErrorCode::RateLimited) => Text::ErrorRateLimited,
            Some(ErrorCode::ProviderUnavailable) => Text::ErrorProviderUnavailable,
            Some(ErrorCode::ProviderError) => Text::ErrorProviderError,
            Some(ErrorCode::NotSupported) => Text::ErrorNotSupported,
            Some(ErrorCode::ReauthRequired) => Text::ErrorReauth,
            Some(_) => Text::ErrorGeneric,
        };
        texts.tf(text, &args)
    }

    /// The request id to quote to support, when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(err) if !err.request_id.is_empty() => Some(&err.request_id),
            _ => None,
        }
    }
}

/// Calls to Keyhole mounted at one base path (`/api` by default).
///
/// `Copy`: components capture it in their actions. Paths are built from the
/// base path and percent-encoded provider ids only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    base: &'static str,
}

impl Default for Client {
    fn default() -> Self {
        Self::new(DEFAULT_BASE_PATH)
    }
}

/// Where the `keyhole` binary mounts its routes.
pub const DEFAULT_BASE_PATH: &str = "/api";

impl Client {
    /// A client for Keyhole mounted at `base` (`/api`, `/auth`; a trailing
    /// `/` is ignored).
    pub fn new(base: &'static str) -> Self {
        Self {
            base: base.trim_end_matches('/'),
        }
    }

    /// The base path, without a trailing `/`.
    pub fn base(self) -> &'static str {
        self.base
    }

    /// `GET {base}/providers`: every configured provider.
    pub async fn providers(self) -> Result<Vec<ProviderInfo>, CallError> {
        get_json(&self.url("/providers")).await
    }

    /// `GET {base}/me`: the session and its connections; `unauthenticated`
    /// without one.
    pub async fn me(self) -> Result<Me, CallError> {
        get_json(&self.url("/me")).await
    }

    /// `GET {base}/me/{provider}/balance`: a fresh balance from the provider.
    pub async fn balance(self, provider: &str) -> Result<Balance, CallError> {
        get_json(&self.provider_url("/me/", provider, "/balance")).await
    }

    /// `GET {base}/me/{provider}/topup`: the provider's top-up page.
    pub async fn topup(self, provider: &str) -> Result<Topup, CallError> {
        get_json(&self.provider_url("/me/", provider, "/topup")).await
    }

    /// `GET {base}/me/{provider}/friendship`: whether the person is a friend
    /// of the provider's official account (capability `friendship`).
    pub async fn friendship(self, provider: &str) -> Result<Friendship, CallError> {
        get_json(&self.provider_url("/me/", provider, "/friendship")).await
    }

    /// `POST {base}/me/{provider}/notify`: sends a test notification
    /// (capability `notify`).
    pub async fn notify(self, provider: &str, message: String) -> Result<NotifyResult, CallError> {
        let url = self.provider_url("/me/", provider, "/notify");
        let reply = post(&url, Some(&NotifyRequest { message })).await?;
        // Tolerates an empty 200/204: the rate limit is a bonus, not a promise.
        parse_notify_result(&reply.body).map_err(CallError::Network)
    }

    /// `POST {base}/me/{provider}/message`: pushes a text message to the
    /// person (capability `messaging`). Any 2xx is success; its body is not
    /// read.
    pub async fn message(self, provider: &str, text: String) -> Result<(), CallError> {
        let url = self.provider_url("/me/", provider, "/message");
        post(&url, Some(&MessageRequest { text })).await.map(drop)
    }

    /// `POST {base}/auth/{provider}/disconnect`: removes one connection
    /// (204); the last one ends the session.
    pub async fn disconnect(self, provider: &str) -> Result<(), CallError> {
        let url = self.provider_url("/auth/", provider, "/disconnect");
        post::<()>(&url, None).await.map(drop)
    }

    /// `POST {base}/auth/logout`: ends the session (204).
    pub async fn logout(self) -> Result<(), CallError> {
        post::<()>(&self.url("/auth/logout"), None).await.map(drop)
    }

    /// URL of `GET {base}/auth/{provider}/login`, which redirects to the
    /// provider.
    ///
    /// `lang` travels along so the server can ask the provider for a consent
    /// page in the person's language where the provider supports it. In
    /// redirect mode the server sends the page back to `return_to`, a path
    /// on this site.
    pub fn login_url(self, provider: &str, mode: LoginMode, lang: Lang, return_to: &str) -> String {
        let mut url = self.provider_url("/auth/", provider, "/login?mode=");
        match mode {
            LoginMode::Popup => url.push_str("popup"),
            LoginMode::Redirect => {
                url.push_str("redirect&return_to=");
                url.push_str(&segment(return_to));
            }
        }
        url.push_str("&lang=");
        url.push_str(&segment(lang.tag()));
        url
    }

    fn url(self, path: &str) -> String {
        [self.base, path].concat()
    }

    fn provider_url(self, before: &str, provider: &str, after: &str) -> String {
        [self.base, before, &segment(provider), after].concat()
    }
}

/// The body of a notify answer: JSON, or nothing at all.
pub fn parse_notify_result(body: &str) -> Result<NotifyResult, String> {
    if body.trim().is_empty() {
        Ok(NotifyResult::default())
    } else {
        json::decode(body)
    }
}

/// How the login navigation should come back to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMode {
    /// The callback page posts a message to the opener and closes.
    Popup,
    /// The callback redirects the whole page back to `return_to`.
    Redirect,
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a value
/// is safe as one path segment or one query value.
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, CallError> {
    let reply = fetch::send("GET", url, &[], None)
        .await
        .map_err(CallError::Network)?;
    let reply = checked(reply)?;
    json::decode(&reply.body).map_err(CallError::Network)
}

/// A state-changing request: carries the CSRF header and, when given, a JSON body.
async fn post<B: Serialize>(url: &str, body: Option<&B>) -> Result<fetch::Reply, CallError> {
    let json = body
        .map(json::encode)
        .transpose()
        .map_err(CallError::Network)?;
    let reply = fetch::send("POST", url, &[(CSRF_HEADER, "1")], json)
        .await
        .map_err(CallError::Network)?;
    checked(reply)
}

/// A 2xx reply as it is; otherwise our error body, or, for anything else (a
/// proxy's HTML page, say), a network error naming the status.
fn checked(reply: fetch::Reply) -> Result<fetch::Reply, CallError> {
    if reply.ok() {
        return Ok(reply);
    }
    match json::decode::<ApiError>(&reply.body) {
        Ok(body) => Err(CallError::Api(body)),
        Err(_) => Err(CallError::Network(format!("HTTP {}", reply.status))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::Signal;

    fn api_error(code: ErrorCode) -> CallError {
        CallError::Api(ApiError {
            code,
            message: "m".to_owned(),
            provider: None,
            request_id: "req-1".to_owned(),
        })
    }

    #[test]
    fn login_urls_follow_the_base_path_and_encode_every_value() {
        let api = Client::default();
        assert_eq!(
            api.login_url("aihubmix", LoginMode::Popup, Lang::En, "/"),
            "/api/auth/aihubmix/login?mode=popup&lang=en"
        );
        assert_eq!(
            api.login_url("a/b c", LoginMode::Redirect, Lang::ZhTw, "/"),
            "/api/auth/a%2Fb%20c/login?mode=redirect&return_to=%2F&lang=zh-TW"
        );
        // Korean reaches Elice as its default `lang`, `ko`.
        assert_eq!(
            api.login_url("elice", LoginMode::Popup, Lang::Ko, "/"),
            "/api/auth/elice/login?mode=popup&lang=ko"
        );
        // Nested in a host: every route under its prefix, and the redirect
        // comes back to the host's page.
        let nested = Client::new("/auth/");
        assert_eq!(nested.base(), "/auth");
        assert_eq!(
            nested.login_url("line", LoginMode::Redirect, Lang::En, "/account?tab=1"),
            "/auth/auth/line/login?mode=redirect&return_to=%2Faccount%3Ftab%3D1&lang=en"
        );
        assert_eq!(nested.url("/me"), "/auth/me");
        assert_eq!(
            nested.provider_url("/me/", "line-notify", "/notify"),
            "/auth/me/line-notify/notify"
        );
    }

    #[test]
    fn user_messages_name_the_provider_or_stay_generic() {
        let texts = Texts::new(Signal::stored(Lang::En), None);
        assert_eq!(
            api_error(ErrorCode::ProviderUnavailable).user_message(texts, "AIHubMix"),
            "AIHubMix could not be reached. Please try again in a moment."
        );
        assert_eq!(
            api_error(ErrorCode::Internal).user_message(texts, "AIHubMix"),
            texts.t(Text::ErrorGeneric)
        );
        assert_eq!(
            CallError::Network("x".to_owned()).user_message(texts, ""),
            texts.t(Text::ErrorNetwork)
        );
        assert!(api_error(ErrorCode::Unauthenticated).is_unauthenticated());
        assert_eq!(api_error(ErrorCode::Csrf).request_id(), Some("req-1"));
    }

    #[test]
    fn notify_answers_may_be_empty_or_carry_a_rate_limit() {
        assert_eq!(parse_notify_result("").ok(), Some(NotifyResult::default()));
        assert_eq!(
            parse_notify_result("{}").ok(),
            Some(NotifyResult::default())
        );
        let limit = parse_notify_result(
            r#"{"rate_limit":{"limit":1000,"remaining":998,"reset":1767225600},"status":200}"#,
        )
        .ok()
        .and_then(|r| r.rate_limit)
        .map(|r| (r.remaining, r.limit));
        assert_eq!(limit, Some((998, 1000)));
        assert!(parse_notify_result("<html>").is_err());
    }
}
