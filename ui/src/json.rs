//! JSON in and out of the bundle: a small serde reader and writer of our own ([`read`], [`write`]), the same code in the browser and in host tests.
//!
//! Written here rather than taken from serde_json or serde-wasm-bindgen:
//! their errors describe what went wrong with `core::fmt`, and serde's
//! "invalid type: floating point `1.5`" message alone brings the whole
//! float formatter into the bundle (measured in BENCHMARKS.md, "First
//! load"). Nobody reads these messages: a body that does not fit is a
//! network error to the person. So errors here are fixed strings, and
//! numbers are integers only — the contract has no float.

use serde::{Serialize, de::DeserializeOwned};

mod read;
mod write;

/// Why a text could not be read or a value written: a fixed reason.
#[derive(Debug)]
pub(crate) struct Error(&'static str);

impl Error {
    const SYNTAX: Self = Self("not JSON");
    const SHAPE: Self = Self("JSON of another shape");
    const FLOAT: Self = Self("a number that is not an integer");
    const RANGE: Self = Self("an integer out of range");
    const UNSUPPORTED: Self = Self("a value JSON requests never carry");
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Error {}

// Every constructor is overridden: serde's defaults format a message with
// the offending value (`Unexpected` and its float formatter).
impl serde::de::Error for Error {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Self::SHAPE
    }

    fn invalid_type(_unexp: serde::de::Unexpected<'_>, _exp: &dyn serde::de::Expected) -> Self {
        Self::SHAPE
    }

    fn invalid_value(_unexp: serde::de::Unexpected<'_>, _exp: &dyn serde::de::Expected) -> Self {
        Self::SHAPE
    }

    fn invalid_length(_len: usize, _exp: &dyn serde::de::Expected) -> Self {
        Self::SHAPE
    }

    fn unknown_variant(_variant: &str, _expected: &'static [&'static str]) -> Self {
        Self::SHAPE
    }

    fn unknown_field(_field: &str, _expected: &'static [&'static str]) -> Self {
        Self::SHAPE
    }

    fn missing_field(_field: &'static str) -> Self {
        Self::SHAPE
    }

    fn duplicate_field(_field: &'static str) -> Self {
        Self::SHAPE
    }
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Self::UNSUPPORTED
    }
}

/// Parses `text` into a `T`; `Err` says why, for a network error's text.
pub(crate) fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut reader = read::Reader::new(text);
    let value = T::deserialize(&mut reader).and_then(|value| reader.end().map(|()| value));
    value.map_err(|err| err.0.to_owned())
}

/// JSON text of `value`.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, String> {
    let mut writer = write::Writer { out: String::new() };
    value
        .serialize(&mut writer)
        .map(|()| writer.out)
        .map_err(|err| err.0.to_owned())
}

#[cfg(test)]
mod tests {
    //! serde_json is the reference: every shape of the contract must read
    //! and write the same through it and through this module.

    use super::*;
    use keyhole_api::{
        ApiError, Balance, Capability, ErrorCode, Me, MessageRequest, NotifyRequest, NotifyResult,
        PopupMessage, ProviderInfo,
    };
    use serde_json::json;

