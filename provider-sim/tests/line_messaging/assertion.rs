//! A channel's assertion key pair and the `client_assertion` JWTs signed with it,
//! for the LINE Messaging API and LINE Login tests alike.
//!
//! The key is a test key (2048-bit, PKCS#1, made once with `openssl genrsa
//! -traditional 2048`); `assertion_key.jwk.json` is its public half as the
//! console takes it (no `kid`).

#![allow(dead_code, unreachable_pub)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The public JWK to register.
pub fn public_jwk() -> Value {
    serde_json::from_str(include_str!("assertion_key.jwk.json")).expect("JWK")
}

/// Unix seconds now: the simulator's clock until a test advances it.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The documented claims: `iss` = `sub` = channel, `aud`, `exp` in 10 minutes,
/// and `token_exp` seconds of token life.
pub fn claims(channel_id: &str, token_exp: u64) -> Value {
    json!({
        "iss": channel_id,
        "sub": channel_id,
        "aud": "https://api.line.me/",
        "exp": now() + 600,
        "token_exp": token_exp,
    })
}

/// `claims` signed RS256 with the test key under `kid`.
pub fn sign(kid: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(include_bytes!("assertion_key.pem")).expect("test key");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("signs")
}

/// `assertion` with its payload swapped for `claims`, the signature kept: a forgery.
pub fn forge(assertion: &str, claims: &Value) -> String {
    let mut parts: Vec<String> = assertion.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts.join(".")
}

/// The form of a v2.1 token request with `assertion`.
pub fn token_form(assertion: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_assertion_type", ASSERTION_TYPE.to_owned()),
        ("client_assertion", assertion.to_owned()),
    ]
}
