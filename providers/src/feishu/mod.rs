//! Feishu / Lark login (docs/providers.md): what both login generations share —
//! the `{code, msg, data}` envelope, what Feishu's numeric error codes mean to
//! callers, and `user_info` — and the generation each config entry speaks
//! (`api = "v2"`, the default, or `"v1"`).
//!
//! - `v2`: the current OAuth flow on the standard engine.
//! - `v1`: the historic login with the app-wide `app_access_token`.

mod v1;
mod v2;

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

/// The adapter for one `kind = "feishu"` entry: `api` picks the generation,
/// which checks the other keys.
pub(super) fn build(p: &ProviderConfig, http: Http) -> Result<Box<dyn Adapter>, Vec<String>> {
    let mut p = p.clone();
    let api = p.options.remove("api");
    Ok(match api.as_ref().map(toml::Value::as_str) {
        None | Some(Some("v2")) => Box::new(v2::Feishu::new(p, http)?),
        Some(Some("v1")) => Box::new(v1::Feishu::new(&p, http)?),
        Some(_) => {
            let api = api.map(|a| a.to_string()).unwrap_or_default();
            return Err(vec![format!(
                "api: {api} is not a Feishu login API: \"v2\" (the default) or \"v1\""
            )]);
        }
    })
}

/// The envelope of Feishu's Open API answers.
#[derive(Deserialize)]
struct Envelope<T> {
    code: i64,
    #[serde(default)]
    msg: String,
    data: Option<T>,
}

/// What a Feishu error code means to callers beyond "refused", where it
/// means more; both generations share the numbers (the table in docs/providers.md).
fn meaning(code: i64, msg: &str) -> Option<ProviderError> {
    Some(match code {
        // Code unknown, expired, used or another app's; PKCE or redirect URI
        // mismatch; refresh token invalid, expired, revoked or reused: the
        // grant is dead and the person must sign in again.
        20003 | 20004 | 20024 | 20026 | 20037 | 20049 | 20064 | 20065 | 20071 | 20073 => {
            ProviderError::Rejected {
                error: "invalid_grant".to_owned(),
                description: Some(format!("feishu {code}: {msg}")),
            }
        }
        // The user access token is invalid or expired: refresh and retry.
        99_991_668 | 99_991_677 => ProviderError::Unauthorized,
        // Server errors and "temporarily unavailable": the grant is kept.
        20050 | 20072 => ProviderError::Unavailable(format!("feishu {code}")),
        // Feishu's rate limit: try later, the grant is kept.
        99_991_400 => ProviderError::RateLimited(None),
        _ => return None,
    })
}

/// A non-zero `code` as an error: its [`meaning`], else refused with it.
fn classify(code: i64, msg: &str) -> ProviderError {
    meaning(code, msg).unwrap_or_else(|| ProviderError::Rejected {
        error: format!("feishu_{code}"),
        description: Some(msg.to_owned()),
    })
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

/// `data` of `user_info`.
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
    use crate::{
        AuthorizeRequest,
        config::UpstreamConfig,
        upstream::{Upstream, UpstreamMetrics},
    };
    use std::time::Duration;

    /// The adapter of a `kind = "feishu"` entry with these kind options.
    fn adapter(options: &str, scopes: Option<&[&str]>) -> Result<Box<dyn Adapter>, Vec<String>> {
        let second = Duration::from_secs(1);
        let upstream = Upstream::new(
            &UpstreamConfig {
                connect_timeout: second,
                timeout: second,
            },
            UpstreamMetrics::default(),
        )
        .unwrap();
        let p = ProviderConfig {
            id: "feishu".to_owned(),
            kind: "feishu".to_owned(),
            name: "Feishu".to_owned(),
            client_id: "cli_a1b2c3d4e5f60718".to_owned(),
            client_secret: oauth2::ClientSecret::new("s".to_owned()),
            scopes: scopes.map(|s| s.iter().map(|s| (*s).to_owned()).collect()),
            options: toml::from_str(options).unwrap(),
        };
        build(&p, upstream.for_provider("feishu"))
    }

    async fn authorize_url(adapter: &dyn Adapter) -> Url {
        let request = AuthorizeRequest {
            state: "st",
            pkce_challenge: "ch",
            nonce: "n",
            redirect_uri: "https://app.example/api/auth/feishu/callback",
            lang: None,
        };
        adapter
            .login()
            .unwrap()
            .authorize_url(&request)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn v2_is_the_default_and_authorizes_on_the_accounts_host_with_pkce() {
        for options in ["", "api = \"v2\""] {
            let url = authorize_url(&*adapter(options, None).unwrap()).await;
            assert_eq!(
                url.as_str().split('?').next(),
                Some("https://accounts.feishu.cn/open-apis/authen/v1/authorize"),
                "{options}"
            );
            let q: BTreeMap<_, _> = url.query_pairs().into_owned().collect();
            assert_eq!(q["client_id"], "cli_a1b2c3d4e5f60718");
            assert_eq!(q["response_type"], "code");
            assert_eq!(q["scope"], "offline_access");
            assert_eq!(q["code_challenge"], "ch");
            assert_eq!(q["code_challenge_method"], "S256");
            assert_eq!(q["state"], "st");
        }
        // Lark's open platform, Lark's accounts host; configured scopes are
        // kept, `offline_access` added once.
        let lark = adapter(
            "base_url = \"https://open.larksuite.com\"",
            Some(&["contact:user.email:readonly"]),
        )
        .unwrap();
        let url = authorize_url(&*lark).await;
        assert_eq!(url.host_str(), Some("accounts.larksuite.com"));
        let q: BTreeMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["scope"], "contact:user.email:readonly offline_access");
        // Without refresh: no offline_access.
        let url = authorize_url(&*adapter("offline_access = false", None).unwrap()).await;
        assert!(!url.as_str().contains("scope="), "{url}");
    }

    #[tokio::test]
    async fn v1_stays_for_existing_apps() {
        let v1 = adapter("api = \"v1\"", None).unwrap();
        assert!(!v1.login().unwrap().uses_pkce());
        let url = authorize_url(&*v1).await;
        assert_eq!(url.path(), "/open-apis/authen/v1/index");
        assert!(url.query_pairs().any(|(k, _)| k == "app_id"));
    }

    #[test]
    fn bad_api_values_and_contradictions_are_clear_config_errors() {
        let problems = |options: &str, scopes| adapter(options, scopes).err().unwrap();
        assert_eq!(
            problems("api = \"v3\"", None),
            ["api: \"v3\" is not a Feishu login API: \"v2\" (the default) or \"v1\""]
        );
        assert!(problems("api = 2", None)[0].starts_with("api: 2 is not"));
        // v2's keys are not v1's.
        assert!(
            problems("api = \"v1\"\naccounts_url = \"https://x.example\"", None)[0]
                .contains("accounts_url")
        );
        assert_eq!(
            problems("offline_access = false", Some(&["offline_access"])),
            ["scopes: `offline_access` asks for a refresh token, but offline_access = false"]
        );
    }

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
        assert!(matches!(
            classify(99_991_400, "rate limited"),
            ProviderError::RateLimited(None)
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