    fn same_as_serde_json<T>(value: &serde_json::Value)
    where
        T: DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let text = value.to_string();
        let ours: T = decode(&text).unwrap_or_else(|err| panic!("{err}: {text}"));
        let theirs: T = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{err}: {text}"));
        assert_eq!(ours, theirs, "{text}");
    }

    #[test]
    fn reads_every_answer_of_the_contract_like_serde_json() {
        same_as_serde_json::<Vec<ProviderInfo>>(&json!([
            {"id": "aihubmix", "name": "AIHubMix", "kind": "aihubmix",
             "capabilities": ["login", "balance", "a_new_one"]},
            {"id": "line-bot", "name": "LINE", "kind": "line_messaging",
             "capabilities": ["messaging"], "sends_via": "line", "added_later": [1.5, {"x": null}]}
        ]));
        same_as_serde_json::<Me>(&json!({
            "session": {"expires_at": "2026-01-08T00:00:00Z", "created_at": "2026-01-01"},
            "connections": [{
                "provider": "aihubmix", "provider_name": "AIHubMix", "kind": "aihubmix",
                "status": "reauth_required", "capabilities": ["login", "profile"],
                "connected_at": "2026-01-01T00:00:00Z",
                "balance": {"remaining": "1", "unit": "quota", "formatted": "1",
                            "as_of": "2026-01-01T00:00:00Z"},
                "profile": {"id": "42", "display_name": "Zoë \"Z\" \\ 李", "email": null,
                            "extra": {"plan": "pro", "tags": ["a", true, null, -3]}}
            }]
        }));
        same_as_serde_json::<Balance>(&json!({
            "remaining": "12.5", "used": "7.5", "unit": "USD", "formatted": "$12.50",
            "as_of": "2026-01-01T00:00:00Z"
        }));
        same_as_serde_json::<ApiError>(&json!({
            "code": "reauth_required", "message": "Sign in again\n\t(please)",
            "provider": "line", "request_id": "r-1"
        }));
        same_as_serde_json::<NotifyResult>(&json!({
            "status": 200, "rate_limit": {"limit": 1000, "remaining": 0, "reset": -1}
        }));
        same_as_serde_json::<PopupMessage>(&json!({
            "type": "keyhole:login", "provider": "line", "ok": false,
            "error": "access_denied", "error_description": "\u{1F600} \u{0001} \u{2028}"
        }));
    }

    #[test]
    fn escapes_and_surrogates_read_as_the_browser_reads_them() {
        let read = |text: &str| decode::<String>(text);
        assert_eq!(
            read(r#""a\"b\\c\/d\b\f\n\r\t""#).as_deref(),
            Ok("a\"b\\c/d\u{8}\u{c}\n\r\t")
        );
        assert_eq!(
            read(r#""\u00e9\u674E\ud83d\ude00""#).as_deref(),
            Ok("é李😀")
        );
        // A lone surrogate becomes U+FFFD, as in a browser string given to Rust.
        assert_eq!(read(r#""\ud83d!""#).as_deref(), Ok("\u{FFFD}!"));
        assert_eq!(read(r#""\ud83d\u0041""#).as_deref(), Ok("\u{FFFD}A"));
        assert!(read("\"raw\u{1}control\"").is_err());
        assert!(read(r#""\x""#).is_err());
        assert!(read(r#""open"#).is_err());
    }

    #[test]
    fn integers_only_and_in_range() {
        assert_eq!(decode::<i64>("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(decode::<u64>("18446744073709551615"), Ok(u64::MAX));
        assert!(decode::<u64>("18446744073709551616").is_err());
        assert!(decode::<i64>("-9223372036854775809").is_err());
        assert!(decode::<u64>("-1").is_err());
        assert!(decode::<u32>("4294967296").is_err());
        assert!(decode::<u64>("1.0").is_err());
        assert!(decode::<u64>("1e3").is_err());
    }

    #[test]
    fn refuses_broken_or_misshapen_text() {
        for text in [
            "",
            "not json",
            "{",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            "[1 2]",
            "tru",
            "nul",
            "1 2",
            r#"{"code":"csrf"}"#,
            r#"{"code":7,"message":"m","request_id":"r"}"#,
        ] {
            assert!(decode::<ApiError>(text).is_err(), "{text}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(decode::<serde_json::Value>(&deep).is_err());
        assert!(decode::<Vec<Capability>>(" [ \"login\" , \"notify\" ]\n").is_ok());
        assert_eq!(decode::<Option<ErrorCode>>("null"), Ok(None));
    }

    #[test]
    fn writes_request_bodies_like_serde_json() {
        let message = "Hi \"you\" \\ \n\t\u{1}\u{1f} é 李 😀 \u{2028}".to_owned();
        assert_eq!(
            encode(&NotifyRequest {
                message: message.clone()
            }),
            Ok(serde_json::to_string(&NotifyRequest {
                message: message.clone()
            })
            .unwrap_or_default())
        );
        let theirs = serde_json::to_string(&MessageRequest {
            text: message.clone(),
        });
        assert_eq!(encode(&MessageRequest { text: message }).ok(), theirs.ok());
        let result = NotifyResult::default();
        assert_eq!(
            encode(&result),
            Ok(serde_json::to_string(&result).unwrap_or_default())
        );
        assert_eq!(
            encode(&(vec![Capability::Login], -12_i64, 7_u8, true, Some(()))),
            Ok(r#"[["login"],-12,7,true,null]"#.to_owned())
        );
        assert!(encode(&1.5_f64).is_err());
    }

    proptest::proptest! {
        /// Whatever arrives — any text, or a real answer cut or corrupted
        /// anywhere — the reader answers `Ok` or `Err`, never a panic, and
        /// agrees with serde_json on whether the text reads as that type.
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}", cut in 0usize..400, byte in 0u8..128) {
            let _ = decode::<Me>(&text);
            let _ = decode::<Vec<ProviderInfo>>(&text);
            let real = r#"{"session":{"id":"s","created_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-02T00:00:00Z"},"connections":[{"provider":"aihubmix","provider_name":"AIHubMix","kind":"aihubmix","status":"active","profile":{"id":"1","display_name":"A \u00e9 \"q\"","extra":{"x":["a",{"y":null}],"t":true}},"capabilities":["login","balance","nope"],"connected_at":"2026-01-01T00:00:00Z"}]}"#;
            proptest::prop_assert!(decode::<Me>(real).is_ok());
            let mut bytes = real.as_bytes().to_vec();
            let at = cut % bytes.len();
            bytes[at] = byte;
            if let Ok(corrupt) = std::str::from_utf8(&bytes) {
                let ours = decode::<Me>(corrupt).is_ok();
                let theirs = serde_json::from_str::<Me>(corrupt).is_ok();
                proptest::prop_assert_eq!(ours, theirs, "{}", corrupt);
            }
            let _ = decode::<Me>(&real[..at]);
        }
    }
}
