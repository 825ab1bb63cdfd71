//! The provider contract suite: every adapter of the dev config against the
//! simulator — sign-in, denial, provider 5xx, slow and malformed answers at
//! the token endpoint, refresh, revocation — plus each kind's own cases
//! (Feishu: both login generations).

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{Callback, Decision, Harness, Jar};
use keyhole::{
    providers::{Grant, ProviderError},
    session::{ConnectionRecord, SessionId},
};
use reqwest::Method;
use serde_json::json;

/// The sign-in kinds of the dev config: (provider id, token-endpoint fault key).
const LOGIN_KINDS: &[(&str, &str)] = &[
    ("aihubmix", "aihubmix.token"),
    ("line", "line.token"),
    ("elice", "elice.token"),
    ("feishu", "feishu.v2.token"),
    ("oidc", "oidc.token"),
];

/// Signs in with `provider` and returns the jar and the stored connection.
async fn signed_in(h: &Harness, provider: &str) -> (Jar, ConnectionRecord) {
    let mut jar = Jar::default();
    let done = h.login(provider, "popup", Decision::Allow, &mut jar).await;
    assert!(
        done.body.contains(r#""ok":true"#),
        "{provider}: {}",
        done.body
    );
    let id = SessionId::from_cookie(jar.get("keyhole_session").unwrap());
    let record = h.state.sessions.load(&id).await.unwrap().unwrap();
    let connection = record.connections[provider].clone();
    (jar, connection)
}

fn login_error(body: &str) -> String {
    let start = body.find(r#""error":""#).map(|i| i + 9).unwrap_or(0);
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn every_kind_signs_in_and_shows_a_profile() {
    let h = Harness::start_all().await;
    for (provider, _) in LOGIN_KINDS {
        let (mut jar, connection) = signed_in(&h, provider).await;
        assert!(!connection.profile.id.is_empty(), "{provider}");
        assert!(!connection.profile.display_name.is_empty(), "{provider}");
        let me = h.get("/api/me", &mut jar).await.json();
        assert_eq!(me["connections"][0]["provider"], *provider);
        // Only provider data, never tokens, in what the app gets.
        let text = me.to_string();
        assert!(
            !text.contains(connection.grant.access_token.secret()),
            "{provider}"
        );
    }
}

#[tokio::test]
async fn every_kind_reports_a_denial_as_access_denied() {
    let h = Harness::start_all().await;
    for (provider, _) in LOGIN_KINDS {
        let mut jar = Jar::default();
        let done = h.login(provider, "popup", Decision::Deny, &mut jar).await;
        assert_eq!(
            login_error(&done.body),
            "access_denied",
            "{provider}: {}",
            done.body
        );
        assert!(jar.get("keyhole_session").is_none(), "{provider}");
    }
}

#[tokio::test]
async fn token_endpoint_outage_slowness_and_garbage_fail_cleanly() {
    let h = Harness::start_all().await;
    for (provider, key) in LOGIN_KINDS {
        for fault in [
            json!({"endpoint": key, "count": 1, "status": 503}),
            json!({"endpoint": key, "count": 1, "latency_ms": 2500}),
            json!({"endpoint": key, "count": 1, "body": "{not json", "status": 200}),
            json!({"endpoint": key, "count": 1, "drop": true}),
        ] {
            h.admin(Method::POST, "/faults", fault.clone()).await;
            let mut jar = Jar::default();
            let done = h
                .login(provider, "redirect", Decision::Allow, &mut jar)
                .await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{provider} {fault}");
            let error = done.location().to_owned();
            assert!(
                error.contains("login_error=provider_unavailable")
                    || error.contains("login_error=provider_error"),
                "{provider} {fault}: {error}"
            );
            assert!(jar.get("keyhole_session").is_none(), "{provider} {fault}");
        }
        h.admin(Method::DELETE, "/faults", json!({})).await;
    }
}

#[tokio::test]
async fn refreshing_kinds_refresh_and_revocation_sticks() {
    let h = Harness::start_all().await;
    for provider in ["aihubmix", "line", "feishu", "oidc"] {
        let adapter = h.state.providers.get(provider).unwrap().clone();
        let adapter = adapter.login().unwrap();
        let (_, connection) = signed_in(&h, provider).await;
        let fresh: Grant = adapter.refresh(&connection.grant).await.unwrap();
        assert_ne!(
            fresh.access_token.secret(),
            connection.grant.access_token.secret(),
            "{provider}: a new access token"
        );
        adapter.identity(&fresh).await.unwrap();
        adapter.revoke(&fresh).await.unwrap();
    }
    // Where revocation exists, the revoked token no longer works.
    for provider in ["line", "oidc"] {
        let adapter = h.state.providers.get(provider).unwrap().clone();
        let adapter = adapter.login().unwrap();
        let (_, connection) = signed_in(&h, provider).await;
        adapter.revoke(&connection.grant).await.unwrap();
        let after = adapter.identity(&connection.grant).await;
        assert!(
            matches!(after, Err(ProviderError::Unauthorized)),
            "{provider}: {after:?}"
        );
    }
}

#[tokio::test]
async fn rotated_refresh_tokens_are_single_use() {
    let h = Harness::start_all().await;
    for provider in ["aihubmix", "feishu", "oidc"] {
        let adapter = h.state.providers.get(provider).unwrap().clone();
        let adapter = adapter.login().unwrap();
        let (_, connection) = signed_in(&h, provider).await;
        adapter.refresh(&connection.grant).await.unwrap();
        let reused = adapter.refresh(&connection.grant).await;
        assert!(
            reused.as_ref().is_err_and(ProviderError::is_invalid_grant),
            "{provider}: {:?}",
            reused.map(|_| ())
        );
    }
}

#[tokio::test]
async fn line_keeps_its_refresh_token_and_reads_email_from_the_id_token() {
    let h = Harness::start_all().await;
    let adapter = h.state.providers.get("line").unwrap().clone();
    let adapter = adapter.login().unwrap();
    let (mut jar, connection) = signed_in(&h, "line").await;
    assert!(
        connection.profile.email.is_some(),
        "email from the ID token"
    );
    assert!(connection.grant.claims.contains_key("sub"));
    let fresh = adapter.refresh(&connection.grant).await.unwrap();
    assert_eq!(
        fresh.refresh_token.as_ref().unwrap().secret(),
        connection.grant.refresh_token.as_ref().unwrap().secret(),
        "LINE does not rotate refresh tokens"
    );
    let friendship = h.get("/api/me/line/friendship", &mut jar).await;
    assert_eq!(friendship.status, StatusCode::OK, "{}", friendship.body);
    let body = friendship.json();
    assert!(body["friend"].is_boolean());
    assert_eq!(
        body["add_friend_url"],
        "https://line.me/R/ti/p/@keyhole-dev"
    );
}

#[tokio::test]
async fn elice_tokens_expire_without_refresh() {
    let h = Harness::start_all().await;
    let adapter = h.state.providers.get("elice").unwrap().clone();
    let adapter = adapter.login().unwrap();
    let (_, connection) = signed_in(&h, "elice").await;
    let grant = &connection.grant;
    assert!(grant.refresh_token.is_none());
    let left = grant.expires_at.unwrap() - keyhole::clock::now();
    assert!(left > time::Duration::minutes(59) && left <= time::Duration::hours(1));
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 3601}))
        .await;
    let after = adapter.identity(grant).await;
    assert!(
        matches!(after, Err(ProviderError::Unauthorized)),
        "{after:?}"
    );
    assert!(matches!(
        adapter.refresh(grant).await,
        Err(ProviderError::NotSupported)
    ));
}

