//! The authorize endpoint: consent, errors, the add-friend option, form_post, prompt=none.

use super::*;

/// Consent lists the users; Allow redirects with a code and the state, no
/// `friendship_status_changed` without `bot_prompt`, and sets the SSO cookie.
#[tokio::test]
async fn allow_redirects_with_code_and_state() {
    let h = &Harness::start().await;
    let html = h.page(&[]).await;
    for name in ["王小明", "สมชาย ใจดี", "김민준", "Alice Example"] {
        assert!(html.contains(name));
    }
    assert!(html.contains(">Allow</button>") && html.contains(">Deny</button>"));
    assert!(!html.contains("as a friend"));
    let response = h
        .submit(&html, &[("user_id", "12346"), ("decision", "allow")])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(
        response.headers()[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .starts_with("keyhole_sim_line_user=12346")
    );
    let query = redirect_query(&response);
    assert_eq!(query["state"], STATE);
    assert!(query.contains_key("code"));
    assert!(!query.contains_key("friendship_status_changed"));
}

/// Deny is `ACCESS_DENIED` in upper case (or lower case with the option).
#[tokio::test]
async fn deny_is_upper_case_access_denied() {
    let h = &Harness::start().await;
    for (case, expected) in [("upper", "ACCESS_DENIED"), ("lower", "access_denied")] {
        h.admin(
            Method::PUT,
            "/_sim/line/options",
            json!({ "error_case": case }),
        )
        .await;
        let html = h.page(&[]).await;
        let response = h
            .submit(&html, &[("user_id", "12345"), ("decision", "deny")])
            .await;
        let query = redirect_query(&response);
        assert_eq!(query["error"], expected);
        assert_eq!(
            query["error_description"],
            "The resource owner denied the request."
        );
        assert_eq!(query["state"], STATE);
        assert!(!query.contains_key("code"));
    }
}

/// Bad client or redirect URI: a 400 page, never a redirect. Other errors
/// redirect with LINE's upper-case codes.
#[tokio::test]
async fn authorize_errors() {
    let h = &Harness::start().await;
    for extra in [
        [("client_id", "999")],
        [("redirect_uri", "http://evil.example/cb")],
        [("redirect_uri", "")],
    ] {
        let response = h.get(&h.authorize_url(&extra)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::LOCATION).is_none());
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER));
    let cases: [(&[(&str, &str)], &str); 8] = [
        (&[("response_type", "token")], "UNSUPPORTED_RESPONSE_TYPE"),
        (&[("scope", "profile chat")], "INVALID_SCOPE"),
        (&[("scope", "email")], "INVALID_SCOPE"),
        (&[("scope", "profile email")], "INVALID_SCOPE"),
        (&[("state", "")], "INVALID_REQUEST"),
        (&[("bot_prompt", "always")], "INVALID_REQUEST"),
        (
            &[
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "plain"),
            ],
            "INVALID_REQUEST",
        ),
        (&[("code_challenge", challenge.as_str())], "INVALID_REQUEST"),
    ];
    for (extra, error) in cases {
        let response = h.get(&h.authorize_url(extra)).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{extra:?}");
        let query = redirect_query(&response);
        assert_eq!(query["error"], error, "{extra:?}");
        assert!(query.contains_key("error_description"));
    }
}

/// `bot_prompt=normal`: a checkbox on the consent page; ticking it befriends
/// the user (`true`), leaving it is `false`, an existing friend gets `false`.
#[tokio::test]
async fn bot_prompt_normal_checkbox() {
    let h = &Harness::start().await;
    let extra = [("bot_prompt", "normal")];
    assert!(
        h.page(&extra)
            .await
            .contains("Add Keyhole 通知 (dev) as a friend")
    );
    let query = h.consent(&extra, "12346", &[("add_friend", "yes")]).await;
    assert_eq!(query["friendship_status_changed"], "true");
    assert_eq!(
        h.consent(&extra, "12348", &[]).await["friendship_status_changed"],
        "false"
    );
    assert_eq!(
        h.consent(&extra, "12345", &[("add_friend", "yes")]).await["friendship_status_changed"],
        "false"
    );
    let friendships = h
        .admin(Method::GET, "/_sim/line-bot/friendships", Value::Null)
        .await;
    let states: Vec<&str> = friendships
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["friend", "friend", "blocked", "not_friend"]);
    // The option can leave the parameter out for existing friends.
    h.admin(
        Method::PUT,
        "/_sim/line/options",
        json!({"already_friend_result": "absent"}),
    )
    .await;
    assert!(
        !h.consent(&extra, "12345", &[])
            .await
            .contains_key("friendship_status_changed")
    );
}

