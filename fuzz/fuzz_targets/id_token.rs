//! ID-token checks (`oauth::jwt::verify`, as LINE Login and OpenID Connect
//! call them): an arbitrary token string is refused without panicking, and
//! a token that is accepted really is for us — right issuer, our client id
//! among its audiences (and as `azp` when there are several, or when `azp`
//! is there at all), our nonce, a subject, and not expired.
//!
//! Input: the first byte picks the mode. Even: the rest is the token text
//! (lossy UTF-8). Odd: the rest is a header JSON, a newline, and a claims
//! JSON, which the target encodes and signs with the expected HS256 secret,
//! so the claim checks after the signature are reached.
#![no_main]

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use keyhole_fuzz::first_line;
use keyhole_providers::oauth::jwt::{Expect, verify};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sha2::Sha256;
use std::sync::OnceLock;
use tokio::runtime::Runtime;

const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "fuzz-client";
const NONCE: &str = "fuzz-nonce";
const SECRET: &[u8] = b"fuzz-channel-secret";
/// `verify`'s leeway on `exp`.
const LEEWAY_SECS: i64 = 60;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
    })
}

/// `header.claims.signature`, signed HS256 with [`SECRET`].
fn signed(header: &[u8], claims: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET).expect("any key length");
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let (header, claims) = first_line(rest);
        signed(header, claims)
    };
    let expect = Expect {
        issuer: ISSUER,
        audience: AUDIENCE,
        nonce: NONCE,
        hmac_secret: Some(SECRET),
        // An asymmetric token would fetch a key set: refused here instead.
        jwks: None,
    };
    let Ok(claims) = runtime().block_on(verify(&token, &expect)) else {
        return;
    };
    assert_eq!(claims.get("iss").and_then(Value::as_str), Some(ISSUER));
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        other => panic!("accepted with aud {other:?}"),
    };
    assert!(audiences.contains(&AUDIENCE), "aud {audiences:?}");
    match claims.get("azp") {
        None => assert!(
            matches!(claims.get("aud"), Some(Value::String(_)))
                || matches!(claims.get("aud"), Some(Value::Array(a)) if a.len() == 1),
            "several audiences accepted without azp"
        ),
        Some(azp) => assert_eq!(azp.as_str(), Some(AUDIENCE), "azp"),
    }
    assert_eq!(claims.get("nonce").and_then(Value::as_str), Some(NONCE));
    assert!(claims.get("sub").is_some(), "no sub");
    let now = keyhole_providers::clock::now().unix_timestamp();
    let exp = claims.get("exp").and_then(Value::as_f64);
    assert!(
        exp.is_some_and(|exp| exp >= (now - LEEWAY_SECS) as f64),
        "accepted with exp {exp:?} at {now}"
    );
});
