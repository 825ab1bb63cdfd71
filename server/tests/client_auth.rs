//! `client_auth = "json"` from configuration alone: a plain OAuth2 provider
//! (`kind = "oauth2"`) whose token endpoint takes the client's credentials
//! in a JSON body — the simulator's Elice token endpoint, which accepts
//! nothing else.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Decision, Harness, Jar};
use keyhole::{Keyhole, config::Config, session::SessionId};
use provider_sim::dev;

/// The simulator's Elice dialect described as a plain OAuth2 provider with
/// `client_auth` as given (id `elice`: the dev client's redirect URI).
fn config(base: &str, client_auth: &str) -> Config {
    let text = format!(
        r#"
        public_url = "{app}"
        [session]
        store = "memory"
        [upstream]
        timeout_ms = 1500
        [[providers]]
        id = "elice"
        kind = "oauth2"
        name = "JSON client"
        client_id = "{client}"
        authorize_url = "{base}/elice/oauth/authorize"
        token_url = "{base}/elice/oauth/token"
        userinfo_url = "{base}/elice/oauth/account"
        client_auth = "{client_auth}"
        scope_separator = ","
        scopes = ["read"]
        pkce = false
        [providers.profile]
        id = "/id"
        display_name = "/fullname"
        email = "/email"
        avatar_url = "/profile_url"
        locale = "/locale"
        "#,
        app = common::APP,
        client = dev::ELICE_CLIENT_ID,
    );
    Config::from_toml(&text, &|name| {
        (name == "KEYHOLE_ELICE_CLIENT_SECRET").then(|| dev::ELICE_CLIENT_SECRET.to_owned())
    })
    .unwrap()
}

/// With `client_auth = "json"` the code is exchanged at an endpoint that
/// reads only a JSON body, and the person is signed in with the profile
/// mapped from the userinfo. The same provider with its credentials in a
/// form (`body`) or in Basic auth is refused there, so the JSON body is
/// what made the difference.
#[tokio::test]
async fn json_client_auth_signs_in_where_only_a_json_body_is_accepted() {
    for (client_auth, works) in [("json", true), ("body", false), ("basic", false)] {
        let sim = common::spawn_sim().await;
        let config = config(&sim.base_url, client_auth);
        let h = Harness::with_state(sim, Keyhole::in_memory(config).unwrap());
        let mut jar = Jar::default();
        let done = h.login("elice", "popup", Decision::Allow, &mut jar).await;
        assert_eq!(h.counter("elice.token").await, 1, "{client_auth}");
        if !works {
            assert!(
                done.body.contains(r#""ok":false"#),
                "{client_auth}: {}",
                done.body
            );
            assert!(jar.get("keyhole_session").is_none(), "{client_auth}");
            continue;
        }
        assert!(
            done.body.contains(r#""ok":true"#),
            "{client_auth}: {}",
            done.body
        );
        let id = SessionId::from_cookie(jar.get("keyhole_session").unwrap());
        let record = h.state.sessions.load(&id).await.unwrap().unwrap();
        let profile = &record.connections["elice"].profile;
        assert!(!profile.id.is_empty());
        assert!(!profile.display_name.is_empty());
        assert!(profile.email.is_some());
        // The token works at the provider: a fresh identity read succeeds.
        let login = h.state.providers.get("elice").unwrap().login().unwrap();
        let grant = &record.connections["elice"].grant;
        assert_eq!(login.identity(grant).await.unwrap().profile.id, profile.id);
    }
}
