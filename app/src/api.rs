//! The only module that talks to the server: one function per `/api/` route, each returning `Result<T, AppError>`.
//!
//! Requests are same-origin, so the browser sends the session cookie by
//! itself; the app never sees a token. Login navigations are not fetches:
//! [`login_url`] builds the URL that the popup (or the whole page) opens.

use gloo_net::http::{Request, Response};
use keyhole_api::{ApiError, Balance, CSRF_HEADER, ErrorCode, Me, ProviderInfo, Topup};
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::i18n::{Text, t, tf};

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

/// `POST /api/auth/logout`: ends the session (204).
pub async fn logout() -> Result<(), AppError> {
    let response = Request::post("/api/auth/logout")
        .header(CSRF_HEADER, "1")
        .send()
        .await
        .map_err(network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(error_from(response).await)
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
pub fn login_url(provider: &str, mode: LoginMode) -> String {
    match mode {
        LoginMode::Popup => format!("/api/auth/{}/login?mode=popup", segment(provider)),
        LoginMode::Redirect => format!(
            "/api/auth/{}/login?mode=redirect&return_to={}",
            segment(provider),
            segment("/")
        ),
    }
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
            login_url("aihubmix", LoginMode::Popup),
            "/api/auth/aihubmix/login?mode=popup"
        );
        assert_eq!(
            login_url("a/b c", LoginMode::Redirect),
            "/api/auth/a%2Fb%20c/login?mode=redirect&return_to=%2F"
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
}
