//! The only module that talks to the server: one function per `/api/` route, each returning `Result<T, AppError>`.
//!
//! Requests are same-origin, so the browser sends the session cookie by
//! itself; the app never sees a token. Login navigations are not fetches:
//! [`login_url`] builds the URL that the popup (or the whole page) opens.

use gloo_net::http::{Request, Response};
use keyhole_api::{
    ApiError, Balance, CSRF_HEADER, ErrorCode, Friendship, Me, MessageRequest, NotifyRequest,
    NotifyResult, ProviderInfo, Topup,
};
use serde::{Serialize, de::DeserializeOwned};
use thiserror::Error;

use crate::i18n::{Lang, Text, t, tf};

/// Why a call to the server failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppError {
    /// The server answered with its JSON error body; branch on its `code`.
    #[error("{} ({})", .0.message, .0.code.as_str())]
    Api(ApiError),
    /// No usable answer: offline, server down, or a body that is not ours.
    #[error("network error: {0}")]
    Network(String),
}

impl AppError {
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

    /// A sentence for the person, in the current language. `provider` names
    /// the provider concerned, for messages that mention it.
    pub fn user_message(&self, provider: &str) -> String {
        let provider = if provider.is_empty() {
            t(Text::TheProvider)
        } else {
            provider
        };
        let args = [("provider", provider)];
        match self.code() {
            None => t(Text::ErrorNetwork).to_owned(),
            Some(ErrorCode::RateLimited) => t(Text::ErrorRateLimited).to_owned(),
            Some(ErrorCode::ProviderUnavailable) => tf(Text::ErrorProviderUnavailable, &args),
            Some(ErrorCode::ProviderError) => tf(Text::ErrorProviderError, &args),
            Some(ErrorCode::NotSupported) => tf(Text::ErrorNotSupported, &args),
            Some(ErrorCode::ReauthRequired) => tf(Text::ErrorReauth, &args),
            Some(_) => t(Text::ErrorGeneric).to_owned(),
        }
    }

    /// The request id to quote to support, when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(err) if !err.request_id.is_empty() => Some(&err.request_id),
            _ => None,
        }
    }
}

/// `GET /api/providers`: every configured provider.
pub async fn providers() -> Result<Vec<ProviderInfo>, AppError> {
    get_json("/api/providers").await
}

/// `GET /api/me`: the session and its connections; `unauthenticated` without one.
pub async fn me() -> Result<Me, AppError> {
    get_json("/api/me").await
}

/// `GET /api/me/{provider}/balance`: a fresh balance from the provider.
pub async fn balance(provider: &str) -> Result<Balance, AppError> {
    get_json(&format!("/api/me/{}/balance", segment(provider))).await
}

/// `GET /api/me/{provider}/topup`: the provider's top-up page.
pub async fn topup(provider: &str) -> Result<Topup, AppError> {
    get_json(&format!("/api/me/{}/topup", segment(provider))).await
}

/// `GET /api/me/{provider}/friendship`: whether the person is a friend of the
/// provider's official account (capability `friendship`).
pub async fn friendship(provider: &str) -> Result<Friendship, AppError> {
    get_json(&format!("/api/me/{}/friendship", segment(provider))).await
}

/// `POST /api/me/{provider}/notify`: sends a test notification (capability `notify`).
pub async fn notify(provider: &str, message: String) -> Result<NotifyResult, AppError> {
    let url = format!("/api/me/{}/notify", segment(provider));
    let response = post(&url, Some(&NotifyRequest { message })).await?;
    // Tolerates an empty 200/204: the rate limit is a bonus, not a promise.
    let body = response.text().await.map_err(network)?;
    parse_notify_result(&body).map_err(|err| AppError::Network(err.to_string()))
}

/// `POST /api/me/{provider}/message`: pushes a text message to the person
/// (capability `messaging`). Any 2xx is success; its body is not read.
pub async fn message(provider: &str, text: String) -> Result<(), AppError> {
    let url = format!("/api/me/{}/message", segment(provider));
    post(&url, Some(&MessageRequest { text })).await.map(drop)
}

