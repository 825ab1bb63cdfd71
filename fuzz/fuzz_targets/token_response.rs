//! The OAuth engine's token-response parsing: a 200 body read as the
//! engine reads it (`Reply::json` into `oauth::TokenResponse`), then turned
//! into the grant a session stores. Whatever the body, it is refused or
//! gives a lifetime within ten years, scopes without empty or separator
//! characters, no empty refresh token, and a grant that survives the
//! session store's JSON round trip.
//!
//! Input: the response body.
#![no_main]

use keyhole_providers::{Grant, oauth::TokenResponse, upstream::Reply};
use libfuzzer_sys::fuzz_target;

/// The engine's clamp (`oauth::token::MAX_TTL_SECS`): ten years of 366 days.
const MAX_TTL_SECS: i64 = 10 * 366 * 24 * 3600;

fn parse(body: &[u8]) -> Option<TokenResponse> {
    let reply = Reply {
        status: http::StatusCode::OK,
        headers: http::HeaderMap::new(),
        body: body.to_vec(),
    };
    reply.json::<TokenResponse>("token response").ok()
}

fn check(grant: &Grant) {
    assert!(
        grant
            .scopes
            .iter()
            .all(|s| !s.is_empty() && !s.contains([' ', ','])),
        "scopes {:?}",
        grant.scopes
    );
    assert!(
        grant
            .refresh_token
            .as_ref()
            .is_none_or(|r| !r.secret().is_empty()),
        "an empty refresh token is kept"
    );
    let sealed = serde_json::to_vec(grant).expect("a grant serializes");
    let back: Grant = serde_json::from_slice(&sealed).expect("a grant deserializes");
    assert_eq!(back.expires_at, grant.expires_at);
    assert_eq!(back.scopes, grant.scopes);
}

fuzz_target!(|data: &[u8]| {
    let Some(response) = parse(data) else {
        return;
    };
    let ttl = response.expires_in();
    assert!(
        ttl.is_none_or(|d| (0..=MAX_TTL_SECS).contains(&d.whole_seconds())),
        "lifetime {ttl:?}"
    );
    let had_scope = response.scope.is_some();
    let access_token = response.access_token.clone();
    let grant = response.into_grant(&[], None);
    assert_eq!(grant.access_token.secret(), &access_token);
    assert_eq!(grant.expires_at.is_some(), ttl.is_some());
    check(&grant);

    // With a client's defaults: a lifetime always, the default scopes when
    // the provider named none.
    let response = parse(data).expect("parsed once, parses again");
    let defaults = ["profile".to_owned()];
    let grant = response.into_grant(&defaults, Some(time::Duration::hours(1)));
    assert!(grant.expires_at.is_some());
    if !had_scope {
        assert_eq!(grant.scopes, defaults);
    }
    check(&grant);
});
