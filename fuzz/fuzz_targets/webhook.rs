//! The LINE Messaging API webhook, `POST /api/webhooks/{provider}`, through
//! the whole router: whatever the body and the signature, the answer is
//! never a 5xx, and accepted events are processed (the queue settles) before
//! the next input.
//!
//! Input: the first byte's bits 0–1 pick the provider segment (`line-bot`,
//! `line` — no webhook —, `line-notify`, or the input's first line,
//! percent-encoded); bits 2–3 the signature: none, valid for the body, the
//! next line's bytes as the header, or a valid one with a character
//! changed. The rest is the body.
//!
//! Processing a signed event may call LINE (a reply): that call goes to a
//! closed loopback port and is refused at once.
#![no_main]

use axum::body::Body;
use http::{HeaderValue, Request, header};
use keyhole_fuzz::{first_line, line_signature, segment, target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (provider, rest) = match flags & 0b11 {
        0 => ("line-bot".to_owned(), rest),
        1 => ("line".to_owned(), rest),
        2 => ("line-notify".to_owned(), rest),
        _ => {
            let (id, rest) = first_line(rest);
            (segment(id), rest)
        }
    };
    let (signature, body) = match (flags >> 2) & 0b11 {
        0 => (None, rest),
        1 => (HeaderValue::try_from(line_signature(rest)).ok(), rest),
        2 => {
            let (raw, body) = first_line(rest);
            (HeaderValue::from_bytes(raw).ok(), body)
        }
        _ => {
            let mut forged = line_signature(rest).into_bytes();
            if let Some(first) = forged.first_mut() {
                *first = if *first == b'A' { b'B' } else { b'A' };
            }
            (HeaderValue::from_bytes(&forged).ok(), rest)
        }
    };
    let mut request = Request::post(format!("/api/webhooks/{provider}"))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
    if let Some(signature) = signature {
        request = request.header("x-line-signature", signature);
    }
    let request = request
        .body(Body::from(body.to_vec()))
        .expect("the encodings make a valid URI");
    let target = target();
    target.send_expecting_no_5xx(request);
    target.settle();
});
