//! Feishu / Lark login (providers.md §5): what both login generations share —
//! the `{code, msg, data}` envelope, what Feishu's numeric error codes mean to
//! callers, and `user_info` — and the generation each config entry speaks.
//!
//! - `v1`: the historic login with the app-wide `app_access_token` (§5.5–5.6).

mod v1;

use crate::{Adapter, Identity, ProviderError, config::ProviderConfig, is_web_url, upstream::Http};
use keyhole_api::Profile;
use oauth2::AccessToken;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// The open platform's host (Lark: `https://open.larksuite.com`).
const DEFAULT_BASE_URL: &str = "https://open.feishu.cn";

/// User and app tokens live two hours when Feishu does not say.
const DEFAULT_TTL_SECS: i64 = 7200;

/// The adapter for one `kind = "feishu"` entry.
pub(super) fn build(p: &ProviderConfig, http: Http) -> Result<Box<dyn Adapter>, Vec<String>> {
    Ok(Box::new(v1::Feishu::new(p, http)?))
}

/// The envelope of Feishu's Open API answers.
#[derive(Deserialize)]
struct Envelope<T> {
    code: i64,
    #[serde(default)]
    msg: String,
    data: Option<T>,
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

enum EnvelopeError {
    Code(i64, String),
    Other(ProviderError),
}

/// Reads a `{code, msg, data}` answer: a non-zero code is an error whatever
/// the HTTP status says.
fn envelope<T: DeserializeOwned>(reply: crate::upstream::Reply) -> Result<T, EnvelopeError> {
    let status = reply.status;
    match serde_json::from_slice::<Envelope<T>>(&reply.body) {
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

/// `data` of `user_info` (§5.9).
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

/// `GET /open-apis/authen/v1/user_info` with a user access token of either
/// generation: the person's profile.
async fn user_info(http: &Http, url: &Url, token: &AccessToken) -> Result<Identity, ProviderError> {
    let request = http.get(url).bearer_auth(token.secret());
    let reply = http.send("identity", request).await?;
    if reply.status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(ProviderError::Unauthorized);
    }
    let info: UserInfo = envelope(reply).map_err(|e| match e {
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
    }
}
