//! LINE Login v2.1 (`../shared/providers.md` §1): PKCE S256, nonce, an ID
//! token verified locally (HS256 with the channel secret for web logins,
//! ES256 through the JWKS for native ones), `bot_prompt` and the friendship
//! result, `/v2/profile`, friendship status, refresh (not rotated), revoke.

use super::{
    AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError, endpoint, http,
    jwt::{self, Jwks},
    parse_options,
    token::{ClientAuth, TokenEndpoint},
};
use crate::config::ProviderConfig;
use async_trait::async_trait;
use keyhole_api::{Capability, Profile, ProviderInfo};
use oauth2::{AccessToken, ClientSecret};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

const AUTH_BASE: &str = "https://access.line.me";
const API_BASE: &str = "https://api.line.me";
const ISSUER: &str = "https://access.line.me";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Host of the authorize page (default `https://access.line.me`).
    auth_base: Option<String>,
    /// Host of the APIs (default `https://api.line.me`).
    api_base: Option<String>,
    /// Expected `iss` of ID tokens.
    issuer: Option<String>,
    /// Offer the linked official account as a friend: `normal` or `aggressive`.
    bot_prompt: Option<String>,
    /// The official account's add-friend link, shown when not a friend.
    add_friend_url: Option<String>,
}

/// The LINE Login adapter.
#[derive(Debug)]
pub(super) struct LineLogin {
    info: ProviderInfo,
    client_id: String,
    secret: ClientSecret,
    scopes: Vec<String>,
    issuer: String,
    bot_prompt: Option<String>,
    add_friend_url: Option<Url>,
    authorize_url: Url,
    token: TokenEndpoint,
    revoke_url: Url,
    profile_url: Url,
    friendship_url: Url,
    jwks: Jwks,
    http: reqwest::Client,
}

impl LineLogin {
    pub(super) fn new(p: &ProviderConfig, http: reqwest::Client) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut problems = Vec::new();
        let auth = o
            .auth_base
            .as_deref()
            .unwrap_or(AUTH_BASE)
            .trim_end_matches('/')
            .to_owned();
        let api = o
            .api_base
            .as_deref()
            .unwrap_or(API_BASE)
            .trim_end_matches('/')
            .to_owned();
        let mut url =
            |key: &str, value: String| endpoint(key, &value).map_err(|e| problems.push(e)).ok();
        let authorize = url("auth_base", format!("{auth}/oauth2/v2.1/authorize"));
        let token = url("api_base", format!("{api}/oauth2/v2.1/token"));
        let revoke = url("api_base", format!("{api}/oauth2/v2.1/revoke"));
        let profile = url("api_base", format!("{api}/v2/profile"));
        let friendship = url("api_base", format!("{api}/friendship/v1/status"));
        let certs = url("api_base", format!("{api}/oauth2/v2.1/certs"));
        let add_friend = o.add_friend_url.map(|v| url("add_friend_url", v));
        if let Some(b) = o
            .bot_prompt
            .as_deref()
            .filter(|b| !matches!(*b, "normal" | "aggressive"))
        {
            problems.push(format!("bot_prompt: `{b}` must be normal or aggressive"));
        }
        let scopes = p
            .scopes
            .clone()
            .unwrap_or_else(|| vec!["profile".into(), "openid".into(), "email".into()]);
        if !scopes.iter().any(|s| s == "openid") {
            problems.push(
                "scopes: LINE Login needs `openid` (the ID token proves the login)".to_owned(),
            );
        }
        let (
            Some(authorize),
            Some(token),
            Some(revoke),
            Some(profile),
            Some(friendship),
            Some(certs),
        ) = (authorize, token, revoke, profile, friendship, certs)
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut capabilities = vec![Capability::Login, Capability::Profile];
        if o.bot_prompt.is_some() || add_friend.is_some() {
            capabilities.push(Capability::Friendship);
        }
        Ok(Self {
            info: ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.clone(),
                capabilities,
                sends_via: None,
            },
            client_id: p.client_id.clone(),
            secret: p.client_secret.clone(),
            scopes,
            issuer: o.issuer.unwrap_or_else(|| ISSUER.to_owned()),
            bot_prompt: o.bot_prompt,
            add_friend_url: add_friend.flatten(),
            authorize_url: authorize,
            token: TokenEndpoint {
                url: token,
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
                auth: ClientAuth::Body,
                http: http.clone(),
            },
            revoke_url: revoke,
            profile_url: profile,
            friendship_url: friendship,
            jwks: Jwks::new(certs, http.clone()),
            http,
        })
    }
}

