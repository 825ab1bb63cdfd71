//! Dates and times formatted in a language by the browser (`Intl` via `toLocaleString`).

use super::Lang;

/// An RFC 3339 time as a medium date and short time in `lang`, or the input
/// unchanged when the browser cannot parse it.
pub fn format_time(lang: Lang, rfc3339: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    locale_string(
        lang,
        &date,
        &[("dateStyle", "medium"), ("timeStyle", "short")],
    )
}

/// A Unix time in seconds as a short time of day in `lang`: a rate limit
/// resets within the hour.
pub fn format_unix_time(lang: Lang, seconds: i64) -> String {
    // Exact for any time in the next 285 000 years.
    #[allow(clippy::cast_precision_loss)]
    let millis = seconds.saturating_mul(1000) as f64;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
    if date.get_time().is_nan() {
        return seconds.to_string();
    }
    locale_string(lang, &date, &[("timeStyle", "short")])
}

fn locale_string(lang: Lang, date: &js_sys::Date, options: &[(&str, &str)]) -> String {
    let object = js_sys::Object::new();
    for (key, value) in options {
        _ = js_sys::Reflect::set(&object, &(*key).into(), &(*value).into());
    }
    date.to_locale_string(lang.tag(), &object).into()
}
