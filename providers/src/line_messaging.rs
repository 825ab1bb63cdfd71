//! LINE Messaging API (docs/providers.md; seed 001): the bot side of
//! a LINE Official Account. No sign-in: it verifies webhook signatures
//! (HMAC-SHA256 of the raw body with the channel secret), holds a
//! short-lived channel access token (client credentials; cached, renewed
//! single-flight before expiry, the old one revoked afterwards), pushes with
//! one `X-Line-Retry-Key` across retries and exponential backoff, and
//! replies through reply tokens.
//!
//! Config: `client_id` = channel id, the client secret = channel secret,
//! `api_base` (default `https://api.line.me`), `login_provider` (the
//! `line-login` provider whose people it messages), `reply_text` (optional
//! answer to incoming messages).

use crate::{
    Adapter, ProviderError,
    messaging::{Messaging, Pushed},
    registry::{Check, parse_options},
};
use crate::{
    config::ProviderConfig,
    oauth::{ClientAuth, TokenEndpoint, TokenResponse},
    upstream::{Http, Reply},
};
use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use oauth2::{AccessToken, ClientSecret};
use rand::Rng;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;
use std::{sync::Arc, time::Duration};
use tokio::{sync::Mutex, time::Instant};
use url::Url;
use uuid::Uuid;

const API_BASE: &str = "https://api.line.me";

/// Lifetime assumed when the token response has no `expires_in` (LINE's
/// short-lived tokens live 30 days).
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Renew this long before expiry at most (a tenth of the lifetime when that
/// is shorter), so no request ever carries a token about to die.
const RENEW_MARGIN: Duration = Duration::from_secs(24 * 3600);

/// Push attempts per message, the first included.
const MAX_ATTEMPTS: u32 = 4;
/// No retry starts after this long since the first attempt.
const RETRY_BUDGET: Duration = Duration::from_secs(10);
/// First backoff step; doubled per retry, with jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest single wait, `Retry-After` included.
const BACKOFF_CAP: Duration = Duration::from_secs(3);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Host of the APIs (default `https://api.line.me`).
    api_base: Option<String>,
    /// Id of the `line-login` provider whose signed-in people this bot messages.
    login_provider: String,
    /// Answer to every incoming message, through its reply token.
    reply_text: Option<String>,
}

/// The cached channel access token.
#[derive(Debug)]
struct ChannelToken {
    token: AccessToken,
    /// When to get a new one (before it expires).
    renew_at: Instant,
}

/// The LINE Messaging API adapter.
#[derive(Debug)]
pub(super) struct LineMessaging {
    secret: ClientSecret,
    login_provider: String,
    reply_text: Option<String>,
    token_endpoint: TokenEndpoint,
    revoke_url: Url,
    push_url: Url,
    reply_url: Url,
    /// Held while a token is issued: concurrent callers wait and reuse it.
    token: Arc<Mutex<Option<ChannelToken>>>,
    http: Http,
}

