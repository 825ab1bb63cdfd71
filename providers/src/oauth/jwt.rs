//! ID-token verification shared by LINE Login and OpenID Connect: a JWKS
//! cache that refetches when a token names a key it has not seen (providers
//! rotate keys), and one `verify` that checks signature, `iss`, `aud`, `exp`
//! and `nonce` (OIDC Core §3.1.3.7).

use crate::upstream::{Http, ProviderError};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde_json::{Map, Value};
use std::time::Duration;
use subtle::ConstantTimeEq;
// Tokio's clock, which tests can move forward (`tokio::time::advance`) to
// get past the refetch limit without waiting a minute.
use tokio::{sync::Mutex, time::Instant};
use url::Url;

/// Refetch the key set at most this often when a kid is unknown.
const REFETCH_EVERY: Duration = Duration::from_secs(60);

/// A provider's published keys, fetched lazily.
#[derive(Debug)]
pub struct Jwks {
    url: Url,
    http: Http,
    cached: Mutex<Option<(JwkSet, Instant)>>,
}

impl Jwks {
    /// The key set published at `url`, fetched on first use.
    pub fn new(url: Url, http: Http) -> Self {
        Self {
            url,
            http,
            cached: Mutex::new(None),
        }
    }

    /// The key with this id, refetching the set once if it is unknown.
    async fn key(&self, kid: &str) -> Result<DecodingKey, ProviderError> {
        let mut cached = self.cached.lock().await;
        let stale = cached
            .as_ref()
            .is_none_or(|(set, at)| set.find(kid).is_none() && at.elapsed() >= REFETCH_EVERY);
        if stale {
            let set: JwkSet = self
                .http
                .send("jwks", self.http.get(&self.url))
                .await?
                .available("jwks")?
                .json("jwks")?;
            *cached = Some((set, Instant::now()));
        }
        let jwk = cached
            .as_ref()
            .and_then(|(set, _)| set.find(kid))
            .ok_or_else(|| ProviderError::Malformed(format!("id token: unknown key {kid}")))?;
        DecodingKey::from_jwk(jwk)
            .map_err(|_| ProviderError::Malformed("id token: unusable key".to_owned()))
    }
}

/// What an ID token must satisfy.
#[derive(Debug)]
pub struct Expect<'a> {
    /// The `iss` claim.
    pub issuer: &'a str,
    /// The `aud` claim: our client id.
    pub audience: &'a str,
    /// The nonce sent at authorize time.
    pub nonce: &'a str,
    /// Key for HS256 tokens (LINE web login: the channel secret).
    pub hmac_secret: Option<&'a [u8]>,
    /// Key set for asymmetric tokens.
    pub jwks: Option<&'a Jwks>,
}

/// Verifies the ID token a token response must carry; returns its claims.
pub async fn verify_response(
    response: &super::TokenResponse,
    expect: &Expect<'_>,
) -> Result<Map<String, Value>, ProviderError> {
    let token = response
        .id_token
        .as_deref()
        .ok_or_else(|| ProviderError::Malformed("token response: no id_token".to_owned()))?;
    verify(token, expect).await
}

