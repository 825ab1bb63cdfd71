//! ID tokens: HS256 with the channel secret (web channels), ES256 with a fixed key and JWKS (native).
//!
//! The ES256 key is a P-256 test key generated once with
//! `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` and embedded, so
//! tokens verify across runs and no key-generation crate is needed. It protects nothing.

use crate::line_login::NAME;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde_json::{Value, json};

use super::{ISSUER, channels::AppType};
use crate::{state::World, users::User};

const ES256_PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMLN6H2PNlW/BjZyf
garp2Yz+jKnZpcuddSDUEkYMDeahRANCAASe6VwUcnBdeZW6TXhwAvQp0fsYHSYO
RXnAUfaukDaEe9fGcjChv7y443NqQNqU+05ZJZXQ0C/IxNgrhi5hKPZ+
-----END PRIVATE KEY-----
";
/// The public half of the key above, as JWK coordinates.
const ES256_X: &str = "nulcFHJwXXmVuk14cAL0KdH7GB0mDkV5wFH2rpA2hHs";
const ES256_Y: &str = "18ZyMKG_vLjjc2pA2pT7TlklldDQL8jE2CuGLmEo9n4";
const ES256_KID: &str = "cec0f7517af3ef7fcff18f50f65a58c3";

/// `GET /oauth2/v2.1/certs`.
pub(super) fn jwks() -> Value {
    json!({
        "keys": [{
            "kty": "EC",
            "alg": "ES256",
            "use": "sig",
            "kid": ES256_KID,
            "crv": "P-256",
            "x": ES256_X,
            "y": ES256_Y,
        }]
    })
}

/// The claims LINE puts in an ID token.
#[derive(Debug, Serialize)]
pub(super) struct Claims<'a> {
    pub(super) iss: &'a str,
    pub(super) sub: &'a str,
    pub(super) aud: &'a str,
    pub(super) exp: u64,
    pub(super) iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) auth_time: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) nonce: Option<&'a str>,
    pub(super) amr: [&'a str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) email: Option<&'a str>,
}

impl<'a> Claims<'a> {
    /// Claims for `user`, to be completed by the caller with what the scopes allow.
    pub(super) fn new(user: &'a User, aud: &'a str, iat: u64, ttl: u64, amr: &'a str) -> Self {
        Self {
            iss: ISSUER,
            sub: user.line_user_id,
            aud,
            exp: iat.saturating_add(ttl),
            iat,
            auth_time: None,
            nonce: None,
            amr: [amr],
            name: None,
            picture: None,
            email: None,
        }
    }
}

/// Signs `claims`: HS256 keyed with the channel secret for web channels, ES256
/// with a `kid` for native ones. `None` only if the embedded key is broken.
pub(super) fn sign(claims: &Claims<'_>, app_type: AppType, channel_secret: &str) -> Option<String> {
    let (header, key) = match app_type {
        AppType::Web => (
            Header::new(Algorithm::HS256),
            EncodingKey::from_secret(channel_secret.as_bytes()),
        ),
        AppType::Native => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(ES256_KID.to_owned());
            (
                header,
                EncodingKey::from_ec_pem(ES256_PRIVATE_KEY_PEM.as_bytes()).ok()?,
            )
        }
    };
    jsonwebtoken::encode(&header, claims, &key).ok()
}

/// `POST /oauth2/v2.1/verify`: the payload of a valid ID token, or the
/// documented `error_description` of the check that failed, in LINE's order.
pub(super) fn verify(
    world: &World,
    id_token: &str,
    client_id: &str,
    nonce: Option<&str>,
    user_id: Option<&str>,
) -> Result<Value, &'static str> {
    const INVALID: &str = "Invalid IdToken.";
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| INVALID)?;
    let key = match header.alg {
        // LINE knows every channel's secret: the one to check with is the
        // audience's, so a token of another channel fails on `aud`, not here.
        Algorithm::HS256 => {
            let aud = unverified_claims(id_token)
                .and_then(|claims| claims.get("aud")?.as_str().map(str::to_owned))
                .ok_or(INVALID)?;
            let channel = world.clients.get(NAME, &aud).ok_or(INVALID)?;
            DecodingKey::from_secret(channel.client_secret.as_bytes())
        }
        Algorithm::ES256 if header.kid.as_deref() == Some(ES256_KID) => {
            DecodingKey::from_ec_components(ES256_X, ES256_Y).map_err(|_| INVALID)?
        }
        _ => return Err(INVALID),
    };
    let mut validation = Validation::new(header.alg);
    // Expiry is checked below against the simulated clock; audience and
    // issuer too, each with its own documented message.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .map_err(|_| INVALID)?
        .claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(ISSUER) {
        return Err("Invalid IdToken Issuer.");
    }
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if world.clock.now() >= exp {
        return Err("IdToken expired.");
    }
    if text("aud") != Some(client_id) {
        return Err("Invalid IdToken Audience.");
    }
    if let Some(nonce) = nonce
        && text("nonce") != Some(nonce)
    {
        return Err("Invalid IdToken Nonce.");
    }
    if let Some(user_id) = user_id
        && text("sub") != Some(user_id)
    {
        return Err("Invalid IdToken Subject Identifier.");
    }
    Ok(claims)
}

/// The payload of a JWT without checking anything.
fn unverified_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users;

    fn claims(user: &User) -> Claims<'_> {
        let mut claims = Claims::new(user, "1234567890", 1_700_000_000, 3600, "pwd");
        claims.nonce = Some("n-0S6_WzA2Mj");
        claims.name = Some(user.display_name);
        claims
    }

    #[test]
    fn hs256_tokens_verify_with_the_secret() {
        let users = users::seed();
        let token = sign(&claims(&users[0]), AppType::Web, "secret").expect("signs");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.kid, None);
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_audience(&["1234567890"]);
        let decoded = jsonwebtoken::decode::<Value>(
            &token,
            &DecodingKey::from_secret(b"secret"),
            &validation,
        )
        .expect("verifies");
        assert_eq!(decoded.claims["sub"], users[0].line_user_id);
        assert_eq!(decoded.claims["amr"], json!(["pwd"]));
        assert_eq!(decoded.claims["nonce"], "n-0S6_WzA2Mj");
        assert!(decoded.claims.get("email").is_none());
    }

    /// The embedded key signs, and the JWKS coordinates are its public half.
    #[test]
    fn es256_tokens_verify_with_the_jwks() {
        let users = users::seed();
        let token = sign(&claims(&users[1]), AppType::Native, "unused").expect("signs");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some(ES256_KID));
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks()).expect("a JWK set");
        let jwk = jwks.find(ES256_KID).expect("kid listed");
        let key = DecodingKey::from_jwk(jwk).expect("usable key");
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_exp = false;
        validation.set_audience(&["1234567890"]);
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("verifies");
    }
}
