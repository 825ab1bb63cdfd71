//! Redirect-mode sign-in: the result the server leaves in the URL when the popup was blocked.

use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::UrlSearchParams;

use super::LoginFailure;

/// `sessionStorage` key remembering which provider a redirect-mode login went
/// to, so an error on return can name it (the redirect carries only a code).
pub(super) const REDIRECT_PROVIDER_KEY: &str = "keyhole.login.provider";

/// Reads `?login=ok` / `?login_error=CODE` (set by a redirect-mode login),
/// removes them from the address bar, and returns the failure, if any.
pub(super) fn take_redirect_result() -> Option<LoginFailure> {
    let window = window();
    let remembered = window.session_storage().ok().flatten().and_then(|storage| {
        let provider = storage.get_item(REDIRECT_PROVIDER_KEY).ok().flatten();
        _ = storage.remove_item(REDIRECT_PROVIDER_KEY);
        provider
    });
    let location = window.location();
    let search = location.search().ok()?;
    if search.is_empty() {
        return None;
    }
    let params = UrlSearchParams::new_with_str(&search).ok()?;
    let ok = params.get("login");
    let error = params.get("login_error");
    if ok.is_none() && error.is_none() {
        return None;
    }
    let provider = params.get("provider").or(remembered);
    for key in ["login", "login_error", "provider"] {
        params.delete(key);
    }

    let rest = String::from(params.to_string());
    let mut clean = location.pathname().unwrap_or_else(|_| "/".to_owned());
    if !rest.is_empty() {
        clean.push('?');
        clean.push_str(&rest);
    }
    clean.push_str(&location.hash().unwrap_or_default());
    if let Ok(history) = window.history() {
        _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&clean));
    }

    error.map(|code| LoginFailure {
        code,
        provider,
        provider_name: None,
        description: None,
    })
}
