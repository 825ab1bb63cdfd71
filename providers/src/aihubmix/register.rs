//! Registering an OAuth app with a developer token (`POST /api/oauth_apps`,
//! docs/providers.md, AIHubMix), for `keyhole aihubmix register-app`: the request, the
//! `{success, message, data}` envelope, and what each answer means.

use crate::{
    ProviderError,
    upstream::{Http, Reply},
};
use oauth2::{AccessToken, ClientSecret};
use reqwest::{StatusCode, header::ACCEPT};
use serde::{Deserialize, Serialize};
use url::Url;

/// Where apps are registered when the config names no `base_url`: the host of
/// the documented call, which is not the OAuth host (`aihubmix.com`).
pub const DEFAULT_API_BASE: &str = "https://api.aihubmix.com";

/// The operation name in metrics, spans and errors.
const OPERATION: &str = "register_app";

/// Longest provider message shown, in characters.
const MAX_MESSAGE: usize = 200;

/// The app to register.
#[derive(Debug, Serialize)]
pub struct NewApp<'a> {
    /// Shown to people on the consent page; unique per developer.
    pub name: &'a str,
    /// Free text.
    pub description: &'a str,
    /// The one redirect URI the app may use.
    pub redirect_uri: &'a str,
}

/// What AIHubMix registered. `Debug` keeps the secret redacted.
#[derive(Debug)]
pub struct RegisteredApp {
    /// The new client id.
    pub client_id: String,
    /// The new client secret: for a file or the environment, never a log.
    pub client_secret: ClientSecret,
}

/// Why an app was not registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// HTTP 401 or 403: the developer token is wrong, expired or not allowed.
    #[error("AIHubMix refused the developer token (HTTP {0})")]
    TokenRefused(u16),
    /// `success: false`, with AIHubMix's message (control characters escaped,
    /// shortened): a name already taken, a field it does not accept.
    #[error("AIHubMix did not register the app: {0}")]
    Refused(String),
    /// Down, timed out, or an answer that is not the envelope.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// `base` (a `base_url`, or [`DEFAULT_API_BASE`]) + `/api/oauth_apps`.
pub fn apps_url(base: &str) -> Result<Url, String> {
    let text = format!("{}/api/oauth_apps", base.trim_end_matches('/'));
    match Url::parse(&text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err(format!("base_url: `{base}` is not an http(s) URL")),
    }
}

/// Registers `app` at `url` with the developer's `token`, through the one
/// upstream path (no redirects, timeouts, body cap).
pub async fn register_app(
    http: &Http,
    url: &Url,
    token: &AccessToken,
    app: &NewApp<'_>,
) -> Result<RegisteredApp, RegisterError> {
    let request = http
        .post(url)
        .bearer_auth(token.secret())
        .header(ACCEPT, "application/json")
        .json(app);
    answer(&http.send(OPERATION, request).await?)
}

/// `POST /api/oauth_apps`'s envelope.
#[derive(Deserialize)]
struct Envelope {
    success: bool,
    #[serde(default)]
    message: Option<String>,
    data: Option<AppData>,
}

#[derive(Deserialize)]
struct AppData {
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The meaning of AIHubMix's answer: the envelope decides, whatever the
/// status, except 401/403 (the token) and 5xx (an outage).
fn answer(reply: &Reply) -> Result<RegisteredApp, RegisterError> {
    let status = reply.status;
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(RegisterError::TokenRefused(status.as_u16()));
    }
    let unavailable = || ProviderError::Unavailable(format!("{OPERATION}: HTTP {status}"));
    if status.is_server_error() {
        return Err(unavailable().into());
    }
    let envelope: Envelope = match reply.json(OPERATION) {
        Ok(envelope) => envelope,
        Err(e) if status.is_success() => return Err(e.into()),
        Err(_) => return Err(unavailable().into()),
    };
    if !envelope.success {
        let message = envelope.message.unwrap_or_default();
        return Err(RegisterError::Refused(printable(&message)));
    }
    if !status.is_success() {
        return Err(unavailable().into());
    }
    let data = envelope.data.ok_or_else(|| malformed("no data"))?;
    match (data.client_id, data.client_secret) {
        (Some(id), Some(secret)) if is_credential(&id) && is_credential(&secret) => {
            Ok(RegisteredApp {
                client_id: id,
                client_secret: ClientSecret::new(secret),
            })
        }
        _ => Err(malformed("no usable client_id and client_secret").into()),
    }
}