impl LineMessaging {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut check = Check::default();
        let api = o.api_base.as_deref().unwrap_or(API_BASE);
        let token_url = check.at("api_base", api, "/v2/oauth/accessToken");
        let revoke_url = check.at("api_base", api, "/v2/oauth/revoke");
        let push_url = check.at("api_base", api, "/v2/bot/message/push");
        let reply_url = check.at("api_base", api, "/v2/bot/message/reply");
        if o.login_provider.trim().is_empty() {
            check.problem("login_provider: must name a line-login provider".to_owned());
        }
        if let Some(text) = &o.reply_text {
            let length = text.chars().count();
            if text.trim().is_empty() || length > keyhole_api::MESSAGE_TEXT_MAX_CHARS {
                check.problem(format!(
                    "reply_text: must be 1 to {} characters",
                    keyhole_api::MESSAGE_TEXT_MAX_CHARS
                ));
            }
        }
        check.done()?;
        Ok(Self {
            secret: p.client_secret.clone(),
            login_provider: o.login_provider,
            reply_text: o.reply_text,
            token_endpoint: TokenEndpoint::new(p, http.clone(), token_url, ClientAuth::Body),
            revoke_url,
            push_url,
            reply_url,
            token: Arc::new(Mutex::new(None)),
            http,
        })
    }

    /// A usable channel access token. Single-flight: one caller issues a
    /// token while the others wait for it. `refused` is a token LINE just
    /// answered 401 to: unless someone already replaced it, it is replaced.
    /// A token replaced for its age is revoked once the new one is in hand.
    async fn channel_token(
        &self,
        refused: Option<&AccessToken>,
    ) -> Result<AccessToken, ProviderError> {
        let mut cached = self.token.lock().await;
        if let Some(current) = cached.as_ref() {
            let was_refused = refused.is_some_and(|r| r.secret() == current.token.secret());
            if !was_refused && Instant::now() < current.renew_at {
                return Ok(current.token.clone());
            }
        }
        let response = self
            .token_endpoint
            .request("channel_token", &[("grant_type", "client_credentials")])
            .await?;
        let ttl = channel_ttl(&response);
        let token = AccessToken::new(response.access_token);
        let fresh = ChannelToken {
            token: token.clone(),
            renew_at: Instant::now() + ttl - renew_margin(ttl),
        };
        let old = cached.replace(fresh);
        drop(cached);
        tracing::info!(provider = %self.http.provider(), "LINE channel access token issued");
        // A refused token is dead already; an aged one is still live, and
        // LINE caps live short-lived tokens at 30 per channel.
        if let Some(old) = old.filter(|o| refused.is_none_or(|r| r.secret() != o.token.secret())) {
            self.revoke_later(old.token);
        }
        Ok(token)
    }

    /// Revokes `token` in the background: the request that renewed it need
    /// not wait, and a failed revocation only costs a token that expires.
    fn revoke_later(&self, token: AccessToken) {
        let http = self.http.clone();
        let url = self.revoke_url.clone();
        tokio::spawn(async move {
            let request = http.post(&url).form(&[("access_token", token.secret())]);
            let provider = http.provider();
            match http.send("revoke", request).await {
                Ok(r) if r.status.is_success() => {
                    tracing::debug!(provider, "old LINE channel access token revoked");
                }
                Ok(r) => {
                    tracing::warn!(provider, status = %r.status, "revoking the old LINE channel access token failed")
                }
                Err(e) => {
                    tracing::warn!(provider, error = %e, "revoking the old LINE channel access token failed")
                }
            }
        });
    }

    /// POSTs `body` with the channel token (and the retry key, for a push);
    /// a 401 renews the token once and resends at once.
    async fn send(
        &self,
        operation: &'static str,
        url: &Url,
        body: &serde_json::Value,
        retry_key: Option<&str>,
    ) -> Result<Reply, ProviderError> {
        let mut refused: Option<AccessToken> = None;
        loop {
            let token = self.channel_token(refused.as_ref()).await?;
            let mut request = self.http.post(url).bearer_auth(token.secret()).json(body);
            if let Some(key) = retry_key {
                request = request.header("x-line-retry-key", key);
            }
            let response = self.http.send(operation, request).await?;
            if response.status == StatusCode::UNAUTHORIZED && refused.is_none() {
                tracing::info!(provider = %self.http.provider(), "LINE refused the channel token; renewing it");
                refused = Some(token);
                continue;
            }
            return Ok(response);
        }
    }
}

/// The lifetime of a channel token; a missing, zero or negative
/// `expires_in` means LINE's default (renewing at once would issue a token
/// per request).
fn channel_ttl(response: &TokenResponse) -> Duration {
    response
        .expires_in()
        .filter(|d| d.is_positive())
        .and_then(|d| Duration::try_from(d).ok())
        .unwrap_or(DEFAULT_TOKEN_TTL)
}

/// How long before expiry to renew a token that lives `ttl`.
fn renew_margin(ttl: Duration) -> Duration {
    (ttl / 10).min(RENEW_MARGIN)
}

/// The wait before retry number `retry` (1-based): exponential with "equal
/// jitter" (half fixed, half random), so retries of many senders spread out.
fn backoff(retry: u32) -> Duration {
    let step = BACKOFF_BASE
        .saturating_mul(1 << retry.saturating_sub(1).min(10))
        .min(BACKOFF_CAP);
    let half = step / 2;
    let jitter = rand::rng().random_range(0..=half.as_millis().max(1));
    half + Duration::from_millis(u64::try_from(jitter).unwrap_or(0))
}

