//! Logout revokes at the providers: every connection whose provider has a
//! revocation endpoint is revoked there, and its old tokens stop working.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{Decision, Harness, Jar};
use keyhole::{
    providers::{Grant, ProviderError},
    session::SessionId,
};

/// Providers of the dev config with a revocation endpoint, and the
/// simulator's counter of it.
const REVOCABLE: &[(&str, &str)] = &[
    ("line", "line.revoke"),
    ("oidc", "oidc.revoke"),
    ("line-notify", "line-notify.revoke"),
];

/// One session with LINE, OpenID Connect and AIHubMix signed in and LINE
/// Notify connected. `POST /api/auth/logout` calls each revocable
/// provider's revocation endpoint once, and afterwards the old access
/// tokens are refused by the provider itself (AIHubMix has no revocation
/// endpoint: its tokens are only forgotten).
#[tokio::test]
async fn logout_revokes_each_revocable_connection_upstream() {
    let h = Harness::start_all().await;
    let mut jar = Jar::default();
    for provider in ["line", "oidc", "aihubmix", "line-notify"] {
        let done = h.login(provider, "popup", Decision::Allow, &mut jar).await;
        assert!(
            done.body.contains(r#""ok":true"#),
            "{provider}: {}",
            done.body
        );
    }
    let id = SessionId::from_cookie(jar.get("keyhole_session").unwrap());
    let record = h.state.sessions.load(&id).await.unwrap().unwrap();
    assert_eq!(record.connections.len(), 4);
    let grants: Vec<(&str, Grant)> = REVOCABLE
        .iter()
        .map(|(provider, _)| (*provider, record.connections[*provider].grant.clone()))
        .collect();
    // Before: every token works at its provider, and nothing was revoked.
    for (provider, grant) in &grants {
        let login = h.state.providers.get(provider).unwrap().login().unwrap();
        assert!(login.identity(grant).await.is_ok(), "{provider}");
    }
    for (provider, counter) in REVOCABLE {
        assert_eq!(h.counter(counter).await, 0, "{provider}");
    }

    let out = h.post_app("/api/auth/logout", &mut jar).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
    assert!(jar.get("keyhole_session").is_none());

    for (provider, counter) in REVOCABLE {
        assert_eq!(h.counter(counter).await, 1, "{provider}: revoked once");
    }
    for (provider, grant) in &grants {
        let login = h.state.providers.get(provider).unwrap().login().unwrap();
        let after = login.identity(grant).await;
        assert!(
            matches!(after, Err(ProviderError::Unauthorized)),
            "{provider}: the old access token still works: {:?}",
            after.map(|_| ())
        );
    }
    assert!(h.state.sessions.load(&id).await.unwrap().is_none());
}
