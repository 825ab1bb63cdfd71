//! LINE Login v2.1 (docs/providers.md): the standard engine with PKCE S256,
//! a nonce and the secret in the body, plus what is LINE's own: an ID token
//! verified locally (HS256 with the channel secret for web logins, ES256
//! through the JWKS for native ones), `bot_prompt` and the friendship
//! result, `/v2/profile`, friendship status, and its revoke endpoint.

use crate::{
    Adapter, Friends, Grant, Identity, Login, ProviderError, Standard, is_web_url,
    registry::{Check, parse_options},
};
use crate::{
    config::ProviderConfig,
    oauth::{
        AuthorizeRequest, Client, ClientAuth, ExchangeRequest, TokenResponse,
        jwt::{self, Jwks},
    },
    upstream::Http,
};
use async_trait::async_trait;
use keyhole_api::Profile;
use oauth2::AccessToken;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

const AUTH_BASE: &str = "https://access.line.me";
const API_BASE: &str = "https://api.line.me";
const ISSUER: &str = "https://access.line.me";

/// ID-token claims kept with the grant.
const KEPT_CLAIMS: [&str; 5] = ["sub", "name", "picture", "email", "amr"];

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
    client: Client,
    issuer: String,
    bot_prompt: Option<String>,
    add_friend_url: Option<Url>,
    revoke_url: Url,
    profile_url: Url,
    friendship_url: Url,
    jwks: Jwks,
}

impl LineLogin {
    pub(super) fn new(p: &ProviderConfig, http: Http) -> Result<Self, Vec<String>> {
        let o: Options = parse_options(p)?;
        let mut check = Check::default();
        let auth = o.auth_base.as_deref().unwrap_or(AUTH_BASE);
        let api = o.api_base.as_deref().unwrap_or(API_BASE);
        let authorize = check.at("auth_base", auth, "/oauth2/v2.1/authorize");
        let token = check.at("api_base", api, "/oauth2/v2.1/token");
        let revoke_url = check.at("api_base", api, "/oauth2/v2.1/revoke");
        let profile_url = check.at("api_base", api, "/v2/profile");
        let friendship_url = check.at("api_base", api, "/friendship/v1/status");
        let certs = check.at("api_base", api, "/oauth2/v2.1/certs");
        let add_friend_url = o.add_friend_url.map(|v| check.url("add_friend_url", &v));
        if let Some(b) = o
            .bot_prompt
            .as_deref()
            .filter(|b| !matches!(*b, "normal" | "aggressive"))
        {
            check.problem(format!("bot_prompt: `{b}` must be normal or aggressive"));
        }
        let client = Client::new(
            p,
            http.clone(),
            authorize,
            token,
            &["profile", "openid", "email"],
        )
        .auth(ClientAuth::Body)
        .nonce(true);
        if !client.scopes().iter().any(|s| s == "openid") {
            check.problem(
                "scopes: LINE Login needs `openid` (the ID token proves the login)".to_owned(),
            );
        }
        check.done()?;
        Ok(Self {
            client,
            issuer: o.issuer.unwrap_or_else(|| ISSUER.to_owned()),
            bot_prompt: o.bot_prompt,
            add_friend_url,
            revoke_url,
            profile_url,
            friendship_url,
            jwks: Jwks::new(certs, http),
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

impl Adapter for LineLogin {
    fn login(&self) -> Option<&dyn Login> {
        Some(self)
    }

    fn friends(&self) -> Option<&dyn Friends> {
        // Only with an official account to befriend.
        (self.bot_prompt.is_some() || self.add_friend_url.is_some()).then_some(self)
    }
}

#[async_trait]
impl Standard for LineLogin {
    fn client(&self) -> &Client {
        &self.client
    }

    fn authorize_extra<'a>(&'a self, request: &AuthorizeRequest<'a>) -> Vec<(&'a str, &'a str)> {
        let mut extra = Vec::new();
        if let Some(b) = &self.bot_prompt {
            extra.push(("bot_prompt", b.as_str()));
        }
        if let Some(lang) = request.lang {
            extra.push(("ui_locales", lang));
        }
        extra
    }

    async fn finish(
        &self,
        response: TokenResponse,
        request: &ExchangeRequest<'_>,
    ) -> Result<Grant, ProviderError> {
        let claims = jwt::verify_response(
            &response,
            &jwt::Expect {
                issuer: &self.issuer,
                audience: self.client.client_id(),
                nonce: request.nonce,
                hmac_secret: Some(self.client.secret().secret().as_bytes()),
                jwks: Some(&self.jwks),
            },
        )
        .await?;
        let mut grant = self.client.grant(response);
        for key in KEPT_CLAIMS {
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

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        // LINE's revoke takes the access token under its own name, not RFC
        // 7009's `token`; the refresh token dies with it.
        let params = [("access_token", grant.access_token.secret().as_str())];
        self.client
            .token_endpoint()
            .post("revoke", &self.revoke_url, &params)
            .await
            .map(drop)
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        let p: LineProfile = self
            .client
            .http()
            .get_json("identity", &self.profile_url, &grant.access_token)
            .await?;
        same_person(&grant.claims, &p.user_id)?;
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
                avatar_url: p.picture_url.filter(|u| is_web_url(u)),
                locale: None,
                extra,
            },
            balance: None,
        })
    }
}

#[async_trait]
impl Friends for LineLogin {
    async fn is_friend(&self, token: &AccessToken) -> Result<bool, ProviderError> {
        let flag: FriendFlag = self
            .client
            .http()
            .get_json("friendship", &self.friendship_url, token)
            .await?;
        Ok(flag.friend_flag)
    }

    fn add_friend_url(&self) -> Option<Url> {
        self.add_friend_url.clone()
    }
}

/// The profile must be the person the ID token named: a `userId` other
/// than its `sub` means a token of someone else.
fn same_person(claims: &BTreeMap<String, Value>, user_id: &str) -> Result<(), ProviderError> {
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if sub != user_id => Err(ProviderError::Malformed(
            "profile: userId is not the ID token's sub".to_owned(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_must_be_the_id_tokens_subject() {
        let claims: BTreeMap<String, Value> = [("sub".to_owned(), Value::from("U1"))]
            .into_iter()
            .collect();
        assert!(same_person(&claims, "U1").is_ok());
        assert!(matches!(
            same_person(&claims, "U2"),
            Err(ProviderError::Malformed(_))
        ));
        assert!(same_person(&BTreeMap::new(), "U2").is_ok(), "no sub kept");
    }
}