/// `POST /api/auth/{provider}/disconnect`: removes one connection (204); the
/// last one ends the session.
pub async fn disconnect(provider: &str) -> Result<(), AppError> {
    let url = format!("/api/auth/{}/disconnect", segment(provider));
    post::<()>(&url, None).await.map(drop)
}

/// `POST /api/auth/logout`: ends the session (204).
pub async fn logout() -> Result<(), AppError> {
    post::<()>("/api/auth/logout", None).await.map(drop)
}

/// The body of a notify answer: JSON, or nothing at all.
pub fn parse_notify_result(body: &str) -> Result<NotifyResult, serde_json::Error> {
    if body.trim().is_empty() {
        Ok(NotifyResult::default())
    } else {
        serde_json::from_str(body)
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

/// URL of `GET /api/auth/{provider}/login`, which redirects to the provider.
///
/// `lang` travels along so the server can ask the provider for a consent page
/// in the person's language where the provider supports it.
pub fn login_url(provider: &str, mode: LoginMode, lang: Lang) -> String {
    let mode = match mode {
        LoginMode::Popup => "popup".to_owned(),
        LoginMode::Redirect => format!("redirect&return_to={}", segment("/")),
    };
    format!(
        "/api/auth/{}/login?mode={mode}&lang={}",
        segment(provider),
        segment(lang.tag())
    )
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

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, AppError> {
    let response = Request::get(url).send().await.map_err(network)?;
    if response.ok() {
        response.json().await.map_err(network)
    } else {
        Err(error_from(response).await)
    }
}

/// A state-changing request: carries the CSRF header and, when given, a JSON body.
async fn post<B: Serialize>(url: &str, body: Option<&B>) -> Result<Response, AppError> {
    let builder = Request::post(url).header(CSRF_HEADER, "1");
    let request = match body {
        Some(body) => builder.json(body).map_err(network)?,
        None => builder.build().map_err(network)?,
    };
    let response = request.send().await.map_err(network)?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_from(response).await)
    }
}

/// Reads our error body; anything else (a proxy's HTML page, say) is a network error.
async fn error_from(response: Response) -> AppError {
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(body) => AppError::Api(body),
        Err(_) => AppError::Network(format!("HTTP {status}")),
    }
}

fn network(err: gloo_net::Error) -> AppError {
    AppError::Network(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: ErrorCode) -> AppError {
        AppError::Api(ApiError {
            code,
            message: "m".to_owned(),
            provider: None,
            request_id: "req-1".to_owned(),
        })
    }

    #[test]
    fn login_urls_encode_the_provider_and_return_path() {
        assert_eq!(
            login_url("aihubmix", LoginMode::Popup, Lang::En),
            "/api/auth/aihubmix/login?mode=popup&lang=en"
        );
        assert_eq!(
            login_url("a/b c", LoginMode::Redirect, Lang::ZhTw),
            "/api/auth/a%2Fb%20c/login?mode=redirect&return_to=%2F&lang=zh-TW"
        );
        // Korean reaches Elice as its default `lang`, `ko`.
        assert_eq!(
            login_url("elice", LoginMode::Popup, Lang::Ko),
            "/api/auth/elice/login?mode=popup&lang=ko"
        );
    }

    #[test]
    fn user_messages_name_the_provider_or_stay_generic() {
        assert_eq!(
            api_error(ErrorCode::ProviderUnavailable).user_message("AIHubMix"),
            "AIHubMix could not be reached. Please try again in a moment."
        );
        assert_eq!(
            api_error(ErrorCode::Internal).user_message("AIHubMix"),
            t(Text::ErrorGeneric)
        );
        assert_eq!(
            AppError::Network("x".to_owned()).user_message(""),
            t(Text::ErrorNetwork)
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