/// A keyhole whose only provider is Feishu on the historic v1 login.
async fn feishu_v1() -> Harness {
    let sim = common::spawn_sim().await;
    let text = format!(
        r#"
        public_url = "{}"
        [session]
        store = "memory"
        [upstream]
        timeout_ms = 1500
        [[providers]]
        id = "feishu"
        kind = "feishu"
        name = "Feishu"
        client_id = "{}"
        api = "v1"
        base_url = "{}/feishu"
        "#,
        common::APP,
        provider_sim::dev::FEISHU_APP_ID,
        sim.base_url,
    );
    let config =
        keyhole::config::Config::from_toml(&text, &|n| common::dev_secret(n).map(str::to_owned))
            .unwrap();
    Harness::with_state(sim, keyhole::Keyhole::in_memory(config).unwrap())
}

/// Feishu v1 keeps its contract: sign-in with the app token, a rotating
/// single-use refresh token, token-endpoint faults that fail cleanly.
#[tokio::test]
async fn feishu_v1_signs_in_refreshes_once_per_token_and_fails_cleanly() {
    let h = feishu_v1().await;
    let adapter = h.state.providers.get("feishu").unwrap().clone();
    let adapter = adapter.login().unwrap();
    let (_, connection) = signed_in(&h, "feishu").await;
    assert!(connection.profile.id.starts_with("ou_"));
    let fresh = adapter.refresh(&connection.grant).await.unwrap();
    assert_ne!(
        fresh.refresh_token.as_ref().unwrap().secret(),
        connection.grant.refresh_token.as_ref().unwrap().secret()
    );
    adapter.identity(&fresh).await.unwrap();
    let reused = adapter.refresh(&connection.grant).await;
    assert!(reused.as_ref().is_err_and(ProviderError::is_invalid_grant));
    assert_eq!(h.counter("feishu.v2.token").await, 0, "v1 only");
    for fault in [
        json!({"endpoint": "feishu.access_token", "count": 1, "status": 503}),
        json!({"endpoint": "feishu.access_token", "count": 1, "body": "{not json", "status": 200}),
    ] {
        h.admin(Method::POST, "/faults", fault.clone()).await;
        let mut jar = Jar::default();
        let done = h
            .login("feishu", "redirect", Decision::Allow, &mut jar)
            .await;
        assert!(
            done.location().contains("login_error=provider_unavailable"),
            "{fault}: {}",
            done.location()
        );
    }
}

