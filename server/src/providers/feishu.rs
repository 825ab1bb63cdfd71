//! Feishu / Lark login, v1 (`../shared/providers.md` §5): an app-wide
//! `app_access_token` cached and renewed single-flight before it expires, the
//! `{code, msg, data}` envelope whose errors arrive as HTTP 200 with a
//! non-zero `code`, rotating user refresh tokens, and `user_info`.

use super::{
    AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError, endpoint,
    generic::is_web_url, http::transport, parse_options,
};
use crate::config::ProviderConfig;
use async_trait::async_trait;
use keyhole_api::{Capability, Profile, ProviderInfo};
use oauth2::{AccessToken, ClientSecret, RefreshToken};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use url::Url;

const DEFAULT_BASE_URL: &str = "https://open.feishu.cn";

/// Renew the app token this long before it expires (Feishu reissues a new
/// one only when less than 30 minutes remain, so 5 minutes is safe).
const APP_TOKEN_MARGIN: time::Duration = time::Duration::minutes(5);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// `https://open.feishu.cn`, or `https://open.larksuite.com` for Lark.
    base_url: Option<String>,
}

/// The Feishu adapter.
#[derive(Debug)]
pub(super) struct Feishu {
    info: ProviderInfo,
    app_id: String,
    app_secret: ClientSecret,
    authorize_url: Url,
    app_token_url: Url,
    access_token_url: Url,
    refresh_url: Url,
    user_info_url: Url,
    app_token: Mutex<Option<(AccessToken, OffsetDateTime)>>,
    http: reqwest::Client,
}

/// The v1 envelope.
#[derive(Deserialize)]
struct Envelope<T> {
    code: i64,
    #[serde(default)]
    msg: String,
    data: Option<T>,
}

#[derive(Deserialize)]
struct AppToken {
    code: i64,
    #[serde(default)]
    msg: String,
    app_access_token: Option<String>,
    expire: Option<i64>,
}

