//! The HTML every dialect shows: the consent page, the error page, and plain pages.
//!
//! Pages are built as strings: there are three of them, they need no scripts, and
//! every interpolated value goes through [`esc`]. They are written for Playwright's
//! role queries: each user is a `<label>`led radio, and the buttons read "Allow" and
//! "Deny".

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    state::Sim,
    users::{self, User},
};

/// Escapes text for both element content and double-quoted attribute values.
pub(crate) fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_safe(text)
}

/// What a consent page shows and where its form goes.
#[derive(Debug)]
pub(crate) struct ConsentPage<'a> {
    /// Provider name, e.g. "AIHubMix".
    pub(crate) provider: &'a str,
    /// The requesting application's registered name.
    pub(crate) client_name: &'a str,
    /// Requested permissions in words, one line each.
    pub(crate) permissions: &'a [&'a str],
    /// Accounts to choose from; the first is preselected.
    pub(crate) users: &'a [User],
    /// Path the form posts to.
    pub(crate) action: &'a str,
    /// The original request's parameters, carried through the form so the
    /// decision handler can validate them again.
    pub(crate) hidden: &'a [(&'a str, &'a str)],
}

/// A consent page's fixed wording in one language. In `heading` and `request`,
/// `{provider}` and `{client}` stand for the provider's and the application's names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wording {
    /// BCP 47 tag of the page (`<html lang>`).
    pub(crate) lang: &'static str,
    pub(crate) heading: &'static str,
    pub(crate) request: &'static str,
    pub(crate) only_id: &'static str,
    pub(crate) will_see: &'static str,
    pub(crate) continue_as: &'static str,
    /// Button labels. When they are not the English words, the buttons keep
    /// "Allow" and "Deny" as accessible names (`aria-label`), so browser tests
    /// find them in every language.
    pub(crate) allow: &'static str,
    pub(crate) deny: &'static str,
}

/// The wording of [`ConsentPage::render`].
pub(crate) const ENGLISH: Wording = Wording {
    lang: "en",
    heading: "Sign in to {provider}",
    request: "{client} wants to access your {provider} account.",
    only_id: "It will see only your account id.",
    will_see: "It will be able to see",
    continue_as: "Continue as",
    allow: "Allow",
    deny: "Deny",
};

impl Wording {
    /// `template` escaped, with the (escaped) names filled in.
    fn fill(template: &str, provider: &str, client: &str) -> String {
        esc(template)
            .replace("{provider}", provider)
            .replace("{client}", &format!("<strong>{client}</strong>"))
    }

    /// ` aria-label="<english>"` when the visible label differs from it.
    fn aria(label: &str, english: &str) -> String {
        if label == english {
            String::new()
        } else {
            format!(" aria-label=\"{english}\"")
        }
    }
}