#[tokio::test]
async fn feishu_v1_envelope_errors_with_http_200_are_errors() {
    let h = feishu_v1().await;
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "feishu.access_token", "count": 1, "status": 200,
               "body": "{\"code\":20008,\"msg\":\"user not exist\"}"}),
    )
    .await;
    let mut jar = Jar::default();
    let done = h
        .login("feishu", "redirect", Decision::Allow, &mut jar)
        .await;
    assert!(
        done.location().contains("login_error=provider_error"),
        "{}",
        done.location()
    );
    // The app token is fetched once and reused across logins.
    signed_in(&h, "feishu").await;
    signed_in(&h, "feishu").await;
    assert_eq!(h.counter("feishu.app_access_token").await, 1);
}

/// The Feishu v2 adapter of the dev config.
fn feishu_v2(h: &Harness) -> std::sync::Arc<keyhole::providers::Provider> {
    h.state.providers.get("feishu").unwrap().clone()
}

/// Feishu v2 sign-in: the code is worth nothing without the PKCE verifier of
/// the login that asked for it, keyhole sends that verifier, and
/// `offline_access` brings a refresh token; no app token is ever asked for.
#[tokio::test]
async fn feishu_v2_signs_in_with_the_pkce_verifier_and_gets_a_refresh_token() {
    let h = Harness::start_all().await;
    let provider = feishu_v2(&h);
    let login = provider.login().unwrap();
    assert!(login.uses_pkce());
    let mut jar = Jar::default();
    let start = h.get("/api/auth/feishu/login?mode=popup", &mut jar).await;
    let Callback::Get(callback) = h.round_trip(start.location(), Decision::Allow).await else {
        panic!("Feishu redirects back")
    };
    let code = url::Url::parse(&format!("{}{callback}", common::APP))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let redirect_uri = format!("{}/api/auth/feishu/callback", common::APP);
    let extras = std::collections::BTreeMap::new();
    for verifier in [None, Some("x".repeat(43))] {
        let refused = login
            .exchange(keyhole::providers::ExchangeRequest {
                code: code.clone(),
                pkce_verifier: verifier.clone(),
                redirect_uri: &redirect_uri,
                nonce: "",
                callback: &extras,
            })
            .await;
        assert!(
            refused.as_ref().is_err_and(ProviderError::is_invalid_grant),
            "{verifier:?}: {:?}",
            refused.map(|_| ())
        );
    }
    // The refused attempts did not spend the code: keyhole's own exchange,
    // with the verifier it kept for this login, completes it.
    let done = h.get(&callback, &mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    let id = SessionId::from_cookie(jar.get("keyhole_session").unwrap());
    let record = h.state.sessions.load(&id).await.unwrap().unwrap();
    let connection = &record.connections["feishu"];
    let grant = &connection.grant;
    assert!(grant.refresh_token.is_some(), "offline_access was granted");
    assert!(grant.scopes.iter().any(|s| s == "offline_access"));
    let left = grant.expires_at.unwrap() - keyhole::clock::now();
    assert!(left > time::Duration::minutes(119) && left <= time::Duration::hours(2));
    assert_eq!(connection.profile.display_name, "王小明");
    assert!(connection.profile.id.starts_with("ou_"));
    assert_eq!(connection.profile.extra["en_name"], "Wang Xiaoming");
    assert_eq!(h.counter("feishu.v2.token.authorization_code").await, 3);
    assert_eq!(h.counter("feishu.app_access_token").await, 0);
    assert_eq!(h.counter("feishu.access_token").await, 0);
}

/// Feishu v2 refresh tokens rotate and are single use: the old one is
/// refused at once (the person must sign in again if that is all they
/// hold), the old access token lives on for the one-minute grace only, and
/// the new refresh token keeps the rotation going.
#[tokio::test]
async fn feishu_v2_refresh_rotates_and_the_old_tokens_die() {
    let h = Harness::start_all().await;
    let provider = feishu_v2(&h);
    let login = provider.login().unwrap();
    let (_, connection) = signed_in(&h, "feishu").await;
    let old = connection.grant;
    let fresh = login.refresh(&old).await.unwrap();
    let secret = |g: &Grant| g.refresh_token.as_ref().unwrap().secret().clone();
    assert_ne!(secret(&fresh), secret(&old));
    assert_ne!(fresh.access_token.secret(), old.access_token.secret());
    assert!(fresh.scopes.iter().any(|s| s == "offline_access"));

    let reused = login.refresh(&old).await.unwrap_err();
    assert!(reused.is_invalid_grant(), "{reused:?}");
    assert_eq!(
        keyhole::ApiError::from_provider("feishu", &reused).code(),
        keyhole_api::ErrorCode::ReauthRequired
    );

    login.identity(&old).await.unwrap();
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 61}))
        .await;
    let after = login.identity(&old).await;
    assert!(
        matches!(after, Err(ProviderError::Unauthorized)),
        "{after:?}"
    );
    login.identity(&fresh).await.unwrap();

    let third = login.refresh(&fresh).await.unwrap();
    login.identity(&third).await.unwrap();
    assert_eq!(h.counter("feishu.v2.token.refresh_token").await, 3);
}