#[derive(Deserialize)]
struct UserToken {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct UserInfo {
    open_id: String,
    name: Option<String>,
    en_name: Option<String>,
    avatar_url: Option<String>,
    email: Option<String>,
    union_id: Option<String>,
    tenant_key: Option<String>,
}

/// How a non-zero `code` is handled.
fn classify(code: i64, msg: &str) -> ProviderError {
    match code {
        // Code unknown / expired / used; refresh token invalid, expired,
        // revoked or reused: the person must sign in again.
        20003 | 20004 | 20065 | 20026 | 20037 | 20064 | 20073 => ProviderError::Rejected {
            error: "invalid_grant".to_owned(),
            description: Some(format!("feishu {code}: {msg}")),
        },
        // The user access token is invalid or expired: refresh and retry.
        99_991_668 | 99_991_677 => ProviderError::Unauthorized,
        // Server errors and "temporarily unavailable".
        20050 | 20072 => ProviderError::Unavailable(format!("feishu {code}")),
        _ => ProviderError::Rejected {
            error: format!("feishu_{code}"),
            description: Some(msg.to_owned()),
        },
    }
}

/// The app access token itself was refused: renew it and try once more.
fn app_token_refused(code: i64) -> bool {
    matches!(code, 99_991_661 | 99_991_663 | 99_991_664 | 99_991_671)
}

impl Feishu {
    pub(super) fn new(p: &ProviderConfig, http: reqwest::Client) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let base = o
            .base_url
            .as_deref()
            .unwrap_or(DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_owned();
        let mut problems = Vec::new();
        let mut url = |path: &str| {
            endpoint("base_url", &format!("{base}{path}"))
                .map_err(|e| problems.push(e))
                .ok()
        };
        let urls = (
            url("/open-apis/authen/v1/index"),
            url("/open-apis/auth/v3/app_access_token/internal"),
            url("/open-apis/authen/v1/access_token"),
            url("/open-apis/authen/v1/refresh_access_token"),
            url("/open-apis/authen/v1/user_info"),
        );
        let (Some(authorize), Some(app_token), Some(access), Some(refresh), Some(user_info)) = urls
        else {
            problems.dedup();
            return Err(problems);
        };
        Ok(Self {
            info: ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                capabilities: vec![Capability::Login, Capability::Profile],
                sends_via: None,
            },
            app_id: p.client_id.clone(),
            app_secret: p.client_secret.clone(),
            authorize_url: authorize,
            app_token_url: app_token,
            access_token_url: access,
            refresh_url: refresh,
            user_info_url: user_info,
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
        let response = self
            .http
            .post(self.app_token_url.clone())
            .json(&json!({"app_id": self.app_id, "app_secret": self.app_secret.secret()}))
            .send()
            .await
            .map_err(|e| transport(&e))?;
        if response.status().is_server_error() {
            return Err(ProviderError::Unavailable(format!(
                "app token: HTTP {}",
                response.status()
            )));
        }
        let body: AppToken = response
            .json()
            .await
            .map_err(|_| ProviderError::Malformed("app token: not JSON".to_owned()))?;
        if body.code != 0 {
            return Err(classify(body.code, &body.msg));
        }
        let token = body
            .app_access_token
            .map(AccessToken::new)
            .ok_or_else(|| ProviderError::Malformed("app token: missing".to_owned()))?;
        let until = crate::clock::now() + time::Duration::seconds(body.expire.unwrap_or(7200));
        *cached = Some((token.clone(), until));
        tracing::debug!(provider = %self.info.id, "feishu app access token renewed");
        Ok(token)
    }

    /// POSTs `body` with the app token; renews it once if it was refused.
    async fn call_with_app_token<T: DeserializeOwned>(
        &self,
        url: &Url,
        body: Value,
    ) -> Result<T, ProviderError> {
        let mut renew = false;
        loop {
            let token = self.app_token(renew).await?;
            let response = self
                .http
                .post(url.clone())
                .bearer_auth(token.secret())
                .json(&body)
                .send()
                .await
                .map_err(|e| transport(&e))?;
            match envelope::<T>(response).await {
                Err(EnvelopeError::Code(code, _)) if app_token_refused(code) && !renew => {
                    renew = true
                }
                Err(EnvelopeError::Code(code, msg)) => return Err(classify(code, &msg)),
                Err(EnvelopeError::Other(e)) => return Err(e),
                Ok(data) => return Ok(data),
            }
        }
    }

    fn grant(&self, t: UserToken) -> Grant {
        Grant {
            access_token: AccessToken::new(t.access_token),
            refresh_token: t
                .refresh_token
                .filter(|r| !r.is_empty())
                .map(RefreshToken::new),
            expires_at: Some(
                crate::clock::now() + time::Duration::seconds(t.expires_in.unwrap_or(7200)),
            ),
            scopes: Vec::new(),
            claims: BTreeMap::new(),
        }
    }
}

enum EnvelopeError {
    Code(i64, String),
    Other(ProviderError),
}

/// Reads a `{code, msg, data}` answer: a non-zero code is an error whatever
/// the HTTP status says.
async fn envelope<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, EnvelopeError> {
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| EnvelopeError::Other(transport(&e)))?;
    match serde_json::from_slice::<Envelope<T>>(&bytes) {
        Ok(e) if e.code != 0 => Err(EnvelopeError::Code(e.code, e.msg)),
        Ok(Envelope {
            data: Some(data), ..
        }) if status.is_success() => Ok(data),
        Ok(_) | Err(_) if status.is_server_error() => Err(EnvelopeError::Other(
            ProviderError::Unavailable(format!("HTTP {status}")),
        )),
        Ok(_) => Err(EnvelopeError::Other(ProviderError::Malformed(
            "envelope without data".to_owned(),
        ))),
        Err(_) => Err(EnvelopeError::Other(ProviderError::Malformed(
            "not a Feishu envelope".to_owned(),
        ))),
    }
}

#[async_trait]
impl Provider for Feishu {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

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
        let token: UserToken = self
            .call_with_app_token(
                &self.access_token_url,
                json!({"grant_type": "authorization_code", "code": request.code}),
            )
            .await?;
        Ok(self.grant(token))
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        let Some(refresh) = &grant.refresh_token else {
            return Err(ProviderError::NotSupported);
        };
        let token: UserToken = self
            .call_with_app_token(
                &self.refresh_url,
                json!({"grant_type": "refresh_token", "refresh_token": refresh.secret()}),
            )
            .await?;
        Ok(self.grant(token))
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let response = self
            .http
            .get(self.user_info_url.clone())
            .bearer_auth(grant.access_token.secret())
            .send()
            .await
            .map_err(|e| transport(&e))?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(ProviderError::Unauthorized);
        }
        let info: UserInfo = envelope(response).await.map_err(|e| match e {
            EnvelopeError::Code(code, msg) => classify(code, &msg),
            EnvelopeError::Other(e) => e,
        })?;
        let mut extra = BTreeMap::new();
        for (key, value) in [
            ("en_name", info.en_name),
            ("union_id", info.union_id),
            ("tenant_key", info.tenant_key),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                extra.insert(key.to_owned(), Value::String(v));
            }
        }
        Ok(Identity {
            profile: Profile {
                display_name: info
                    .name
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| info.open_id.clone()),
                id: info.open_id,
                email: info.email.filter(|e| !e.is_empty()),
                avatar_url: info.avatar_url.filter(|u| is_web_url(u)),
                locale: None,
                extra,
            },
            balance: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_codes_map_to_what_callers_branch_on() {
        assert!(classify(20064, "refresh token revoked").is_invalid_grant());
        assert!(classify(20003, "code not found").is_invalid_grant());
        assert!(matches!(
            classify(99_991_677, "expired"),
            ProviderError::Unauthorized
        ));
        assert!(matches!(
            classify(20050, "system error"),
            ProviderError::Unavailable(_)
        ));
        match classify(20008, "user not exist") {
            ProviderError::Rejected { error, description } => {
                assert_eq!(error, "feishu_20008");
                assert_eq!(description.as_deref(), Some("user not exist"));
            }
            other => panic!("{other:?}"),
        }
        assert!(app_token_refused(99_991_663));
    }
}
