//! Feishu / Lark login v1 (docs/providers.md): an app-wide
//! `app_access_token` cached and renewed single-flight before it expires,
//! envelope errors that arrive as HTTP 200 with a non-zero `code`, and
//! rotating user refresh tokens. Nothing here is standard OAuth, so it speaks
//! to Feishu directly (still through the one upstream path).

use super::{DEFAULT_BASE_URL, DEFAULT_TTL_SECS, EnvelopeError, classify, envelope, user_info};
use crate::{
    Adapter, Grant, Identity, Login, ProviderError,
    registry::{Check, parse_options},
};
use crate::{
    config::ProviderConfig,
    oauth::{AuthorizeRequest, ExchangeRequest, TokenResponse},
    upstream::Http,
};
use async_trait::async_trait;
use oauth2::{AccessToken, ClientSecret};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use url::Url;

/// Renew the app token this long before it expires (Feishu reissues a new
/// one only when less than 30 minutes remain, so 5 minutes is safe).
const APP_TOKEN_MARGIN: time::Duration = time::Duration::minutes(5);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// `https://open.feishu.cn`, or `https://open.larksuite.com` for Lark.
    base_url: Option<String>,
}

/// The Feishu v1 adapter.
#[derive(Debug)]
pub(super) struct Feishu {
    app_id: String,
    app_secret: ClientSecret,
    authorize_url: Url,
    app_token_url: Url,
    access_token_url: Url,
    refresh_url: Url,
    user_info_url: Url,
    app_token: Mutex<Option<(AccessToken, OffsetDateTime)>>,
    http: Http,
}

#[derive(Deserialize)]
struct AppToken {
    code: i64,
    #[serde(default)]
    msg: String,
    app_access_token: Option<String>,
    expire: Option<i64>,
}

impl Feishu {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let base = o.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let mut check = Check::default();
        let mut at = |path: &str| check.at("base_url", base, path);
        let authorize_url = at("/open-apis/authen/v1/index");
        let app_token_url = at("/open-apis/auth/v3/app_access_token/internal");
        let access_token_url = at("/open-apis/authen/v1/access_token");
        let refresh_url = at("/open-apis/authen/v1/refresh_access_token");
        let user_info_url = at("/open-apis/authen/v1/user_info");
        check.done()?;
        Ok(Self {
            app_id: p.client_id.clone(),
            app_secret: p.client_secret.clone(),
            authorize_url,
            app_token_url,
            access_token_url,
            refresh_url,
            user_info_url,
            app_token: Mutex::new(None),
            http,
        })
    }

    /// The cached app token, renewed under the lock when close to expiry:
    /// concurrent callers wait for one renewal instead of each asking.
    async fn app_token(&self, renew: bool) -> Result<AccessToken, ProviderError> {
        let mut cached = self.app_token.lock().await;
        if !renew
            && let Some((token, until)) = cached.as_ref()
            && *until - APP_TOKEN_MARGIN > crate::clock::now()
        {
            return Ok(token.clone());
        }
        let request = self
            .http
            .post(&self.app_token_url)
            .json(&json!({"app_id": self.app_id, "app_secret": self.app_secret.secret()}));
        let reply = self.http.send("app_token", request).await?;
        if reply.status.is_server_error() {
            return Err(ProviderError::Unavailable(format!(
                "app token: HTTP {}",
                reply.status
            )));
        }
        let body: AppToken = reply.json("app token")?;
        if body.code != 0 {
            return Err(classify(body.code, &body.msg));
        }
        let token = body
            .app_access_token
            .map(AccessToken::new)
            .ok_or_else(|| ProviderError::Malformed("app token: missing".to_owned()))?;
        let until = crate::clock::now() + ttl(body.expire);
        *cached = Some((token.clone(), until));
        tracing::debug!(provider = %self.http.provider(), "feishu app access token renewed");
        Ok(token)
    }

    /// POSTs `body` with the app token; renews it once if it was refused.
    async fn call_with_app_token<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &Url,
        body: Value,
    ) -> Result<T, ProviderError> {
        let mut renew = false;
        loop {
            let token = self.app_token(renew).await?;
            let request = self.http.post(url).bearer_auth(token.secret()).json(&body);
            match envelope::<T>(self.http.send(operation, request).await?) {
                Err(EnvelopeError::Code(code, _)) if app_token_refused(code) && !renew => {
                    renew = true
                }
                Err(EnvelopeError::Code(code, msg)) => return Err(classify(code, &msg)),
                Err(EnvelopeError::Other(e)) => return Err(e),
                Ok(data) => return Ok(data),
            }
        }
    }
}

/// The app access token itself was refused: renew it and try once more.
fn app_token_refused(code: i64) -> bool {
    matches!(code, 99_991_661 | 99_991_663 | 99_991_664 | 99_991_671)
}

/// Seconds as a lifetime, two hours when absent, clamped to a sane range.
fn ttl(seconds: Option<i64>) -> time::Duration {
    time::Duration::seconds(
        seconds
            .unwrap_or(DEFAULT_TTL_SECS)
            .clamp(0, 366 * 24 * 3600),
    )
}

impl Adapter for Feishu {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }
}

#[async_trait]
impl Login for Feishu {
    fn uses_pkce(&self) -> bool {
        false
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let mut url = self.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("app_id", &self.app_id)
            .append_pair("state", request.state);
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        let body = json!({"grant_type": "authorization_code", "code": request.code});
        let token: TokenResponse = self
            .call_with_app_token("exchange", &self.access_token_url, body)
            .await?;
        Ok(token.into_grant(&[], Some(ttl(None))))
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        let Some(refresh) = &grant.refresh_token else {
            return Err(ProviderError::NotSupported);
        };
        let body = json!({"grant_type": "refresh_token", "refresh_token": refresh.secret()});
        let token: TokenResponse = self
            .call_with_app_token("refresh", &self.refresh_url, body)
            .await?;
        Ok(token.into_grant(&[], Some(ttl(None))))
    }

    async fn revoke(&self, _grant: &Grant) -> Result<(), ProviderError> {
        // Feishu v1 has no revocation endpoint; forgetting the tokens is all.
        Ok(())
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        user_info(&self.http, &self.user_info_url, &grant.access_token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_app_token_is_renewed_not_reported() {
        assert!(app_token_refused(99_991_663));
        assert!(
            !app_token_refused(99_991_677),
            "a user token, not the app's"
        );
    }
}
