//! The OIDC provider's RS256 signing keys: a published JWKS, one active key, rotation.
//!
//! The private keys are embedded test keys (2048-bit, PKCS#1, made once with
//! `openssl genrsa -traditional 2048`): generating RSA keys at run time is slow in
//! debug builds, and a simulator's keys protect nothing. Rotation takes the next
//! key of the pool under a new `kid`; after the fourth rotation key material
//! repeats under fresh `kid`s, which verifiers cannot tell apart from new keys.

use base64::{Engine, engine::general_purpose::STANDARD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::Value;

use crate::oauth;

const POOL: [&str; 4] = [
    include_str!("keys/key1.pem"),
    include_str!("keys/key2.pem"),
    include_str!("keys/key3.pem"),
    include_str!("keys/key4.pem"),
];

/// One signing key with its public half in JWK form.
struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    /// Base64url modulus and exponent, for the JWKS.
    n: String,
    e: String,
}

/// The published keys, newest last; the last one signs.
pub(super) struct KeyRing {
    keys: Vec<SigningKey>,
    /// How many keys were ever created, for the next `kid`.
    serial: usize,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|key| key.kid.as_str()).collect();
        f.debug_struct("KeyRing").field("kids", &kids).finish()
    }
}

impl Default for KeyRing {
    fn default() -> Self {
        let mut ring = Self {
            keys: Vec::new(),
            serial: 0,
        };
        ring.rotate(false);
        ring
    }
}

impl KeyRing {
    /// Adds a key under a new `kid` and signs with it from now on. With
    /// `retire_previous`, the older keys leave the JWKS (tokens they signed
    /// stop verifying); otherwise they stay published.
    pub(super) fn rotate(&mut self, retire_previous: bool) -> &str {
        let pem = POOL[self.serial % POOL.len()];
        self.serial += 1;
        let kid = format!("sim-rsa-{}", self.serial);
        match load(pem, kid) {
            Some(key) => {
                if retire_previous {
                    self.keys.clear();
                }
                self.keys.push(key);
            }
            // The pool is compiled in and covered by a unit test.
            None => tracing::error!("an embedded OIDC key does not parse"),
        }
        self.active_kid()
    }

    /// `kid` of the signing key.
    pub(super) fn active_kid(&self) -> &str {
        self.keys.last().map_or("", |key| key.kid.as_str())
    }

    /// Every published `kid`, oldest first.
    pub(super) fn kids(&self) -> Vec<String> {
        self.keys.iter().map(|key| key.kid.clone()).collect()
    }

    /// Signs `claims` as an RS256 JWT with the active key (`kid` in the header).
    pub(super) fn sign(&self, claims: &impl Serialize) -> Option<String> {
        let key = self.keys.last()?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        match jsonwebtoken::encode(&header, claims, &key.encoding) {
            Ok(token) => Some(token),
            Err(error) => {
                tracing::error!(%error, "signing an ID token failed");
                None
            }
        }
    }

    /// The JWK Set document (RFC 7517 §5).
    pub(super) fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|key| {
                serde_json::json!({
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": key.kid,
                    "n": key.n,
                    "e": key.e,
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

fn load(pem: &str, kid: String) -> Option<SigningKey> {
    let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).ok()?;
    let der = pem_body(pem)?;
    let (n, e) = rsa_public_components(&der)?;
    Some(SigningKey {
        kid,
        encoding,
        n: oauth::base64url(n),
        e: oauth::base64url(e),
    })
}

/// The DER inside a PEM block.
fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let base64: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .map(str::trim)
        .collect();
    STANDARD.decode(base64).ok()
}

/// Modulus and public exponent of a PKCS#1 `RSAPrivateKey`
/// (`SEQUENCE { version, modulus, publicExponent, … }`), without sign bytes.
fn rsa_public_components(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, sequence, _) = read_tlv(der)? else {
        return None;
    };
    let (0x02, _version, rest) = read_tlv(sequence)? else {
        return None;
    };
    let (0x02, modulus, rest) = read_tlv(rest)? else {
        return None;
    };
    let (0x02, exponent, _) = read_tlv(rest)? else {
        return None;
    };
    Some((unsigned(modulus), unsigned(exponent)))
}

/// A DER INTEGER's bytes without leading zero (sign) bytes.
fn unsigned(integer: &[u8]) -> &[u8] {
    let start = integer.iter().position(|byte| *byte != 0).unwrap_or(0);
    &integer[start..]
}

/// One DER element: tag, contents, and what follows it.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let len = bytes
            .iter()
            .fold(0_usize, |len, byte| (len << 8) | usize::from(*byte));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((tag, content, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pool_key_loads_with_a_2048_bit_modulus() {
        for (index, pem) in POOL.iter().enumerate() {
            let key = load(pem, format!("k{index}")).expect("embedded key parses");
            // 256 bytes of modulus are 342 base64url characters; e = 65537.
            assert_eq!(key.n.len(), 342, "key {index}");
            assert_eq!(key.e, "AQAB");
        }
    }

    #[test]
    fn rotation_adds_kids_and_can_retire_old_ones() {
        let mut ring = KeyRing::default();
        assert_eq!(ring.kids(), ["sim-rsa-1"]);
        assert_eq!(ring.rotate(false), "sim-rsa-2");
        assert_eq!(ring.kids(), ["sim-rsa-1", "sim-rsa-2"]);
        assert_eq!(ring.rotate(true), "sim-rsa-3");
        assert_eq!(ring.kids(), ["sim-rsa-3"]);
        assert_eq!(ring.jwks()["keys"][0]["kid"], "sim-rsa-3");
    }

    #[test]
    fn der_lengths_in_long_form() {
        let mut der = vec![0x04, 0x81, 0x80];
        der.extend([7_u8; 0x80]);
        let (tag, content, rest) = read_tlv(&der).expect("parses");
        assert_eq!((tag, content.len(), rest.len()), (0x04, 0x80, 0));
        assert!(read_tlv(&[0x04, 0x82, 0x01]).is_none());
    }
}
