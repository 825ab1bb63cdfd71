//! The provider callback, `/api/auth/{provider}/callback`, through the whole
//! router: whatever arrives as its query (GET) or its `form_post` body
//! (POST), the answer is never a 5xx.
//!
//! Input: the first byte's bits 0–1 pick the provider segment (`aihubmix`,
//! `line`, `oidc`, or the input's first line, percent-encoded), bit 2 gives
//! the browser a login-binding cookie; the rest is sent twice, as the query
//! of a GET and as the form body of a POST.
//!
//! No pending login is ever stored, so no input reaches the code exchange
//! (which would go upstream).
#![no_main]

use axum::body::Body;
use http::{Request, header};
use keyhole_fuzz::{first_line, query, segment, target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (provider, fields) = match flags & 0b11 {
        0 => ("aihubmix".to_owned(), rest),
        1 => ("line".to_owned(), rest),
        2 => ("oidc".to_owned(), rest),
        _ => {
            let (id, fields) = first_line(rest);
            (segment(id), fields)
        }
    };
    let cookie = (flags & 0b100 != 0).then_some("keyhole_login=fuzz-binding");
    let path = format!("/api/auth/{provider}/callback");

    let mut get = Request::get(format!("{path}?{}", query(fields)));
    let mut post =
        Request::post(&path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        get = get.header(header::COOKIE, cookie);
        post = post.header(header::COOKIE, cookie);
    }
    let target = target();
    for request in [
        get.body(Body::empty()),
        post.body(Body::from(fields.to_vec())),
    ] {
        target.send_expecting_no_5xx(request.expect("the encodings make a valid URI"));
    }
});