/// `GET /v2/profile`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineProfile {
    user_id: String,
    display_name: String,
    picture_url: Option<String>,
    status_message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FriendFlag {
    friend_flag: bool,
}

#[async_trait]
impl Provider for LineLogin {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        let mut url = self.authorize_url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", request.redirect_uri)
                .append_pair("state", request.state)
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("nonce", request.nonce)
                .append_pair("code_challenge", request.pkce_challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(b) = &self.bot_prompt {
                q.append_pair("bot_prompt", b);
            }
            if let Some(lang) = request.lang {
                q.append_pair("ui_locales", lang);
            }
        }
        Ok(url)
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", request.code.as_str()),
            ("redirect_uri", request.redirect_uri),
        ];
        if let Some(v) = request.pkce_verifier.as_deref() {
            params.push(("code_verifier", v));
        }
        let response = self.token.request(&params).await?;
        let id_token = response
            .id_token
            .clone()
            .ok_or_else(|| ProviderError::Malformed("token response: no id_token".to_owned()))?;
        let claims = jwt::verify(
            &id_token,
            &jwt::Expect {
                issuer: &self.issuer,
                audience: &self.client_id,
                nonce: request.nonce,
                hmac_secret: Some(self.secret.secret().as_bytes()),
                jwks: Some(&self.jwks),
            },
        )
        .await?;
        let mut grant = response.into_grant(&self.scopes, None);
        for key in ["sub", "name", "picture", "email", "amr"] {
            if let Some(v) = claims.get(key) {
                grant.claims.insert(key.to_owned(), v.clone());
            }
        }
        if let Some(changed) = request.callback.get("friendship_status_changed") {
            grant.claims.insert(
                "friendship_status_changed".to_owned(),
                Value::Bool(changed == "true"),
            );
        }
        Ok(grant)
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        let Some(refresh) = &grant.refresh_token else {
            return Err(ProviderError::NotSupported);
        };
        let mut fresh = self
            .token
            .request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.secret()),
            ])
            .await?
            .into_grant(&grant.scopes, None);
        // LINE returns the same refresh token; keep ours if it sends none.
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = grant.refresh_token.clone();
        }
        // What the ID token told us at sign-in stays true.
        fresh.claims = grant.claims.clone();
        Ok(fresh)
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let p: LineProfile = http::get_json(
            &self.http,
            &self.profile_url,
            &grant.access_token,
            "profile",
        )
        .await?;
        let mut extra = BTreeMap::new();
        if let Some(s) = p.status_message {
            extra.insert("status_message".to_owned(), Value::String(s));
        }
        if let Some(v) = grant.claims.get("friendship_status_changed") {
            extra.insert("friendship_status_changed".to_owned(), v.clone());
        }
        Ok(Identity {
            profile: Profile {
                id: p.user_id,
                display_name: p.display_name,
                // Email only ever comes from the verified ID token.
                email: grant
                    .claims
                    .get("email")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                avatar_url: p.picture_url.filter(|u| super::generic::is_web_url(u)),
                locale: None,
                extra,
            },
            balance: None,
        })
    }

    async fn friendship(&self, token: &AccessToken) -> Result<bool, ProviderError> {
        let flag: FriendFlag =
            http::get_json(&self.http, &self.friendship_url, token, "friendship").await?;
        Ok(flag.friend_flag)
    }

    fn add_friend_url(&self) -> Option<Url> {
        self.add_friend_url.clone()
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        let revoker = TokenEndpoint {
            url: self.revoke_url.clone(),
            ..self.token.clone()
        };
        revoker
            .send_only(&[("access_token", grant.access_token.secret())])
            .await
    }
}
