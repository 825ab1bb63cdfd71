//! Upstream HTTP: the one shared client and the error mapping every adapter uses.

use super::ProviderError;
use crate::config::UpstreamConfig;
use oauth2::{AccessToken, HttpClientError, RequestTokenError, basic::BasicErrorResponse};
use serde::de::DeserializeOwned;

/// Largest upstream body we read; a provider answering more is broken.
const MAX_BODY: usize = 1024 * 1024;

/// The one upstream client: no redirects (following them opens the client to
/// SSRF and would leak bearer tokens to another host), bounded timeouts.
pub fn upstream_client(config: &UpstreamConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .user_agent(concat!("keyhole/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Describes a transport error without its URL (a URL may carry a token).
pub(super) fn transport(e: &reqwest::Error) -> ProviderError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "response body failed"
    } else {
        "request failed"
    };
    ProviderError::Unavailable(kind.to_owned())
}

/// Maps an oauth2 token-endpoint failure onto our error.
pub(super) fn token_error(
    e: RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> ProviderError {
    match e {
        RequestTokenError::ServerResponse(r) => ProviderError::Rejected {
            error: r.error().to_string(),
            description: r.error_description().cloned(),
        },
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => transport(&e),
        RequestTokenError::Request(_) => ProviderError::Unavailable("request failed".to_owned()),
        RequestTokenError::Parse(e, _body) => {
            // The body may hold tokens: report only where parsing failed.
            ProviderError::Malformed(format!("token response: {}", e.path()))
        }
        RequestTokenError::Other(msg) => ProviderError::Malformed(msg),
    }
}

/// GETs `url` with a bearer token and parses a JSON body.
/// 401 → [`ProviderError::Unauthorized`]; other non-2xx → unavailable.
pub(super) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &url::Url,
    token: &AccessToken,
    what: &str,
) -> Result<T, ProviderError> {
    let response = http
        .get(url.clone())
        .bearer_auth(token.secret())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| transport(&e))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(ProviderError::Unauthorized);
    }
    if !status.is_success() {
        return Err(ProviderError::Unavailable(format!("{what}: HTTP {status}")));
    }
    let body = read_body(response).await?;
    serde_json::from_slice(&body).map_err(|e| ProviderError::Malformed(format!("{what}: {e}")))
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ProviderError::Malformed("response too large".to_owned()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