impl ConsentPage<'_> {
    pub(crate) fn render(&self) -> Response {
        self.render_in(&ENGLISH, "")
    }

    /// The page in another language (permissions come already translated),
    /// with `extra` (escaped HTML, such as LINE's add-friend option) between
    /// the accounts and the buttons.
    pub(crate) fn render_in(&self, wording: &Wording, extra: &str) -> Response {
        let provider = esc(self.provider);
        let client = esc(self.client_name);
        let mut body = format!(
            "<p class=\"brand\">{provider} <small>(simulated)</small></p>\n\
             <h1>{heading}</h1>\n\
             <p>{request}</p>\n",
            heading = Wording::fill(wording.heading, &provider, &client),
            request = Wording::fill(wording.request, &provider, &client),
        );
        if self.permissions.is_empty() {
            body.push_str(&format!("<p>{}</p>\n", esc(wording.only_id)));
        } else {
            body.push_str(&format!("<h2>{}</h2>\n<ul>\n", esc(wording.will_see)));
            for permission in self.permissions {
                body.push_str(&format!("<li>{}</li>\n", esc(permission)));
            }
            body.push_str("</ul>\n");
        }
        body.push_str(&form_start(self.action, self.hidden));
        body.push_str(&format!(
            "<fieldset>\n<legend>{}</legend>\n",
            esc(wording.continue_as)
        ));
        for (index, user) in self.users.iter().enumerate() {
            // The avatar is decorative (empty alt), so each radio's accessible
            // name is exactly "<display name> <email>".
            body.push_str(&format!(
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
        body.push_str("</fieldset>\n");
        body.push_str(extra);
        body.push_str(&format!(
            "<div class=\"actions\">\
             <button type=\"submit\" name=\"decision\" value=\"allow\"{allow_aria}>{allow}</button> \
             <button type=\"submit\" name=\"decision\" value=\"deny\"{deny_aria}>{deny}</button>\
             </div>\n</form>\n",
            allow_aria = Wording::aria(wording.allow, "Allow"),
            allow = esc(wording.allow),
            deny_aria = Wording::aria(wording.deny, "Deny"),
            deny = esc(wording.deny),
        ));
        let title = wording.heading.replace("{provider}", self.provider);
        html_in(
            StatusCode::OK,
            wording.lang,
            &format!("{title} (simulated)"),
            &body,
        )
    }
}

/// `<form method="post">` with hidden fields.
pub(crate) fn form_start(action: &str, hidden: &[(&str, &str)]) -> String {
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

/// A 400 page for requests that must not be redirected (unknown client, wrong
/// redirect URI): sending an error to an unverified URI would make the
/// provider an open redirector (RFC 6749 §4.1.2.1).
pub(crate) fn error_page(title: &str, message: &str) -> Response {
    let body = format!(
        "<p class=\"brand\">provider-sim</p>\n<h1>{}</h1>\n<p>{}</p>\n",
        esc(title),
        esc(message)
    );
    html(StatusCode::BAD_REQUEST, title, &body)
}

/// A page of plain paragraphs (top-up stand-ins and the like).
pub(crate) fn info_page(title: &str, paragraphs: &[&str]) -> Response {
    let mut body = format!(
        "<p class=\"brand\">provider-sim</p>\n<h1>{}</h1>\n",
        esc(title)
    );
    for paragraph in paragraphs {
        body.push_str(&format!("<p>{}</p>\n", esc(paragraph)));
    }
    html(StatusCode::OK, title, &body)
}

/// `GET /`: what this simulator offers, for a developer who opens it in a browser.
pub(crate) async fn index(State(sim): State<Sim>) -> Response {
    let users = sim.with(|world| world.users.clone());
    let mut body = String::from(
        "<h1>provider-sim</h1>\n\
         <p>An offline emulator of the OAuth providers Keyhole supports.</p>\n\
         <h2>Dialects</h2>\n<ul>\n",
    );
    for dialect in sim.dialects() {
        let (name, path, client) = dialect.index();
        body.push_str(&format!(
            "<li>{name} at <code>{}</code>, dev client <code>{}</code></li>\n",
            esc(&path),
            esc(&client)
        ));
    }
    body.push_str("</ul>\n");
    body.push_str("<h2>Test users</h2>\n<ul>\n");
    for user in &users {
        body.push_str(&format!(
            "<li><img src=\"{}\" alt=\"\" width=\"24\" height=\"24\"> <span lang=\"{}\">{}</span> \
             &lt;{}&gt; (id {})</li>\n",
            esc(&users::avatar_path(user.id)),
            esc(user.locale),
            esc(user.display_name),
            esc(user.email),
            user.id
        ));
    }
    body.push_str(
        "</ul>\n<p>Admin API: <code>/_sim/reset</code>, <code>/_sim/counters</code>, \
         <code>/_sim/faults</code>, <code>/_sim/clock/advance</code>, <code>/_sim/clients</code>, \
         <code>/_sim/tokens/revoke</code>, <code>/_sim/users</code>.</p>\n",
    );
    html(StatusCode::OK, "provider-sim", &body)
}

/// `GET /avatars/{id}.svg`: a circle with the user's initial.
pub(crate) async fn avatar(State(sim): State<Sim>, Path(file): Path<String>) -> Response {
    let id = file
        .strip_suffix(".svg")
        .and_then(|id| id.parse::<u64>().ok());
    let svg = id.and_then(|id| sim.with(|world| world.user(id).map(users::avatar_svg)));
    match svg {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            svg,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such avatar").into_response(),
    }
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1f2328}\
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;\
box-shadow:0 1px 4px rgba(0,0,0,.12)}\
.brand{font-weight:600;color:#555}h1{font-size:1.4rem}\
fieldset{border:1px solid #d0d7de;border-radius:8px;margin:1rem 0}\
label.user{display:flex;align-items:center;gap:.5rem;padding:.4rem 0;cursor:pointer}\
label.user img{border-radius:50%}.email{color:#57606a;font-size:.9em}\
.actions{display:flex;gap:.75rem}button{font:inherit;padding:.5rem 1.25rem;border-radius:6px;\
border:1px solid #d0d7de;background:#f6f8fa;cursor:pointer}\
button[value=allow]{background:#1f6feb;border-color:#1f6feb;color:#fff}";

/// Wraps `body` (already escaped HTML) in the shared page frame.
pub(crate) fn html(status: StatusCode, title: &str, body: &str) -> Response {
    html_in(status, "en", title, body)
}

/// [`html`] for a page in language `lang`.
fn html_in(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        esc(lang),
        esc(title)
    );
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            // Like a real provider: no framing (clickjacking on the consent
            // page) and no scripts at all. `form-action` is left out on
            // purpose: browsers apply it to the redirect that follows the
            // form post, which goes to the app's origin.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; \
                     frame-ancestors 'none'; base-uri 'none'",
                ),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
        );
    }
}
