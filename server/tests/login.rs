//! A whole sign-in through the router against the real simulator: popup and
//! redirect modes, denial, replayed and foreign `state`, logout.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{APP, Decision, Harness, Jar};
use provider_sim::dev;

#[tokio::test]
async fn popup_login_stores_the_connection_and_me_shows_profile_and_balance() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();

    let start = h.get("/api/auth/aihubmix/login?mode=popup", &mut jar).await;
    assert_eq!(start.status, StatusCode::FOUND);
    assert_eq!(start.header("cache-control"), "no-store");
    assert_eq!(start.header("referrer-policy"), "no-referrer");
    let authorize = url::Url::parse(start.location()).unwrap();
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], dev::AIHUBMIX_CLIENT_ID);
    assert_eq!(
        q["redirect_uri"],
        format!("{APP}/api/auth/aihubmix/callback")
    );
    assert_eq!(q["scope"], "profile balance");
    assert!(q["state"].len() >= 43, "state must carry ≥ 256 bits");
    assert!(!start.location().contains(dev::AIHUBMIX_CLIENT_SECRET));
    let binding = start.set_cookie("keyhole_login").unwrap();
    assert!(
        binding.contains("HttpOnly") && binding.contains("SameSite=Lax"),
        "{binding}"
    );

    let callback = h
        .provider_round_trip(start.location(), Decision::Allow)
        .await;
    let done = h.get(&callback, &mut jar).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.header("content-type").starts_with("text/html"));
    // The page posts to the exact app origin, with a nonce'd script, no token.
    assert!(
        done.body.contains(r#""origin":"http://127.0.0.1:8080""#),
        "{}",
        done.body
    );
    assert!(done.body.contains(r#""ok":true"#));
    let csp = done.header("content-security-policy");
    assert!(
        csp.contains("script-src 'nonce-") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let code = url::Url::parse(&format!("{APP}{callback}"))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    assert!(
        !done.body.contains(&code),
        "the code must not reach the page"
    );
    let session = done.set_cookie("keyhole_session").unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{flag} missing: {session}");
    }

    let me = h.get("/api/me", &mut jar).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.header("cache-control"), "no-store");
    let me = me.json();
    let connection = &me["connections"][0];
    assert_eq!(connection["provider"], "aihubmix");
    assert_eq!(connection["provider_name"], "AIHubMix");
    assert_eq!(connection["status"], "active");
    // AIHubMix has no display name: the username is shown.
    assert_eq!(connection["profile"]["display_name"], "xiaoming");
    assert_eq!(connection["profile"]["email"], "wang.xiaoming@example.com");
    assert_eq!(connection["balance"]["formatted"], "2.00");
    assert_eq!(connection["balance"]["remaining"], "1000000");
    assert_eq!(connection["balance"]["unit"], "quota");
    for secret in [dev::AIHUBMIX_CLIENT_SECRET, "access_token", "refresh_"] {
        assert!(
            !me.to_string().contains(secret),
            "{secret} leaked into /api/me"
        );
    }
}

#[tokio::test]
async fn redirect_login_returns_to_the_app_with_the_result() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let start = h
        .get(
            "/api/auth/aihubmix/login?mode=redirect&return_to=/account",
            &mut jar,
        )
        .await;
    let callback = h
        .provider_round_trip(start.location(), Decision::Allow)
        .await;
    let done = h.get(&callback, &mut jar).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/account?login=ok&provider=aihubmix");
    assert_eq!(h.get("/api/me", &mut jar).await.status, StatusCode::OK);
}

