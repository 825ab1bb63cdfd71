//! The one OAuth 2.0 / OpenID Connect engine: authorize URLs (state, PKCE
//! S256, nonce, extra parameters), the token endpoint with `basic`, `body` or
//! `json` client authentication, lenient token-response parsing, a provider's
//! own error codes read before RFC 6749's, refresh with rotation, RFC 7009
//! revocation, and ID-token checks ([`jwt`]).
//!
//! Our own engine on oauth2-rs's types (secrets, PKCE), not oauth2-rs's
//! client: the providers here need what its client cannot do — a JSON token
//! body (Elice), `expires_in` as a string, token responses that drop
//! standard fields — and every request must take the one upstream path
//! ([`crate::upstream`]) with its body cap, timeouts and metrics.

pub mod jwt;
mod token;

pub use token::{ClientAuth, TokenResponse};

use crate::{
    config::ProviderConfig,
    grant::Grant,
    upstream::{Http, ProviderError, Reply},
};
use oauth2::ClientSecret;
use std::{collections::BTreeMap, fmt};
use url::Url;

/// What a login needs to build the authorize URL.
#[derive(Debug)]
pub struct AuthorizeRequest<'a> {
    /// Opaque CSRF state, echoed by the provider.
    pub state: &'a str,
    /// PKCE S256 challenge, when the adapter uses PKCE.
    pub pkce_challenge: &'a str,
    /// Nonce for ID tokens, when the adapter uses them.
    pub nonce: &'a str,
    /// The one registered redirect URI of this provider instance.
    pub redirect_uri: &'a str,
    /// The person's UI language (BCP 47 primary tag), for providers that
    /// localise their pages.
    pub lang: Option<&'a str>,
}

/// What the callback brought, for the code exchange.
pub struct ExchangeRequest<'a> {
    /// The authorization code (secret).
    pub code: String,
    /// PKCE verifier (secret), when the adapter sent a challenge.
    pub pkce_verifier: Option<String>,
    /// The redirect URI used at authorize time.
    pub redirect_uri: &'a str,
    /// The nonce sent at authorize time (to check in an ID token).
    pub nonce: &'a str,
    /// Other callback parameters (never `code` or `state`).
    pub callback: &'a BTreeMap<String, String>,
}

impl fmt::Debug for ExchangeRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The code and the verifier are secrets.
        f.debug_struct("ExchangeRequest")
            .field("redirect_uri", &self.redirect_uri)
            .field("callback", &self.callback.keys())
            .finish_non_exhaustive()
    }
}

/// A provider's own reading of a token-endpoint answer, before the standard
/// one: `Some` when the answer is an error the provider's codes say more
/// about than RFC 6749's `error` (Feishu's numeric `code`), `None` to let the
/// standard reading decide.
pub type ErrorReader = fn(&Reply) -> Option<ProviderError>;

/// A token endpoint and the client's credentials for it: every request
/// that authenticates as the client (token, refresh, revocation, client
/// credentials) goes through here.
#[derive(Clone)]
pub struct TokenEndpoint {
    url: Url,
    client_id: String,
    secret: ClientSecret,
    auth: ClientAuth,
    errors: Option<ErrorReader>,
    http: Http,
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url.as_str())
            .field("client_id", &self.client_id)
            .field("auth", &self.auth)
            .field("own_errors", &self.errors.is_some())
            .finish_non_exhaustive()
    }
}

impl TokenEndpoint {
    /// Provider `p`'s token endpoint at `url`, authenticating with `auth`.
    pub fn new(p: &ProviderConfig, http: Http, url: Url, auth: ClientAuth) -> Self {
        Self {
            url,
            client_id: p.client_id.clone(),
            secret: p.client_secret.clone(),
            auth,
            errors: None,
            http,
        }
    }

    /// POSTs `params` and parses the token response.
    pub async fn request(
        &self,
        operation: &'static str,
        params: &[(&str, &str)],
    ) -> Result<TokenResponse, ProviderError> {
        self.post(operation, &self.url, params)
            .await?
            .json("token response")
    }

    /// POSTs `params` to `url` (another endpoint of the same client, such as
    /// revocation) with the client's credentials; an error the provider's
    /// [`ErrorReader`] recognises is that error, else a non-2xx answer
    /// becomes the provider's OAuth error, or unavailable.
    pub async fn post(
        &self,
        operation: &'static str,
        url: &Url,
        params: &[(&str, &str)],
    ) -> Result<Reply, ProviderError> {
        let request = token::authenticate(
            self.http
                .post(url)
                .header(reqwest::header::ACCEPT, "application/json"),
            self.auth,
            &self.client_id,
            &self.secret,
            params,
        );
        let reply = self.http.send(operation, request).await?;
        if let Some(e) = self.errors.and_then(|read| read(&reply)) {
            return Err(e);
        }
        token::check(reply)
    }
}

/// A sign-in client at one provider: its token endpoint, authorize page,
/// scopes and habits.
#[derive(Debug)]
pub struct Client {
    token: TokenEndpoint,
    authorize: Url,
    revocation: Option<Url>,
    scopes: Vec<String>,
    separator: String,
    pkce: bool,
    nonce: bool,
    default_ttl: Option<time::Duration>,
}

