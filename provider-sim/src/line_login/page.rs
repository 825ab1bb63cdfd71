//! LINE's own pages: the add-friend option and step, and the form_post answer (also LINE Notify's).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

use crate::consent::{self, esc, form_start};

/// The add-friend checkbox of `bot_prompt=normal`.
pub(super) fn add_friend_checkbox(official_account: &str, checked: bool) -> String {
    format!(
        "<fieldset>\n<legend>LINE Official Account</legend>\n\
         <label><input type=\"checkbox\" name=\"add_friend\" value=\"yes\"{}> \
         Add {} as a friend</label>\n</fieldset>\n",
        if checked { " checked" } else { "" },
        esc(official_account)
    )
}

/// The separate screen of `bot_prompt=aggressive`, shown after Allow.
pub(super) fn friend_step(
    official_account: &str,
    action: &str,
    hidden: &[(&str, &str)],
) -> Response {
    let account = esc(official_account);
    let mut body = format!(
        "<p class=\"brand\">LINE <small>(simulated)</small></p>\n\
         <h1>Add {account} as a friend?</h1>\n\
         <p>Get messages from {account} in LINE.</p>\n"
    );
    body.push_str(&form_start(action, hidden));
    body.push_str(
        "<div class=\"actions\">\
         <button type=\"submit\" name=\"add_friend\" value=\"yes\">Add friend</button> \
         <button type=\"submit\" name=\"add_friend\" value=\"no\">Not now</button>\
         </div>\n</form>\n",
    );
    consent::html(
        StatusCode::OK,
        &format!("Add {official_account} as a friend (simulated)"),
        &body,
    )
}

/// The script that submits a form_post page; its hash goes into the CSP.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// `response_mode=form_post`: a page that POSTs `params` to `redirect_uri` at once
/// (or on a click, without JavaScript).
pub(crate) fn form_post(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut page = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Redirecting… (simulated)</title>\n</head>\n<body>\n",
    );
    page.push_str(&form_start(redirect_uri, params));
    page.push_str(
        "<noscript><p>JavaScript is off: continue by hand.</p>\
         <button type=\"submit\">Continue</button></noscript>\n</form>\n",
    );
    page.push_str(&format!(
        "<script>{SUBMIT_SCRIPT}</script>\n</body>\n</html>\n"
    ));
    let hash = STANDARD.encode(Sha256::digest(SUBMIT_SCRIPT.as_bytes()));
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut response = (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        page,
    )
        .into_response();
    if let Ok(csp) = HeaderValue::try_from(csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_post_escapes_and_allows_only_its_script() {
        let response = form_post("http://app/cb?a=1&b=2", &[("state", "\"><x")]);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(csp.contains("script-src 'sha256-"));
        assert!(!csp.contains("unsafe-inline"));
        let html = form_start("http://app/cb?a=1&b=2", &[("state", "\"><x")]);
        assert!(html.contains("a=1&amp;b=2\""));
        assert!(html.contains("value=\"&quot;&gt;&lt;x\""));
    }
}