#[tokio::test]
async fn denial_reports_access_denied_and_creates_no_session() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let start = h
        .get("/api/auth/aihubmix/login?mode=redirect", &mut jar)
        .await;
    let callback = h
        .provider_round_trip(start.location(), Decision::Deny)
        .await;
    let done = h.get(&callback, &mut jar).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location(),
        "/?login_error=access_denied&provider=aihubmix"
    );
    assert!(done.set_cookie("keyhole_session").is_none());
    assert_eq!(
        h.get("/api/me", &mut jar).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn provider_error_text_with_markup_stays_inert_in_the_popup_page() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let start = h.get("/api/auth/aihubmix/login?mode=popup", &mut jar).await;
    let state = url::Url::parse(start.location())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let evil = "%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let done = h
        .get(
            &format!("/api/auth/aihubmix/callback?state={state}&error=server_error&error_description={evil}"),
            &mut jar,
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(!done.body.contains("<script>alert(1)"), "{}", done.body);
    assert!(
        done.body.contains(r#""error":"provider_error""#),
        "{}",
        done.body
    );
    assert_eq!(
        done.body.matches("<script").count(),
        2,
        "only our two script blocks"
    );
}

/// The popup's page speaks the browser's language (`Accept-Language`, the
/// app's four: English, Traditional Chinese, Thai, Korean) and says so in
/// `<html lang>`; a language the app lacks gets English. Provider text stays
/// in the escaped JSON block whatever the language.
#[tokio::test]
async fn the_popup_page_speaks_the_browsers_language() {
    let cases = [
        (
            "ko-KR,ko;q=0.9",
            "ko",
            "로그인했습니다. 이 창을 닫아도 됩니다.",
            "로그인이 완료되지 않았습니다.",
            "앱으로 돌아가기",
        ),
        (
            "zh-TW",
            "zh-TW",
            "已登入。你可以關閉這個視窗。",
            "登入沒有完成。",
            "返回應用程式",
        ),
        ("th", "th", "เข้าสู่ระบบแล้ว", "การเข้าสู่ระบบไม่สำเร็จ", "กลับไปที่แอป"),
        (
            "de-DE,fr;q=0.8",
            "en",
            "Signed in. You can close this window.",
            "Sign-in did not complete.",
            "Return to the app",
        ),
    ];
    let h = Harness::start("").await;
    for (accept, tag, signed_in, failed, back) in cases {
        let header = ("accept-language", accept);
        let html_lang = format!(r#"<html lang="{tag}">"#);

        let mut jar = Jar::default();
        let callback = h.approved_callback(&mut jar, "popup").await;
        let done = h.get_with(&callback, header, &mut jar).await;
        assert_eq!(done.status, StatusCode::OK, "{accept}: {}", done.body);
        assert!(done.body.contains(r#""ok":true"#), "{accept}");
        for expected in [html_lang.as_str(), signed_in, back] {
            assert!(
                done.body.contains(expected),
                "{accept}: {expected}\n{}",
                done.body
            );
        }

        // A failed sign-in, with markup in the provider's text.
        let start = h.get("/api/auth/aihubmix/login?mode=popup", &mut jar).await;
        let state = url::Url::parse(start.location())
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let evil = "%3C%2Fp%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E";
        let uri = format!(
            "/api/auth/aihubmix/callback?state={state}&error=server_error&error_description={evil}"
        );
        let refused = h.get_with(&uri, header, &mut jar).await;
        assert_eq!(refused.status, StatusCode::OK, "{accept}");
        for expected in [html_lang.as_str(), failed, back] {
            assert!(
                refused.body.contains(expected),
                "{accept}: {expected}\n{}",
                refused.body
            );
        }
        assert!(
            !refused.body.contains("<script>alert(1)"),
            "{}",
            refused.body
        );
        assert_eq!(refused.body.matches("<script").count(), 2, "{accept}");
    }
}

#[tokio::test]
async fn replayed_forged_and_foreign_states_are_refused_without_a_500() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    let start = h
        .get("/api/auth/aihubmix/login?mode=redirect", &mut jar)
        .await;
    let callback = h
        .provider_round_trip(start.location(), Decision::Allow)
        .await;

    // Another browser (no binding cookie) presents the callback: refused
    // with the page (the mode is unknown) and a 400.
    let mut stranger = Jar::default();
    let stolen = h.get(&callback, &mut stranger).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    assert!(stolen.body.contains(r#""error":"csrf""#), "{}", stolen.body);
    assert!(stolen.set_cookie("keyhole_session").is_none());

    // The stranger could not spend it: the right browser completes.
    let done = h.get(&callback, &mut jar).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().contains("login=ok"), "{}", done.location());

    // The pending login is single-use: the right browser cannot reuse it.
    let replay = h.get(&callback, &mut jar).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(replay.body.contains(r#""error":"csrf""#), "{}", replay.body);

    // Forged and missing states.
    for uri in [
        "/api/auth/aihubmix/callback?state=forged&code=x",
        "/api/auth/aihubmix/callback?code=x",
        "/api/auth/aihubmix/callback",
    ] {
        let reply = h.get(uri, &mut Jar::default()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            reply.body.contains(r#""error":"csrf""#),
            "{uri}: {}",
            reply.body
        );
    }
    assert_eq!(h.get("/api/me", &mut jar).await.status, StatusCode::OK);
}

#[tokio::test]
async fn login_rotates_the_session_id_and_logout_needs_the_csrf_header() {
    let h = Harness::start("").await;
    let mut jar = Jar::default();
    h.sign_in(&mut jar).await;
    let first = jar.get("keyhole_session").unwrap().to_owned();
    h.sign_in(&mut jar).await;
    let second = jar.get("keyhole_session").unwrap().to_owned();
    assert_ne!(first, second, "the session id must rotate at login");
    // The old id no longer works.
    let mut old = Jar::default();
    old.0.insert("keyhole_session".into(), first);
    assert_eq!(
        h.get("/api/me", &mut old).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Logout without the header: 403 csrf, session intact.
    let refused = h
        .send(
            axum::http::Request::post("/api/auth/logout")
                .header("cookie", format!("keyhole_session={second}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["code"], "csrf");
    assert_eq!(h.get("/api/me", &mut jar).await.status, StatusCode::OK);

    let out = h.post_app("/api/auth/logout", &mut jar).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(jar.get("keyhole_session").is_none(), "cookie cleared");
    let mut replay = Jar::default();
    replay.0.insert("keyhole_session".into(), second);
    assert_eq!(
        h.get("/api/me", &mut replay).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn auto_authorize_skips_the_consent_page() {
    let h = Harness::start("auto_authorize = true").await;
    let mut jar = Jar::default();
    let start = h.get("/api/auth/aihubmix/login?mode=popup", &mut jar).await;
    assert!(start.location().contains("auto_authorize=true"));
    let response = h.http.get(start.location()).send().await.unwrap();
    assert!(
        response.status().is_redirection(),
        "no consent page expected"
    );
}

/// A whole Feishu v2 sign-in through the router (the dev config's Feishu):
/// the authorize page on the accounts path with PKCE S256 and
/// `offline_access`, the callback exchanging the code with the verifier,
/// the profile from `user_info` in `/api/me`, and no v1 call at all.
#[tokio::test]
async fn feishu_v2_popup_login_through_the_router() {
    let h = Harness::start_all().await;
    let mut jar = Jar::default();
    let start = h.get("/api/auth/feishu/login?mode=popup", &mut jar).await;
    assert_eq!(start.status, StatusCode::FOUND, "{}", start.body);
    let authorize = url::Url::parse(start.location()).unwrap();
    assert_eq!(authorize.path(), "/feishu/open-apis/authen/v1/authorize");
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], dev::FEISHU_APP_ID);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], format!("{APP}/api/auth/feishu/callback"));
    assert_eq!(q["scope"], "offline_access");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(!q.contains_key("app_id"), "v1's parameter");
    assert!(!start.location().contains(dev::FEISHU_APP_SECRET));

    let callback = h
        .provider_round_trip(start.location(), Decision::Allow)
        .await;
    let done = h.get(&callback, &mut jar).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);

    let me = h.get("/api/me", &mut jar).await.json();
    let connection = &me["connections"][0];
    assert_eq!(connection["provider"], "feishu");
    assert_eq!(connection["kind"], "feishu");
    assert_eq!(connection["status"], "active");
    assert_eq!(connection["profile"]["display_name"], "王小明");
    assert_eq!(
        connection["profile"]["id"],
        "ou_5a1f0e7c3b9d48e26f1a0c7d9e3b5a21"
    );
    assert_eq!(connection["profile"]["email"], "wang.xiaoming@example.com");
    for secret in [
        dev::FEISHU_APP_SECRET,
        "access_token",
        "refresh_token",
        "eyJ",
    ] {
        assert!(
            !me.to_string().contains(secret),
            "{secret} leaked into /api/me"
        );
    }
    assert_eq!(h.counter("feishu.v2.token.authorization_code").await, 1);
    assert_eq!(h.counter("feishu.user_info").await, 1);
    for v1 in [
        "feishu.app_access_token",
        "feishu.access_token",
        "feishu.authorize",
    ] {
        assert_eq!(h.counter(v1).await, 0, "{v1}");
    }

    let out = h.post_app("/api/auth/logout", &mut jar).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
}
