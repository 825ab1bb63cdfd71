//! JSON in and out of the bundle: the browser's own `JSON.parse` and `JSON.stringify` with serde-wasm-bindgen in the browser, serde_json in host tests.
//!
//! The browser already carries a JSON parser; serde_json's would be the
//! bundle's largest dependency after Leptos (measured in BENCHMARKS.md,
//! "First load"). The serde derives of `keyhole-api` are the same on both
//! paths, so the host tests check the same mapping.

use serde::{Serialize, de::DeserializeOwned};

/// Parses `text` into a `T`; `Err` says why, for a network error's text.
#[cfg(target_arch = "wasm32")]
pub(crate) fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())?;
    serde_wasm_bindgen::from_value(value).map_err(|err| err.to_string())
}

/// JSON text of `value`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, String> {
    let value = serde_wasm_bindgen::to_value(value).map_err(|err| err.to_string())?;
    js_sys::JSON::stringify(&value)
        .map(String::from)
        .map_err(|_| "not serializable".to_owned())
}

/// Parses `text` into a `T` (host tests).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|err| err.to_string())
}

/// JSON text of `value` (host tests).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|err| err.to_string())
}
