//! OAuth 2.0 pieces every dialect shares: random values, PKCE, redirects, error shapes.

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

use crate::consent;

/// `bytes` random bytes as unpadded base64url: fine for codes and tokens.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    base64url(buffer)
}

/// Unpadded base64url, the encoding of tokens, PKCE and JWT segments.
pub(crate) fn base64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWS-shaped token (`header.payload.signature`) whose signature is random:
/// the simulator looks tokens up, and clients must treat them as opaque.
pub(crate) fn jws_shaped(header: &str, claims: &Value, signature_bytes: usize) -> String {
    let (header, payload) = (base64url(header), base64url(claims.to_string()));
    format!("{header}.{payload}.{}", random_token(signature_bytes))
}

/// Constant-time comparison of two secrets. A simulator is no attack target, but
/// it is also a reference for how the real check should look.
pub(crate) fn secrets_match(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// The S256 challenge for a verifier (RFC 7636 §4.2).
pub(crate) fn pkce_s256(verifier: &str) -> String {
    base64url(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 characters from `[A-Za-z0-9-._~]`.
pub(crate) fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte))
}

/// An S256 challenge is the base64url of 32 bytes: exactly 43 characters.
pub(crate) fn is_valid_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Why a token request failed its code's PKCE check (RFC 7636 §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PkceFailure {
    /// A verifier for a code without a challenge: a downgrade attempt
    /// (RFC 9700 §2.1.1), not something to ignore.
    Unexpected,
    Missing,
    Mismatch,
}

impl PkceFailure {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Unexpected => {
                "code_verifier sent, but the authorization request had no code_challenge"
            }
            Self::Missing => "missing code_verifier",
            Self::Mismatch => "code_verifier does not match code_challenge",
        }
    }
}

/// Checks a token request's `verifier` against its code's `challenge`, which
/// is S256 when the flag says so and `plain` otherwise.
pub(crate) fn check_pkce(
    challenge: Option<(&str, bool)>,
    verifier: Option<&str>,
) -> Result<(), PkceFailure> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(PkceFailure::Unexpected),
        (Some(_), None) => Err(PkceFailure::Missing),
        (Some((challenge, s256)), Some(verifier)) => {
            let computed = if s256 {
                pkce_s256(verifier)
            } else {
                verifier.to_owned()
            };
            if is_valid_verifier(verifier) && secrets_match(challenge, &computed) {
                Ok(())
            } else {
                Err(PkceFailure::Mismatch)
            }
        }
    }
}

/// 302 to `redirect_uri` with `params` added to its query.
pub(crate) fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        // Registration validates URIs, so this is a broken registration, not a user error.
        return consent::error_page(
            "Broken client registration",
            "The client's registered redirect URI is not an absolute URL.",
        );
    };
    url.query_pairs_mut().extend_pairs(params);
    let Ok(location) = HeaderValue::from_str(url.as_str()) else {
        return consent::error_page("Broken redirect", "The redirect URI cannot be sent.");
    };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// A token-endpoint error (RFC 6749 §5.2): `{"error", "error_description"}`.
#[derive(Debug)]
pub(crate) struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl TokenError {
    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::invalid_request(format!("missing parameter: {param}"))
    }

    pub(crate) fn invalid_client() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    }

    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub(crate) fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    pub(crate) fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("unsupported grant_type: {grant_type}"),
        )
    }

    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.error,
            error_description: &self.description,
        };
        (self.status, no_store_headers(), Json(body)).into_response()
    }
}

/// RFC 6749 §5.1: token responses must not be cached.
pub(crate) fn no_store_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// RFC 6750 §3: 401 with a `WWW-Authenticate` challenge and a JSON body.
pub(crate) fn invalid_token(description: &str) -> Response {
    let body = ErrorBody {
        error: "invalid_token",
        error_description: description,
    };
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="invalid_token""#),
        )],
        Json(body),
    )
        .into_response()
}

/// Adds a `Set-Cookie` to `response` (none if the value cannot be a header).
pub(crate) fn set_cookie(response: &mut Response, cookie: String) {
    if let Ok(cookie) = HeaderValue::try_from(cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A dialect's scopes as a `Copy` struct of flags, one per scope name (with
/// the consent page's words for it), in the order its responses list them:
/// `parse` (a space-separated list; `Err` is the first unknown name),
/// `contains`, `union`, `permissions`, and `Display` as a list.
macro_rules! scope_set {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        $($field:ident = $wire:literal => $words:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        $vis struct $name {
            $($vis $field: bool,)+
        }

        impl $name {
            $vis fn parse(raw: &str) -> Result<Self, String> {
                let mut scopes = Self::default();
                for scope in raw.split(' ').filter(|scope| !scope.is_empty()) {
                    match scope {
                        $($wire => scopes.$field = true,)+
                        unknown => return Err(unknown.to_owned()),
                    }
                }
                Ok(scopes)
            }

            $vis fn contains(self, other: Self) -> bool {
                true $(&& (self.$field || !other.$field))+
            }

            #[allow(dead_code, reason = "not every dialect merges scopes")]
            $vis fn union(self, other: Self) -> Self {
                Self { $($field: self.$field || other.$field,)+ }
            }

            /// What the consent page lists for these scopes.
            $vis fn permissions(self) -> Vec<&'static str> {
                let words = [$((self.$field, $words)),+].into_iter();
                words.filter_map(|(granted, words)| granted.then_some(words)).collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&crate::oauth::scope_string(&[$((self.$field, $wire)),+]))
            }
        }
    };
}
pub(crate) use scope_set;

/// The names whose flag is set, space-separated in the given order: how a
/// dialect writes a set of granted scopes.
pub(crate) fn scope_string(flags: &[(bool, &'static str)]) -> String {
    let granted: Vec<&str> = flags
        .iter()
        .filter(|(granted, _)| *granted)
        .map(|(_, name)| *name)
        .collect();
    granted.join(" ")
}

/// A required query or form value; `Err` names the missing parameter.
pub(crate) fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, TokenError> {
    non_empty(value).ok_or_else(|| TokenError::missing(name))
}

/// A query or form value, unless missing or empty (an empty `scope=` is no
/// scope at all).
pub(crate) fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(is_valid_verifier(verifier));
        let challenge = pkce_s256(verifier);
        assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(is_valid_s256_challenge(&challenge));
        assert!(!is_valid_verifier("short"));
        assert!(!is_valid_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }

    #[test]
    fn bearer_parsing() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn cookie_lookup_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), Some("3"));
        assert_eq!(cookie(&headers, "d"), None);
    }

    #[test]
    fn secrets_compare() {
        assert!(secrets_match("abc", "abc"));
        assert!(!secrets_match("abc", "abd"));
        assert!(!secrets_match("abc", "ab"));
    }
}
