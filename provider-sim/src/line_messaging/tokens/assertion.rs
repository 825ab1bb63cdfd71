//! Assertion signing keys a channel registers (the console's step) and the check of a `client_assertion` JWT (RFC 7523).

use std::{collections::HashMap, fmt};

use axum::http::StatusCode;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;
use serde_json::Value;

use crate::line_messaging::{
    errors::{ApiError, message, oauth_error},
    request_id,
};

/// `client_assertion_type` of every assertion.
pub(super) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The `aud` an assertion must name.
const AUDIENCE: &str = "https://api.line.me/";
/// An assertion's `exp` may be at most 30 minutes away.
const MAX_ASSERTION_SECS: u64 = 1800;

/// A public key as the console takes it: an RSA JWK without `kid`.
#[derive(Debug, Deserialize)]
pub(crate) struct Jwk {
    kty: String,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    kid: Option<String>,
    n: String,
    e: String,
}

struct AssertionKey {
    dialect: &'static str,
    channel_id: String,
    key: DecodingKey,
}

/// The registered keys by the `kid` the console assigned them.
#[derive(Default)]
pub(crate) struct AssertionKeys {
    by_kid: HashMap<String, AssertionKey>,
}

impl fmt::Debug for AssertionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionKeys")
            .field("kids", &self.by_kid.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AssertionKeys {
    /// Registers `jwk` for channel `channel_id` of `dialect`; its new `kid`, or why the key is refused.
    pub(crate) fn register(
        &mut self,
        dialect: &'static str,
        channel_id: &str,
        jwk: &Jwk,
    ) -> Result<String, &'static str> {
        if jwk.kid.is_some() {
            return Err("the key must not contain a kid: the console assigns one");
        }
        if jwk.kty != "RSA"
            || jwk.alg.as_deref().is_some_and(|alg| alg != "RS256")
            || jwk.usage.as_deref().is_some_and(|usage| usage != "sig")
        {
            return Err("the key must be an RSA signing key for RS256");
        }
        let modulus = URL_SAFE_NO_PAD.decode(&jwk.n).unwrap_or_default();
        if modulus.len() < 256 {
            return Err("the key must be an RSA key of at least 2048 bits");
        }
        let key =
            DecodingKey::from_rsa_components(&jwk.n, &jwk.e).map_err(|_| "the key is malformed")?;
        let kid = request_id();
        let channel_id = channel_id.to_owned();
        let entry = AssertionKey {
            dialect,
            channel_id,
            key,
        };
        self.by_kid.insert(kid.clone(), entry);
        Ok(kid)
    }

    /// The channel of `dialect` whose key signed `assertion`, with the payload's
    /// `token_exp`, once the documented claims check out at `now`.
    pub(super) fn check(
        &self,
        dialect: &str,
        assertion_type: Option<&str>,
        assertion: Option<&str>,
        now: u64,
    ) -> Result<Asserted, ApiError> {
        if assertion_type != Some(ASSERTION_TYPE) {
            return Err(oauth_error(
                "invalid_request",
                Some("Invalid client_assertion_type"),
            ));
        }
        let malformed = || oauth_error("invalid_request", Some("Invalid client_assertion"));
        let assertion = assertion.ok_or_else(malformed)?;
        let header = jsonwebtoken::decode_header(assertion).map_err(|_| malformed())?;
        let key = header
            .kid
            .and_then(|kid| self.by_kid.get(&kid))
            .filter(|key| key.dialect == dialect && header.alg == Algorithm::RS256)
            .ok_or_else(|| {
                message(
                    StatusCode::NOT_FOUND,
                    "Cannot find channel key that satisfies the conditions",
                )
            })?;
        let mut validation = Validation::new(Algorithm::RS256);
        // Checked below, against the simulated clock and with LINE's messages.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Value>(assertion, &key.key, &validation)
            .map_err(|error| match error.kind() {
                // [I] LINE does not document the answer to a bad signature.
                ErrorKind::InvalidSignature => {
                    oauth_error("invalid_client", Some("Invalid signature"))
                }
                _ => malformed(),
            })?
            .claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let channel = key.channel_id.as_str();
        if text("iss") != Some(channel) || text("sub") != Some(channel) {
            let mismatch = "iss and clientId of key do not match";
            return Err(oauth_error("invalid_client", Some(mismatch)));
        }
        if text("aud") != Some(AUDIENCE) {
            return Err(oauth_error("invalid_client", Some("Invalid aud")));
        }
        let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        if exp <= now || exp > now.saturating_add(MAX_ASSERTION_SECS) {
            return Err(oauth_error("invalid_client", Some("Invalid exp")));
        }
        Ok(Asserted {
            channel_id: key.channel_id.clone(),
            token_exp: claims.get("token_exp").and_then(Value::as_u64),
        })
    }
}

/// What a valid assertion says.
#[derive(Debug)]
pub(super) struct Asserted {
    pub(super) channel_id: String,
    /// The lifetime asked for a v2.1 token, in seconds.
    pub(super) token_exp: Option<u64>,
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn keys_with_a_kid_or_of_another_type_are_refused() {
        let jwk = |kid: Option<&str>, kty: &str, n: &str| Jwk {
            kty: kty.to_owned(),
            alg: Some("RS256".to_owned()),
            usage: Some("sig".to_owned()),
            kid: kid.map(str::to_owned),
            n: n.to_owned(),
            e: "AQAB".to_owned(),
        };
        let n = URL_SAFE_NO_PAD.encode([0xc5_u8; 256]);
        let mut keys = AssertionKeys::default();
        assert!(keys.register("d", "1", &jwk(Some("k"), "RSA", &n)).is_err());
        assert!(keys.register("d", "1", &jwk(None, "EC", &n)).is_err());
        assert!(keys.register("d", "1", &jwk(None, "RSA", "AQAB")).is_err());
        let kid = keys.register("d", "1", &jwk(None, "RSA", &n)).expect("kid");
        assert_eq!(kid.len(), 36);
        let status = |refused: Result<Asserted, ApiError>| {
            refused
                .map(|_| ())
                .map_err(|error| error.into_response().status())
        };
        let refused = keys.check("d", Some("other"), None, 0);
        assert_eq!(status(refused), Err(StatusCode::BAD_REQUEST));
        let refused = keys.check("d", Some(ASSERTION_TYPE), Some("a.b.c"), 0);
        assert_eq!(status(refused), Err(StatusCode::BAD_REQUEST));
    }
}