impl Client {
    /// A client of provider `p` with the standard defaults: HTTP Basic
    /// authentication, PKCE, no nonce, space-separated scopes (the
    /// configured ones, else `default_scopes`), no revocation endpoint.
    pub fn new(
        p: &ProviderConfig,
        http: Http,
        authorize: Url,
        token: Url,
        default_scopes: &[&str],
    ) -> Self {
        Self {
            token: TokenEndpoint::new(p, http, token, ClientAuth::Basic),
            authorize,
            revocation: None,
            scopes: p
                .scopes
                .clone()
                .unwrap_or_else(|| default_scopes.iter().map(|s| (*s).to_owned()).collect()),
            separator: " ".to_owned(),
            pkce: true,
            nonce: false,
            default_ttl: None,
        }
    }

    /// How the client authenticates at the token endpoint.
    pub fn auth(mut self, auth: ClientAuth) -> Self {
        self.token.auth = auth;
        self
    }

    /// The provider's own reading of token-endpoint errors (see
    /// [`ErrorReader`]).
    pub fn errors(mut self, read: ErrorReader) -> Self {
        self.token.errors = Some(read);
        self
    }

    /// Whether authorize requests carry a PKCE S256 challenge.
    pub fn pkce(mut self, pkce: bool) -> Self {
        self.pkce = pkce;
        self
    }

    /// Whether authorize requests carry a nonce (OpenID Connect).
    pub fn nonce(mut self, nonce: bool) -> Self {
        self.nonce = nonce;
        self
    }

    /// The RFC 7009 revocation endpoint.
    pub fn revocation(mut self, url: Option<Url>) -> Self {
        self.revocation = url;
        self
    }

    /// How scopes are joined (`" "` by the RFC, `","` for some providers).
    pub fn separator(mut self, separator: &str) -> Self {
        separator.clone_into(&mut self.separator);
        self
    }

    /// Lifetime assumed when a token response has no `expires_in`.
    pub fn default_ttl(mut self, ttl: time::Duration) -> Self {
        self.default_ttl = Some(ttl);
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.token.client_id
    }

    /// The client secret (the HMAC key of some providers' ID tokens).
    pub fn secret(&self) -> &ClientSecret {
        &self.token.secret
    }

    /// The token endpoint, for requests beyond the standard ones.
    pub fn token_endpoint(&self) -> &TokenEndpoint {
        &self.token
    }

    /// The authorize page, without parameters.
    pub fn authorize_endpoint(&self) -> &Url {
        &self.authorize
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The scopes as the provider wants them written.
    pub fn scope_string(&self) -> String {
        self.scopes.join(&self.separator)
    }

    /// Whether logins send a PKCE challenge.
    pub fn uses_pkce(&self) -> bool {
        self.pkce
    }

    /// The upstream handle of this provider.
    pub fn http(&self) -> &Http {
        &self.token.http
    }

    /// The authorize URL: `response_type=code`, client id, redirect URI,
    /// state, scope, then nonce and PKCE when enabled, then `extra`.
    pub fn authorize_url(&self, request: &AuthorizeRequest<'_>, extra: &[(&str, &str)]) -> Url {
        let mut url = self.authorize.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.client_id())
                .append_pair("redirect_uri", request.redirect_uri)
                .append_pair("state", request.state);
            if !self.scopes.is_empty() {
                q.append_pair("scope", &self.scope_string());
            }
            if self.nonce {
                q.append_pair("nonce", request.nonce);
            }
            if self.pkce {
                q.append_pair("code_challenge", request.pkce_challenge)
                    .append_pair("code_challenge_method", "S256");
            }
            q.extend_pairs(extra);
        }
        url
    }

    /// The authorization-code exchange: code, redirect URI, PKCE verifier.
    pub async fn exchange(
        &self,
        request: &ExchangeRequest<'_>,
    ) -> Result<TokenResponse, ProviderError> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", request.code.as_str()),
            ("redirect_uri", request.redirect_uri),
        ];
        if let Some(v) = request.pkce_verifier.as_deref().filter(|_| self.pkce) {
            params.push(("code_verifier", v));
        }
        self.token.request("exchange", &params).await
    }

    /// A grant from a token response, with this client's defaults for what
    /// the provider left out (scopes, lifetime).
    pub fn grant(&self, response: TokenResponse) -> Grant {
        response.into_grant(&self.scopes, self.default_ttl)
    }

    /// A fresh grant from the refresh token. A provider that rotates sends a
    /// new refresh token; one that does not keeps ours. The claims learnt at
    /// sign-in stay true.
    pub async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        let Some(refresh) = &grant.refresh_token else {
            return Err(ProviderError::NotSupported);
        };
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.secret().as_str()),
        ];
        let response = self.token.request("refresh", &params).await?;
        let mut fresh = response.into_grant(&grant.scopes, self.default_ttl);
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = grant.refresh_token.clone();
        }
        fresh.claims = grant.claims.clone();
        Ok(fresh)
    }

    /// RFC 7009 revocation at the configured endpoint (nothing to do without
    /// one). Revoking the refresh token also ends its access tokens.
    pub async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        let Some(url) = &self.revocation else {
            return Ok(());
        };
        let (token, hint) = match &grant.refresh_token {
            Some(r) => (r.secret().as_str(), "refresh_token"),
            None => (grant.access_token.secret().as_str(), "access_token"),
        };
        let params = [("token", token), ("token_type_hint", hint)];
        self.token.post("revoke", url, &params).await.map(drop)
    }
}