/// Verifies `token` and returns its claims.
pub async fn verify(token: &str, expect: &Expect<'_>) -> Result<Map<String, Value>, ProviderError> {
    let bad = |why: &str| ProviderError::Malformed(format!("id token: {why}"));
    let header = decode_header(token).map_err(|_| bad("not a JWT"))?;
    let key = match header.alg {
        Algorithm::HS256 => {
            DecodingKey::from_secret(expect.hmac_secret.ok_or_else(|| bad("HS256 not allowed"))?)
        }
        Algorithm::RS256 | Algorithm::ES256 | Algorithm::PS256 | Algorithm::EdDSA => {
            let jwks = expect.jwks.ok_or_else(|| bad("no key set"))?;
            let kid = header.kid.as_deref().ok_or_else(|| bad("no kid"))?;
            jwks.key(kid).await?
        }
        other => return Err(bad(&format!("algorithm {other:?} refused"))),
    };
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[expect.issuer]);
    validation.set_audience(&[expect.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 60;
    let data = decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => bad("bad signature"),
            K::ExpiredSignature => bad("expired"),
            K::InvalidIssuer => bad("wrong issuer"),
            K::InvalidAudience => bad("wrong audience"),
            _ => bad("invalid"),
        }
    })?;
    let claims = data.claims;
    // OIDC Core §3.1.3.7 (4, 5): a token for several audiences must name us
    // as its authorized party; an `azp` that is not us is refused.
    let audiences = match claims.get("aud") {
        Some(Value::Array(list)) => list.len(),
        _ => 1,
    };
    // An `azp` that is not our client id as a string (a number, null, a
    // list) is not us either.
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == expect.audience => {}
        Some(_) => return Err(bad("wrong azp")),
        None if audiences > 1 => return Err(bad("several audiences without azp")),
        None => {}
    }
    // The nonce binds the token to this login (replay defence).
    let nonce_ok = claims
        .get("nonce")
        .and_then(Value::as_str)
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(expect.nonce.as_bytes())));
    if !nonce_ok {
        return Err(bad("wrong nonce"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    fn token(claims: Value, secret: &[u8]) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn claims(nonce: &str) -> Value {
        let now = crate::clock::now().unix_timestamp();
        json!({"iss": "https://access.line.me", "sub": "U1", "aud": "123", "exp": now + 600,
               "iat": now, "nonce": nonce, "email": "a@example.com"})
    }

    fn expect<'a>(nonce: &'a str, secret: &'a [u8]) -> Expect<'a> {
        Expect {
            issuer: "https://access.line.me",
            audience: "123",
            nonce,
            hmac_secret: Some(secret),
            jwks: None,
        }
    }

    #[tokio::test]
    async fn accepts_a_good_hs256_token() {
        let t = token(claims("n1"), b"secret");
        let c = verify(&t, &expect("n1", b"secret")).await.unwrap();
        assert_eq!(c["email"], "a@example.com");
    }

    #[tokio::test]
    async fn refuses_tampering_wrong_nonce_audience_and_expiry() {
        let t = token(claims("n1"), b"secret");
        assert!(
            verify(&t, &expect("n1", b"other")).await.is_err(),
            "signature"
        );
        assert!(verify(&t, &expect("n2", b"secret")).await.is_err(), "nonce");
        let mut wrong_aud = claims("n1");
        wrong_aud["aud"] = json!("999");
        assert!(
            verify(&token(wrong_aud, b"secret"), &expect("n1", b"secret"))
                .await
                .is_err()
        );
        let mut expired = claims("n1");
        expired["exp"] = json!(crate::clock::now().unix_timestamp() - 3600);
        assert!(
            verify(&token(expired, b"secret"), &expect("n1", b"secret"))
                .await
                .is_err()
        );
        // A tampered payload with the original signature.
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            claims("n1")
                .to_string()
                .replace("a@example.com", "evil@example.com"),
        );
        parts[1] = &forged;
        assert!(
            verify(&parts.join("."), &expect("n1", b"secret"))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn several_audiences_need_us_as_the_authorized_party() {
        let with = |aud: Value, azp: Option<&str>| {
            let mut c = claims("n1");
            c["aud"] = aud;
            if let Some(azp) = azp {
                c["azp"] = json!(azp);
            }
            token(c, b"secret")
        };
        let ok = |t: String| async move { verify(&t, &expect("n1", b"secret")).await.is_ok() };
        assert!(ok(with(json!(["123", "456"]), Some("123"))).await);
        assert!(!ok(with(json!(["123", "456"]), None)).await, "no azp");
        assert!(
            !ok(with(json!(["123", "456"]), Some("456"))).await,
            "azp not us"
        );
        assert!(
            !ok(with(json!("123"), Some("456"))).await,
            "azp not us, one audience"
        );
        assert!(ok(with(json!(["123"]), None)).await);
    }

    /// Found with the `id_token` fuzz target's check (an accepted token has
    /// our client id as `azp` if it has one): with one audience, an `azp`
    /// that was not a string used to be ignored, and the token accepted.
    #[tokio::test]
    async fn an_azp_that_is_not_our_client_id_as_a_string_is_refused() {
        for azp in [
            json!(123),
            json!(null),
            json!(["123"]),
            json!({"id": "123"}),
        ] {
            let mut c = claims("n1");
            c["azp"] = azp.clone();
            let t = token(c, b"secret");
            assert!(
                verify(&t, &expect("n1", b"secret")).await.is_err(),
                "azp {azp} accepted"
            );
        }
    }

    #[tokio::test]
    async fn refuses_alg_none_and_hs256_without_a_secret() {
        let t = token(claims("n1"), b"secret");
        let no_secret = Expect {
            hmac_secret: None,
            ..expect("n1", b"")
        };
        assert!(verify(&t, &no_secret).await.is_err());
        let none = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"alg":"none"}"#
            ),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                claims("n1").to_string()
            )
        );
        assert!(verify(&none, &expect("n1", b"secret")).await.is_err());
    }

    proptest::proptest! {
        /// Any text offered as an ID token is refused cleanly.
        #[test]
        fn arbitrary_id_tokens_are_refused_without_panicking(text in "[A-Za-z0-9_.=-]{0,200}") {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let result = runtime.block_on(verify(&text, &expect("n1", b"secret")));
            proptest::prop_assert!(result.is_err());
        }
    }
}