/// `bot_prompt=aggressive`: a separate add-friend step after Allow, which can unblock.
#[tokio::test]
async fn bot_prompt_aggressive_step() {
    let h = &Harness::start().await;
    let html = h.page(&[("bot_prompt", "aggressive")]).await;
    assert!(!html.contains("as a friend"));
    let step = h
        .submit(&html, &[("user_id", "12347"), ("decision", "allow")])
        .await;
    assert_eq!(step.status(), StatusCode::OK);
    let step = step.text().await.expect("body");
    assert!(step.contains("Add Keyhole 通知 (dev) as a friend?"));
    let response = h.submit(&step, &[("add_friend", "yes")]).await;
    let query = redirect_query(&response);
    assert_eq!(query["friendship_status_changed"], "true");
    let (_, body) = h.exchange(&query["code"], web(), None).await;
    let access = body["access_token"].as_str().expect("token");
    assert_eq!(
        h.bearer(Method::GET, "/line/friendship/v1/status", access)
            .await
            .1["friendFlag"],
        true
    );
    let step = h
        .submit(
            &h.page(&[("bot_prompt", "aggressive")]).await,
            &[("user_id", "12348"), ("decision", "allow")],
        )
        .await;
    let response = h
        .submit(&step.text().await.expect("body"), &[("add_friend", "no")])
        .await;
    assert_eq!(
        redirect_query(&response)["friendship_status_changed"],
        "false"
    );
}

/// `response_mode=form_post`: an auto-submitting form to the callback, allowed by the CSP.
#[tokio::test]
async fn form_post_response_mode() {
    let h = &Harness::start().await;
    let html = h
        .page(&[("response_mode", "form_post"), ("bot_prompt", "normal")])
        .await;
    let response = h
        .submit(
            &html,
            &[
                ("user_id", "12346"),
                ("decision", "allow"),
                ("add_friend", "yes"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    let page = response.text().await.expect("body");
    assert_eq!(
        attribute(&page, "<form", "action").as_deref(),
        Some(REDIRECT_URI)
    );
    assert!(page.contains("<script>") && page.contains("<noscript>"));
    assert!(csp.contains("script-src 'sha256-"));
    let fields: HashMap<String, String> = hidden_fields(&page).into_iter().collect();
    assert_eq!(
        (
            fields["state"].as_str(),
            fields["friendship_status_changed"].as_str()
        ),
        (STATE, "true")
    );
    let (status, _) = h.exchange(&fields["code"], web(), None).await;
    assert_eq!(status, StatusCode::OK);
}

/// `prompt=none`: LOGIN_REQUIRED without the SSO cookie, INTERACTION_REQUIRED
/// without consent, a code straight away otherwise.
#[tokio::test]
async fn prompt_none() {
    let h = &Harness::start().await;
    let response = h.get(&h.authorize_url(&[("prompt", "none")])).await;
    assert_eq!(redirect_query(&response)["error"], "LOGIN_REQUIRED");
    let html = h.page(&[]).await;
    let response = h
        .submit(&html, &[("user_id", "12345"), ("decision", "allow")])
        .await;
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let silent = |extra: Vec<(&'static str, &'static str)>| {
        let url = h.authorize_url(&extra);
        let cookie = cookie.clone();
        async move {
            redirect_query(
                &h.http
                    .get(url)
                    .header(header::COOKIE, cookie)
                    .send()
                    .await
                    .expect("answered"),
            )
        }
    };
    assert!(silent(vec![("prompt", "none")]).await.contains_key("code"));
    assert_eq!(
        silent(vec![("prompt", "none"), ("scope", "openid profile email")]).await["error"],
        "INTERACTION_REQUIRED"
    );
}

/// The auto-approve option skips the page (and adds the friend when asked).
#[tokio::test]
async fn auto_approve_option() {
    let h = &Harness::start().await;
    h.admin(
        Method::PUT,
        "/_sim/line/options",
        json!({"auto_approve_user_id": 12346}),
    )
    .await;
    let response = h.get(&h.authorize_url(&[("bot_prompt", "normal")])).await;
    let query = redirect_query(&response);
    assert_eq!(query["friendship_status_changed"], "true");
    let (_, body) = h.exchange(&query["code"], web(), None).await;
    assert_eq!(
        decode_claims(body["id_token"].as_str().expect("id"))["sub"],
        SOMCHAI
    );
    // A code works once.
    let (status, body) = h.exchange(&query["code"], web(), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}
