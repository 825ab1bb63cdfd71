//! Feishu / Lark login v2 (docs/providers.md): the standard engine
//! — PKCE S256, the secret in a JSON body, single-use rotating refresh
//! tokens — plus what is Feishu's own: the authorize page on the accounts
//! host, `offline_access` for a refresh token, numeric error codes read
//! before the RFC ones, and `user_info`.

use super::{DEFAULT_BASE_URL, DEFAULT_TTL_SECS, classify, meaning, user_info};
use crate::{
    Adapter, Grant, Identity, Login, ProviderError, Standard,
    registry::{Check, parse_options},
    scalar_text,
};
use crate::{
    config::ProviderConfig,
    oauth::{Client, ClientAuth},
    upstream::{Http, Reply},
};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// The scope that makes Feishu issue a refresh token.
const OFFLINE_ACCESS: &str = "offline_access";

/// The authorize page takes at most this many scopes.
const MAX_SCOPES: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// The open platform (token and user_info): `https://open.feishu.cn`, or
    /// `https://open.larksuite.com` for Lark.
    base_url: Option<String>,
    /// The authorize page's host; follows `base_url` (Feishu's or Lark's).
    accounts_url: Option<String>,
    /// Ask for `offline_access`, so a sign-in outlives its two-hour access
    /// token; only for apps that enabled refreshing in their security
    /// settings (else the authorize page refuses the scope).
    #[serde(default = "yes")]
    offline_access: bool,
}

fn yes() -> bool {
    true
}

/// The accounts host of the platform `base_url` belongs to.
fn default_accounts_url(base_url: &str) -> &'static str {
    let lark = Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.ends_with("larksuite.com")))
        .unwrap_or(false);
    if lark {
        "https://accounts.larksuite.com"
    } else {
        "https://accounts.feishu.cn"
    }
}

/// The Feishu v2 adapter.
#[derive(Debug)]
pub(super) struct Feishu {
    client: Client,
    user_info_url: Url,
}

impl Feishu {
    /// `p` without its `api` key.
    pub(super) fn new(mut p: ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(&p)?;
        let base = o.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let accounts = match &o.accounts_url {
            Some(url) => url.as_str(),
            None => default_accounts_url(base),
        };
        let mut check = Check::default();
        let authorize = check.at("accounts_url", accounts, "/open-apis/authen/v1/authorize");
        let token = check.at("base_url", base, "/open-apis/authen/v2/oauth/token");
        let user_info_url = check.at("base_url", base, "/open-apis/authen/v1/user_info");
        // Basic user_info needs no scope: only `offline_access` by default.
        let mut scopes = p.scopes.take().unwrap_or_default();
        let offline = scopes.iter().any(|s| s == OFFLINE_ACCESS);
        if o.offline_access && !offline {
            scopes.push(OFFLINE_ACCESS.to_owned());
        } else if !o.offline_access && offline {
            check.problem(format!(
                "scopes: `{OFFLINE_ACCESS}` asks for a refresh token, but offline_access = false"
            ));
        }
        if scopes.len() > MAX_SCOPES {
            check.problem(format!("scopes: Feishu takes at most {MAX_SCOPES}"));
        }
        p.scopes = Some(scopes);
        check.done()?;
        let client = Client::new(&p, http, authorize, token, &[])
            .auth(ClientAuth::Json)
            .default_ttl(time::Duration::seconds(DEFAULT_TTL_SECS))
            .errors(token_error);
        Ok(Self {
            client,
            user_info_url,
        })
    }
}

/// The error fields of a v2 token answer (and of a gateway error).
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<Value>,
    error_description: Option<String>,
    msg: Option<String>,
}

/// Feishu's reading of its token endpoint: the numeric `code` is
/// what its docs tabulate, so a code we know decides, and an HTTP 200 with
/// a non-zero code is an error all the same; anything else is left to the
/// standard reading of the RFC `error` beside it.
fn token_error(reply: &Reply) -> Option<ProviderError> {
    let body: ErrorBody = serde_json::from_slice(&reply.body).ok()?;
    // An int, though one third-party note says a string: both are read.
    let code: i64 = scalar_text(body.code.as_ref()?)?.parse().ok()?;
    if code == 0 {
        return None;
    }
    let text = body.error_description.or(body.msg).unwrap_or_default();
    meaning(code, &text).or_else(|| reply.status.is_success().then(|| classify(code, &text)))
}

impl Adapter for Feishu {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }
}

#[async_trait]
impl Standard for Feishu {
    fn client(&self) -> &Client {
        &self.client
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        user_info(self.client.http(), &self.user_info_url, &grant.access_token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::{StatusCode, header::HeaderMap};

    fn reply(status: StatusCode, body: &str) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn token_errors_are_read_by_their_code() {
        let error = |status, body| token_error(&reply(status, body));
        // A dead refresh token, whatever `error` says beside the code.
        let reused = error(
            StatusCode::BAD_REQUEST,
            r#"{"code":20064,"error":"invalid_request","error_description":"used"}"#,
        );
        assert!(reused.is_some_and(|e| e.is_invalid_grant()));
        for body in [
            r#"{"code":20037,"error":"invalid_grant"}"#,
            r#"{"code":"20073","error":"invalid_grant"}"#,
        ] {
            let e = error(StatusCode::BAD_REQUEST, body);
            assert!(e.is_some_and(|e| e.is_invalid_grant()), "{body}");
        }
        // Outages keep the grant.
        assert!(matches!(
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"code":20050,"error":"server_error"}"#
            ),
            Some(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            error(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"code":99991400,"msg":"too many"}"#
            ),
            Some(ProviderError::RateLimited(None))
        ));
        // An unknown code on a 4xx: the standard reading of `error` decides.
        assert!(
            error(
                StatusCode::BAD_REQUEST,
                r#"{"code":20002,"error":"invalid_client"}"#
            )
            .is_none()
        );
        // A non-zero code on a 200 is an error too.
        match error(
            StatusCode::OK,
            r#"{"code":20074,"msg":"refresh not enabled"}"#,
        ) {
            Some(ProviderError::Rejected { error, description }) => {
                assert_eq!(error, "feishu_20074");
                assert_eq!(description.as_deref(), Some("refresh not enabled"));
            }
            other => panic!("{other:?}"),
        }
        // Successes and bodies that are not Feishu's pass through.
        assert!(error(StatusCode::OK, r#"{"code":0,"access_token":"a"}"#).is_none());
        assert!(error(StatusCode::OK, r#"{"access_token":"a"}"#).is_none());
        assert!(error(StatusCode::BAD_GATEWAY, "<html>").is_none());
    }

    #[test]
    fn lark_accounts_follow_the_base_url() {
        assert_eq!(
            default_accounts_url("https://open.larksuite.com"),
            "https://accounts.larksuite.com"
        );
        assert_eq!(
            default_accounts_url("https://open.feishu.cn/"),
            "https://accounts.feishu.cn"
        );
    }
}