/// Feishu v2 refresh failures by what they mean: a server error, "try
/// later" and the rate limit keep the grant (and do not spend the refresh
/// token); a revoked or expired refresh token means signing in again.
#[tokio::test]
async fn feishu_v2_outages_keep_the_grant_and_dead_refresh_tokens_mean_sign_in_again() {
    let h = Harness::start_all().await;
    let provider = feishu_v2(&h);
    let login = provider.login().unwrap();
    let (_, connection) = signed_in(&h, "feishu").await;
    let grant = connection.grant;
    let body = |code: u32, error: &str| {
        json!({"code": code, "error": error, "error_description": "from the fault"}).to_string()
    };
    for (status, body, rate_limited) in [
        (500, body(20050, "server_error"), false),
        (503, body(20072, "temporarily_unavailable"), false),
        (
            429,
            json!({"code": 99_991_400, "msg": "frequency limit"}).to_string(),
            true,
        ),
        (
            200,
            json!({"code": 99_991_400, "msg": "frequency limit"}).to_string(),
            true,
        ),
    ] {
        let fault =
            json!({"endpoint": "feishu.v2.token", "count": 1, "status": status, "body": body});
        h.admin(Method::POST, "/faults", fault).await;
        let e = login.refresh(&grant).await.unwrap_err();
        let api = keyhole::ApiError::from_provider("feishu", &e);
        if rate_limited {
            assert!(
                matches!(e, ProviderError::RateLimited(_)),
                "{status}: {e:?}"
            );
            assert_eq!(api.code(), keyhole_api::ErrorCode::RateLimited);
        } else {
            assert!(
                matches!(e, ProviderError::Unavailable(_)),
                "{status}: {e:?}"
            );
            assert_eq!(api.code(), keyhole_api::ErrorCode::ProviderUnavailable);
        }
    }
    let fresh = login.refresh(&grant).await.unwrap();

    let refresh_token = fresh.refresh_token.as_ref().unwrap().secret();
    h.admin(
        Method::POST,
        "/tokens/revoke",
        json!({"refresh_token": refresh_token}),
    )
    .await;
    let revoked = login.refresh(&fresh).await.unwrap_err();
    assert!(revoked.is_invalid_grant(), "{revoked:?}");

    let (_, connection) = signed_in(&h, "feishu").await;
    let week = 604_800 + 1;
    h.admin(Method::POST, "/clock/advance", json!({"seconds": week}))
        .await;
    let expired = login.refresh(&connection.grant).await.unwrap_err();
    assert!(expired.is_invalid_grant(), "{expired:?}");
}

