//! `return_to` validation (`keyhole::security::safe_return_to`): whatever
//! text is offered, an accepted value is the same text, resolves against the
//! app's origin to that origin (as a browser would resolve it, WHATWG URL),
//! and makes a valid `Location` header once the login outcome is appended.
//!
//! Input: UTF-8 text, the `return_to` candidate.
#![no_main]

use http::HeaderValue;
use keyhole::security::safe_return_to;
use keyhole_fuzz::APP;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(candidate) = std::str::from_utf8(data) else {
        return;
    };
    let Some(path) = safe_return_to(Some(candidate)) else {
        return;
    };
    assert_eq!(path, candidate, "an accepted return_to is used as given");
    let app = Url::parse(APP).expect("the app origin parses");
    if let Ok(resolved) = app.join(&path) {
        assert_eq!(
            resolved.origin(),
            app.origin(),
            "{path:?} resolves to {resolved}, off the app's origin"
        );
    }
    // The callback redirects to it with the outcome appended.
    let separator = if path.contains('?') { '&' } else { '?' };
    let location = format!("{path}{separator}login=ok&provider=aihubmix");
    assert!(
        HeaderValue::try_from(location).is_ok(),
        "{path:?} cannot be a Location header"
    );
});
