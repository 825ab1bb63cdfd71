//! LINE's pages: consent with an extra section (add friend, Notify target), the add-friend step, form_post.
//!
//! The shared [`consent::ConsentPage`] has no room for LINE's extra choices, so this
//! builds the same markup (labelled user radios, Allow / Deny) with a slot for them.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

use crate::{
    consent::{self, esc},
    users::{self, User},
};

/// What a LINE consent page shows.
#[derive(Debug)]
pub(crate) struct LinePage<'a> {
    /// "LINE" or "LINE Notify".
    pub(crate) provider: &'a str,
    pub(crate) client_name: &'a str,
    pub(crate) permissions: &'a [&'a str],
    pub(crate) users: &'a [User],
    pub(crate) action: &'a str,
    pub(crate) hidden: &'a [(&'a str, &'a str)],
    /// Already-escaped HTML shown between the accounts and the buttons.
    pub(crate) extra: &'a str,
}

impl LinePage<'_> {
    pub(crate) fn render(&self) -> Response {
        let provider = esc(self.provider);
        let mut body = format!(
            "<p class=\"brand\">{provider} <small>(simulated)</small></p>\n\
             <h1>Sign in to {provider}</h1>\n\
             <p><strong>{}</strong> wants to access your {provider} account.</p>\n",
            esc(self.client_name)
        );
        if !self.permissions.is_empty() {
            body.push_str("<h2>It will be able to see</h2>\n<ul>\n");
            for permission in self.permissions {
                body.push_str(&format!("<li>{}</li>\n", esc(permission)));
            }
            body.push_str("</ul>\n");
        }
        body.push_str(&form_start(self.action, self.hidden));
        body.push_str("<fieldset>\n<legend>Continue as</legend>\n");
        body.push_str(&user_radios(self.users));
        body.push_str("</fieldset>\n");
        body.push_str(self.extra);
        body.push_str(
            "<div class=\"actions\">\
             <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
             <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
             </div>\n</form>\n",
        );
        consent::html(
            StatusCode::OK,
            &format!("Sign in to {} (simulated)", self.provider),
            &body,
        )
    }
}

/// `<form method="post">` with the hidden fields.
fn form_start(action: &str, hidden: &[(&str, &str)]) -> String {
    let mut html = format!("<form method=\"post\" action=\"{}\">\n", esc(action));
    for (name, value) in hidden {
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            esc(name),
            esc(value)
        ));
    }
    html
}

/// One labelled radio per user, the first checked (the same markup as the shared page).
fn user_radios(users: &[User]) -> String {
    let mut html = String::new();
    for (index, user) in users.iter().enumerate() {
        html.push_str(&format!(
            "<label class=\"user\"><input type=\"radio\" name=\"user_id\" value=\"{id}\"{checked}> \
             <img src=\"{avatar}\" alt=\"\" width=\"32\" height=\"32\"> \
             <span lang=\"{lang}\">{name}</span> <span class=\"email\">{email}</span></label>\n",
            id = user.id,
            checked = if index == 0 { " checked" } else { "" },
            avatar = esc(&users::avatar_path(user.id)),
            lang = esc(user.locale),
            name = esc(user.display_name),
            email = esc(user.email),
        ));
    }
    html
}

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
