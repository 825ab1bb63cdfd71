//! How a login callback answers: a small page that posts the result to the
//! opener (popup mode), or a 303 back into the app (redirect mode).
//!
//! The page carries no token or code. Its one script runs under a per-response
//! CSP nonce; its data sits in a JSON block escaped for HTML, so provider text
//! cannot break out of it. Its words are in the browser's language
//! ([`PageLang`], from `Accept-Language`), escaped like everything else.

use crate::{page_lang::PageLang, secret::random_token, session::LoginMode, state::Keyhole};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use keyhole_api::{POPUP_MESSAGE_TYPE, PopupMessage};

/// How a login ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Signed in; the session cookie is set.
    Success,
    /// Not signed in.
    Failure {
        /// Login error code (`access_denied`, `csrf`, `provider_error`, ...).
        code: String,
        /// The provider's text, if any (attacker-controlled).
        description: Option<String>,
    },
}

impl Outcome {
    /// A failure with this code.
    pub fn failure(code: &str, description: Option<String>) -> Self {
        Self::Failure {
            code: code.to_owned(),
            description,
        }
    }

    /// The error code, or `ok`.
    pub fn code(&self) -> &str {
        match self {
            Self::Success => "ok",
            Self::Failure { code, .. } => code,
        }
    }
}

/// Answers the callback in the login's mode (a popup's page in `lang`).
pub fn respond(
    state: &Keyhole,
    provider: &str,
    mode: LoginMode,
    lang: PageLang,
    return_to: &str,
    outcome: &Outcome,
    jar: CookieJar,
) -> Response {
    let back = app_url(return_to, provider, outcome);
    match mode {
        LoginMode::Redirect => {
            (StatusCode::SEE_OTHER, jar, [(header::LOCATION, back)]).into_response()
        }
        LoginMode::Popup => {
            let page = page(&state.public_origin, provider, outcome, &back, lang);
            (jar, page).into_response()
        }
    }
}

/// `return_to` with `login=ok` or `login_error=CODE`, and `provider=ID`, appended.
fn app_url(return_to: &str, provider: &str, outcome: &Outcome) -> String {
    let (key, value) = match outcome {
        Outcome::Success => ("login", "ok"),
        Outcome::Failure { code, .. } => ("login_error", code.as_str()),
    };
    let separator = if return_to.contains('?') { '&' } else { '?' };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .append_pair("provider", provider)
        .finish();
    format!("{return_to}{separator}{query}")
}

fn page(
    origin: &str,
    provider: &str,
    outcome: &Outcome,
    fallback: &str,
    lang: PageLang,
) -> Response {
    let nonce = random_token();
    let (ok, error, description) = match outcome {
        Outcome::Success => (true, None, None),
        Outcome::Failure { code, description } => (false, Some(code.clone()), description.clone()),
    };
    let message = PopupMessage {
        kind: POPUP_MESSAGE_TYPE.to_owned(),
        provider: provider.to_owned(),
        ok,
        error,
        error_description: description,
    };
    let data = serde_json::json!({
        "origin": origin,
        "message": message,
        "fallback": fallback,
    });
    let heading = if ok {
        lang.signed_in()
    } else {
        lang.not_signed_in()
    };
    let body = format!(
        r#"<!doctype html>
<html lang="{tag}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Keyhole</title>
</head>
<body>
<p>{heading}</p>
<p><a href="{fallback_attr}">{back}</a></p>
<script type="application/json" id="keyhole-result">{data}</script>
<script nonce="{nonce}">{SCRIPT}</script>
</body>
</html>
"#,
        tag = html_escape::encode_double_quoted_attribute(lang.tag()),
        heading = html_escape::encode_text(heading),
        back = html_escape::encode_text(lang.back_to_app()),
        fallback_attr = html_escape::encode_double_quoted_attribute(fallback),
        data = json_for_html(&data),
    );
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    let mut response = Html(body).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A page that POSTs `fields` to `action` on our own origin at once — the
/// same-site resend of a cross-site `form_post` callback, so the browser
/// attaches our cookies this time. The fields stay out of the URL; the
/// button, shown only without script, is in `lang`.
pub fn resubmit(action: &str, fields: &[(String, String)], lang: PageLang) -> Response {
    let nonce = random_token();
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                html_escape::encode_double_quoted_attribute(name),
                html_escape::encode_double_quoted_attribute(value)
            )
        })
        .collect();
    let body = format!(
        r#"<!doctype html>
<html lang="{tag}">
<head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Keyhole</title></head>
<body>
<form method="post" action="{action}" id="keyhole-resubmit">
{inputs}<noscript><button type="submit">{button}</button></noscript>
</form>
<script nonce="{nonce}">document.getElementById("keyhole-resubmit").submit();</script>
</body>
</html>
"#,
        action = html_escape::encode_double_quoted_attribute(action),
        tag = html_escape::encode_double_quoted_attribute(lang.tag()),
        button = html_escape::encode_text(lang.continue_signing_in()),
    );
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    );
    let mut response = Html(body).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// JSON that is safe inside `<script type="application/json">`: no `<`, `>`
/// or `&` survive, so `</script>` in provider text cannot end the block.
fn json_for_html(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Posts the result to the opener at the exact app origin, else on the
/// BroadcastChannel, then closes; if the window stays open (no opener, COOP,
/// an in-app browser) it goes back to the app with the result in the URL.
const SCRIPT: &str = r#"(function () {
  var d = JSON.parse(document.getElementById("keyhole-result").textContent);
  var delivered = false;
  try {
    if (window.opener && !window.opener.closed) {
      window.opener.postMessage(d.message, d.origin);
      delivered = true;
    }
  } catch (e) {}
  if (!delivered && "BroadcastChannel" in window) {
    try {
      var channel = new BroadcastChannel("keyhole");
      channel.postMessage(d.message);
      channel.close();
      delivered = true;
    } catch (e) {}
  }
  if (delivered) { window.close(); }
  setTimeout(function () { window.location.replace(d.fallback); }, delivered ? 800 : 0);
})();"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_url_appends_the_result() {
        assert_eq!(
            app_url("/", "aihubmix", &Outcome::Success),
            "/?login=ok&provider=aihubmix"
        );
        assert_eq!(
            app_url("/a?b=1", "p", &Outcome::failure("access_denied", None)),
            "/a?b=1&login_error=access_denied&provider=p"
        );
    }

    #[test]
    fn provider_text_cannot_escape_the_json_block() {
        let data = serde_json::json!({"d": "</script><script>alert(1)</script>&"});
        let safe = json_for_html(&data);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, data);
    }
}