/// `user_info`'s envelope errors are errors with Feishu's code and message,
/// an expired user token asks for a refresh, and a sign-in whose profile
/// call fails ends in a clean `provider_error`.
#[tokio::test]
async fn feishu_v2_user_info_envelope_errors_are_clear() {
    let h = Harness::start_all().await;
    let provider = feishu_v2(&h);
    let login = provider.login().unwrap();
    let (_, connection) = signed_in(&h, "feishu").await;
    let grant = &connection.grant;
    let envelope = |code: u64, msg: &str| {
        json!({"endpoint": "feishu.user_info", "count": 1, "status": 200,
               "body": json!({"code": code, "msg": msg}).to_string()})
    };
    h.admin(
        Method::POST,
        "/faults",
        envelope(99_991_672, "app lacks scope"),
    )
    .await;
    match login.identity(grant).await {
        Err(ProviderError::Rejected { error, description }) => {
            assert_eq!(error, "feishu_99991672");
            assert_eq!(description.as_deref(), Some("app lacks scope"));
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    h.admin(
        Method::POST,
        "/faults",
        envelope(99_991_400, "frequency limit"),
    )
    .await;
    assert!(matches!(
        login.identity(grant).await,
        Err(ProviderError::RateLimited(_))
    ));
    h.admin(Method::POST, "/clock/advance", json!({"seconds": 7201}))
        .await;
    let expired = login.identity(grant).await;
    assert!(
        matches!(expired, Err(ProviderError::Unauthorized)),
        "{expired:?}"
    );

    h.admin(Method::POST, "/faults", envelope(20008, "user not exist"))
        .await;
    let mut jar = Jar::default();
    let done = h
        .login("feishu", "redirect", Decision::Allow, &mut jar)
        .await;
    assert!(
        done.location().contains("login_error=provider_error"),
        "{}",
        done.location()
    );
    assert!(jar.get("keyhole_session").is_none());
}

#[tokio::test]
async fn line_notify_connects_to_a_session_and_sends_with_rate_limits() {
    let h = Harness::start_all().await;
    // Connect-only: without a session it is refused.
    let mut stranger = Jar::default();
    let refused = h
        .get("/api/auth/line-notify/login?mode=popup", &mut stranger)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let (mut jar, _) = signed_in(&h, "aihubmix").await;
    let done = h
        .login("line-notify", "popup", Decision::Allow, &mut jar)
        .await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    let me = h.get("/api/me", &mut jar).await.json();
    assert_eq!(me["connections"].as_array().unwrap().len(), 2, "{me}");

    let sent = h
        .post_json(
            "/api/me/line-notify/notify",
            json!({"message": "こんにちは"}),
            &mut jar,
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.json()["rate_limit"]["remaining"].as_u64().is_some());
    assert!(!sent.header("x-ratelimit-remaining").is_empty());
    for bad in [String::new(), "x".repeat(1001)] {
        let reply = h
            .post_json(
                "/api/me/line-notify/notify",
                json!({"message": bad}),
                &mut jar,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.json()["code"], "invalid_request");
    }
    let exactly = h
        .post_json(
            "/api/me/line-notify/notify",
            json!({"message": "字".repeat(1000)}),
            &mut jar,
        )
        .await;
    assert_eq!(exactly.status, StatusCode::OK, "1000 characters is allowed");

    // Disconnect revokes at LINE Notify; the session keeps the other provider.
    let gone = h
        .post_app("/api/auth/line-notify/disconnect", &mut jar)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert!(h.counter("line-notify.revoke").await >= 1);
    let me = h.get("/api/me", &mut jar).await.json();
    assert_eq!(me["connections"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_plain_oauth2_provider_works_from_configuration_alone() {
    // The simulator's OIDC dialect, described as plain OAuth2 with pointers.
    for auth in ["basic", "body"] {
        let sim = common::spawn_sim().await;
        let base = &sim.base_url;
        let text = format!(
            r#"
            public_url = "{}"
            [session]
            store = "memory"
            [[providers]]
            id = "oidc"
            kind = "oauth2"
            name = "Plain"
            client_id = "{}"
            authorize_url = "{base}/oidc/authorize"
            token_url = "{base}/oidc/token"
            userinfo_url = "{base}/oidc/userinfo"
            revocation_url = "{base}/oidc/revoke"
            client_auth = "{auth}"
            scopes = ["openid", "profile", "email"]
            [providers.profile]
            id = "/sub"
            display_name = "/preferred_username"
            "#,
            common::APP,
            provider_sim::dev::OIDC_CLIENT_ID,
        );
        let config = keyhole::config::Config::from_toml(&text, &|n| {
            (n == "KEYHOLE_OIDC_CLIENT_SECRET")
                .then(|| provider_sim::dev::OIDC_CLIENT_SECRET.to_owned())
        })
        .unwrap();
        let h = Harness::with_state(sim, keyhole::Keyhole::in_memory(config).unwrap());
        let (_, connection) = signed_in(&h, "oidc").await;
        assert!(!connection.profile.display_name.is_empty(), "{auth}");
        assert!(
            connection.profile.email.is_some(),
            "{auth}: default /email pointer"
        );
        let adapter = h.state.providers.get("oidc").unwrap().clone();
        let adapter = adapter.login().unwrap();
        let fresh = adapter.refresh(&connection.grant).await.unwrap();
        adapter.revoke(&fresh).await.unwrap();
        assert!(matches!(
            adapter.identity(&fresh).await,
            Err(ProviderError::Unauthorized)
        ));
    }
}

/// Queues a 200 answer at `endpoint` whose body is the JSON found at `url`
/// followed by enough whitespace to pass the 1 MiB cap: still valid JSON,
/// so only the cap can refuse it. Returns that JSON.
async fn oversized_answer(h: &Harness, endpoint: &str, url: &str) -> serde_json::Value {
    let body: serde_json::Value = h.http.get(url).send().await.unwrap().json().await.unwrap();
    let padded = format!("{body}{}", " ".repeat(1024 * 1024 + 1));
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": endpoint, "status": 200, "body": padded}),
    )
    .await;
    body
}

/// Every upstream read is capped: a token response, a discovery document and
/// a key set that are valid but larger than 1 MiB are refused, and the same
/// calls succeed once the provider answers normally again.
#[tokio::test]
async fn oversized_upstream_bodies_are_refused_on_every_path() {
    let h = Harness::start_all().await;

    // Token endpoint: a valid token response, padded.
    let aihubmix = h.state.providers.get("aihubmix").unwrap().clone();
    let login = aihubmix.login().unwrap();
    let callback = std::collections::BTreeMap::new();
    let exchange = |code: &str| keyhole::providers::ExchangeRequest {
        code: code.to_owned(),
        pkce_verifier: None,
        redirect_uri: "http://127.0.0.1:8080/api/auth/aihubmix/callback",
        nonce: "n",
        callback: &callback,
    };
    let token = json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60});
    let padded = format!("{token}{}", " ".repeat(1024 * 1024 + 1));
    for body in [padded, token.to_string()] {
        let fault = json!({"endpoint": "aihubmix.token", "status": 200, "body": body});
        h.admin(Method::POST, "/faults", fault).await;
        let result = login.exchange(exchange("any")).await;
        if body.len() > 1024 * 1024 {
            match result {
                Err(ProviderError::Malformed(why)) => assert!(why.contains("too large"), "{why}"),
                other => panic!("{:?}", other.map(|_| ())),
            }
        } else {
            assert_eq!(result.unwrap().access_token.secret(), "at");
        }
    }

    // OIDC discovery: the real document, padded; discovery is retried after.
    let url = format!("{}/oidc/.well-known/openid-configuration", h.sim.base_url);
    let discovery = oversized_answer(&h, "oidc.discovery", &url).await;
    let mut jar = Jar::default();
    let refused = h.get("/api/auth/oidc/login?mode=popup", &mut jar).await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY, "{}", refused.body);
    assert_eq!(refused.json()["code"], "provider_unavailable");
    let started = h.get("/api/auth/oidc/login?mode=popup", &mut jar).await;
    assert_eq!(started.status, StatusCode::FOUND, "{}", started.body);

    // JWKS: the real key set, padded; the ID token cannot be checked.
    oversized_answer(&h, "oidc.jwks", discovery["jwks_uri"].as_str().unwrap()).await;
    let mut jar = Jar::default();
    let done = h.login("oidc", "popup", Decision::Allow, &mut jar).await;
    assert_eq!(
        login_error(&done.body),
        "provider_unavailable",
        "{}",
        done.body
    );
    let (_, connection) = signed_in(&h, "oidc").await;
    assert!(!connection.profile.id.is_empty());
}