/// `Retry-After` in seconds, if sent and sane.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(BACKOFF_CAP))
}

/// The Messaging API's error body: `{"message", "details"?}`.
#[derive(Deserialize)]
struct ApiMessage {
    message: String,
}

/// What an unsuccessful answer means for a push.
enum Failure {
    /// Worth another attempt with the same retry key.
    Retry(ProviderError, Option<Duration>),
    /// Final.
    Stop(ProviderError),
}

/// Classifies a non-2xx, non-409 answer.
fn failure(what: &str, response: &Reply) -> Failure {
    let status = response.status;
    let wait = retry_after(&response.headers);
    // Error bodies are short JSON; the message is LINE's own text.
    let message = serde_json::from_slice::<ApiMessage>(&response.body)
        .ok()
        .map(|m| m.message.chars().take(200).collect::<String>());
    if status == StatusCode::TOO_MANY_REQUESTS {
        // The monthly quota does not come back with a retry.
        return if message
            .as_deref()
            .is_some_and(|m| m.contains("monthly limit"))
        {
            Failure::Stop(ProviderError::RateLimited(None))
        } else {
            Failure::Retry(ProviderError::RateLimited(None), wait)
        };
    }
    if status.is_server_error() {
        return Failure::Retry(
            ProviderError::Unavailable(format!("{what}: HTTP {status}")),
            wait,
        );
    }
    Failure::Stop(ProviderError::Rejected {
        error: format!("http_{}", status.as_u16()),
        description: message,
    })
}

impl Adapter for LineMessaging {
    fn messaging(&self) -> Option<&dyn Messaging> {
        Some(self)
    }
}

#[async_trait]
impl Messaging for LineMessaging {
    fn login_provider(&self) -> &str {
        &self.login_provider
    }

    fn auto_reply(&self) -> Option<&str> {
        self.reply_text.as_deref()
    }