/// Printable ASCII without spaces, as client ids and secrets are: both end up
/// in a terminal, a TOML file and a form body.
fn is_credential(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())
}

fn malformed(what: &str) -> ProviderError {
    ProviderError::Malformed(format!("{OPERATION}: {what}"))
}

/// `text` safe for a terminal: control and bidi-override characters as
/// `\u{..}` escapes (an answer must not recolour or reorder the console),
/// at most [`MAX_MESSAGE`] characters.
fn printable(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "(no message)".to_owned();
    }
    let mut out = String::new();
    for c in text.chars().take(MAX_MESSAGE) {
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    if text.chars().nth(MAX_MESSAGE).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_seed_answer_is_an_app() {
        let app = answer(&reply(
            200,
            r#"{"success":true,"message":"應用建立成功","data":{"id":1,"name":"x",
                "client_id":"client_abc","client_secret":"secret_xyz",
                "redirect_uri":"https://a/cb","created_time":1640995200}}"#,
        ))
        .unwrap();
        assert_eq!(app.client_id, "client_abc");
        assert_eq!(app.client_secret.secret(), "secret_xyz");
        assert!(!format!("{app:?}").contains("secret_xyz"));
    }

    #[test]
    fn each_failure_has_its_own_error() {
        let error = |status, body| answer(&reply(status, body)).unwrap_err();
        let refused = r#"{"success":false,"message":"name taken"}"#;
        assert!(matches!(
            error(401, refused),
            RegisterError::TokenRefused(401)
        ));
        assert!(matches!(error(403, ""), RegisterError::TokenRefused(403)));
        assert!(matches!(error(200, refused), RegisterError::Refused(m) if m == "name taken"));
        assert!(matches!(error(400, refused), RegisterError::Refused(_)));
        for (status, body) in [
            (502, refused),
            (404, "<html>"),
            (400, r#"{"success":true}"#),
        ] {
            let e = error(status, body);
            assert!(
                matches!(e, RegisterError::Provider(ProviderError::Unavailable(_))),
                "{status}: {e}"
            );
        }
        for body in [
            r#"{"success":true,"data":{"client_id":"a\u001b[2J","client_secret":"s"}}"#,
            "<html>",
            r#"{"success":true}"#,
            r#"{"success":true,"data":{"client_id":""}}"#,
        ] {
            let e = error(200, body);
            assert!(
                matches!(e, RegisterError::Provider(ProviderError::Malformed(_))),
                "{body}: {e}"
            );
        }
    }

    #[test]
    fn messages_cannot_drive_the_terminal() {
        assert_eq!(printable("\u{1b}[31mred\n"), "\\u{1b}[31mred");
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(printable("應用名稱已存在"), "應用名稱已存在");
        assert_eq!(printable(" "), "(no message)");
        let long = "x".repeat(MAX_MESSAGE + 5);
        assert_eq!(printable(&long).chars().count(), MAX_MESSAGE + 1);
    }

    #[test]
    fn apps_url_joins_the_base() {
        assert_eq!(
            apps_url("http://127.0.0.1:9000/aihubmix/")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9000/aihubmix/api/oauth_apps"
        );
        assert_eq!(
            apps_url(DEFAULT_API_BASE).unwrap().as_str(),
            "https://api.aihubmix.com/api/oauth_apps"
        );
        assert!(apps_url("ftp://x").is_err());
        assert!(apps_url("not a url").is_err());
    }
}