    fn verify_webhook(&self, body: &[u8], signature: Option<&[u8]>) -> bool {
        let Some(signature) = signature else {
            return false;
        };
        let Ok(expected) = STANDARD.decode(signature.trim_ascii()) else {
            return false;
        };
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.secret.secret().as_bytes())
        else {
            return false;
        };
        mac.update(body);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&expected).is_ok()
    }

    async fn push_text(
        &self,
        to: &str,
        text: &str,
        retry_key: Uuid,
    ) -> Result<Pushed, ProviderError> {
        let body = json!({ "to": to, "messages": [{ "type": "text", "text": text }] });
        let key = retry_key.hyphenated().to_string();
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = match self.send("push", &self.push_url, &body, Some(&key)).await {
                Ok(response) if response.status.is_success() => {
                    return Ok(Pushed {
                        attempts: attempt,
                        replayed: false,
                    });
                }
                // "The retry key is already accepted": an earlier attempt
                // was delivered although its answer never reached us.
                Ok(response) if response.status == StatusCode::CONFLICT => {
                    tracing::info!(provider = %self.http.provider(), attempt, "push already accepted under this retry key");
                    return Ok(Pushed {
                        attempts: attempt,
                        replayed: true,
                    });
                }
                Ok(response) => failure("push", &response),
                // No answer (timeout, reset, refused): it may or may not have
                // been accepted, which is exactly what the retry key is for.
                Err(e @ ProviderError::Unavailable(_)) => Failure::Retry(e, None),
                Err(e) => Failure::Stop(e),
            };
            let (error, wait) = match outcome {
                Failure::Stop(error) => return Err(error),
                Failure::Retry(error, wait) => (error, wait),
            };
            let wait = wait.unwrap_or_else(|| backoff(attempt));
            if attempt >= MAX_ATTEMPTS || started.elapsed() + wait > RETRY_BUDGET {
                tracing::warn!(provider = %self.http.provider(), attempt, error = %error, "push failed; giving up");
                return Err(error);
            }
            tracing::info!(provider = %self.http.provider(), attempt, error = %error, wait_ms = wait.as_millis() as u64, "push failed; retrying with the same retry key");
            tokio::time::sleep(wait).await;
        }
    }

    async fn reply_text(&self, reply_token: &str, text: &str) -> Result<(), ProviderError> {
        // No retries: a reply token is single-use, so a resend after a lost
        // answer could only fail.
        let body =
            json!({ "replyToken": reply_token, "messages": [{ "type": "text", "text": text }] });
        let response = self.send("reply", &self.reply_url, &body, None).await?;
        if response.status.is_success() {
            return Ok(());
        }
        match failure("reply", &response) {
            Failure::Retry(e, _) | Failure::Stop(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http() -> Http {
        let config = crate::config::UpstreamConfig {
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        };
        crate::upstream::Upstream::new(&config, crate::upstream::UpstreamMetrics::default())
            .unwrap()
            .for_provider("line-bot")
    }

    fn adapter(secret: &str) -> LineMessaging {
        let mut options = toml::Table::new();
        options.insert("login_provider".into(), "line".into());
        let config = ProviderConfig {
            id: "line-bot".into(),
            kind: "line-messaging".into(),
            name: "LINE bot".into(),
            client_id: "2345678901".into(),
            client_secret: ClientSecret::new(secret.into()),
            scopes: None,
            options,
        };
        LineMessaging::new(&config, http()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// The official test vector (LINE's webhook-signature documentation).
    #[test]
    fn signatures_are_checked_against_the_official_vector() {
        let bot = adapter("8c570fa6dd201bb328f1c1eac23a96d8");
        let body = br#"{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}"#;
        let good = b"GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs=";
        assert!(bot.verify_webhook(body, Some(good)));
        assert!(!bot.verify_webhook(body, None));
        assert!(!bot.verify_webhook(body, Some(b"")));
        assert!(!bot.verify_webhook(body, Some(b"not base64!")));
        // One byte more in the body, or another key, and it no longer matches.
        let mut longer = body.to_vec();
        longer.push(b' ');
        assert!(!bot.verify_webhook(&longer, Some(good)));
        assert!(!adapter("other").verify_webhook(body, Some(good)));
    }

    #[test]
    fn debug_output_redacts_the_channel_secret() {
        let bot = adapter("channel-secret-value");
        let printed = format!("{bot:?}");
        assert!(!printed.contains("channel-secret-value"), "{printed}");
        assert!(printed.contains("line-bot"));
    }

    #[test]
    fn options_are_checked() {
        let mut config = ProviderConfig {
            id: "line-bot".into(),
            kind: "line-messaging".into(),
            name: "LINE bot".into(),
            client_id: "1".into(),
            client_secret: ClientSecret::new("s".into()),
            scopes: None,
            options: toml::Table::new(),
        };
        assert!(LineMessaging::new(&config, http()).is_err());
        config
            .options
            .insert("login_provider".into(), "line".into());
        config.options.insert("reply_text".into(), " ".into());
        config.options.insert("api_base".into(), "ftp://x".into());
        let problems = LineMessaging::new(&config, http())
            .err()
            .unwrap_or_default();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn a_channel_token_without_a_usable_lifetime_lives_the_default() {
        let ttl = |expires_in: serde_json::Value| {
            let response = serde_json::json!({"access_token": "t", "expires_in": expires_in});
            channel_ttl(&serde_json::from_value(response).unwrap())
        };
        assert_eq!(ttl(json!(2_592_000)), Duration::from_secs(2_592_000));
        for unusable in [json!(-5), json!(0), json!(null), json!("soon")] {
            assert_eq!(ttl(unusable.clone()), DEFAULT_TOKEN_TTL, "{unusable}");
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for retry in 1..=3 {
            let step = BACKOFF_BASE * (1 << (retry - 1));
            for _ in 0..50 {
                let wait = backoff(retry);
                assert!(wait >= step / 2 && wait <= step, "{retry}: {wait:?}");
            }
        }
        assert!(backoff(30) <= BACKOFF_CAP);
        assert_eq!(
            renew_margin(Duration::from_secs(10)),
            Duration::from_secs(1)
        );
        assert_eq!(renew_margin(DEFAULT_TOKEN_TTL), RENEW_MARGIN);
    }
}
