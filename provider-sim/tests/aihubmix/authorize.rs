//! The authorize endpoint and the consent page: allow, deny, errors, `auto_authorize`.

use super::*;

/// The consent page names the app, lists every test user as a labelled radio
/// (first one checked) and offers Allow and Deny; values are escaped.
#[tokio::test]
async fn consent_page_lists_users_and_buttons() {
    let h = Harness::start().await;
    let response = h.get(&h.authorize_url(&[])).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.expect("body");
    assert!(html.contains("Keyhole (dev)"));
    for name in ["王小明", "สมชาย ใจดี", "김민준", "Alice Example"] {
        assert!(html.contains(name), "{name} listed");
    }
    assert!(html.contains("wang.xiaoming@example.com"));
    assert_eq!(html.matches("type=\"radio\"").count(), 4);
    assert_eq!(html.matches(" checked").count(), 1);
    assert!(html.contains("value=\"12345\" checked"));
    assert!(html.contains(">Allow</button>"));
    assert!(html.contains(">Deny</button>"));
    assert!(html.contains("Your account balance"));
    // The state came back escaped, and round-trips through the hidden field.
    assert!(!html.contains(STATE));
    let hidden: HashMap<String, String> = hidden_fields(&html).into_iter().collect();
    assert_eq!(hidden["state"], STATE);
    assert_eq!(hidden["redirect_uri"], REDIRECT_URI);
}

/// Allow sends the browser back with a code and the unchanged state, and remembers the user.
#[tokio::test]
async fn allow_redirects_with_code_and_state() {
    let h = Harness::start().await;
    let html = h
        .get(&h.authorize_url(&[]))
        .await
        .text()
        .await
        .expect("body");
    let response = h.decide(&html, "12347", "allow").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .expect("remembers the user")
        .to_str()
        .expect("ASCII")
        .to_owned();
    let query = redirect_query(&response);
    assert_eq!(query["state"], STATE);
    assert!(!query.contains_key("error"));

    let (status, tokens) = h.exchange(&query["code"], None).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().expect("access token");
    let info: Value = h
        .bearer_get("/aihubmix/api/oauth2/userinfo", access)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["id"], 12347);
    assert_eq!(info["username"], "minjun");

    // auto_authorize now signs the remembered user in without a page.
    let pair = cookie.split(';').next().expect("name=value");
    let response = h
        .http
        .get(h.authorize_url(&[("auto_authorize", "true")]))
        .header(header::COOKIE, pair)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::FOUND);
    let code = redirect_query(&response)["code"].clone();
    let (_, tokens) = h.exchange(&code, None).await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["id"], 12347);
}

/// Deny redirects with `access_denied` and the state, and no code.
#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let h = Harness::start().await;
    let html = h
        .get(&h.authorize_url(&[]))
        .await
        .text()
        .await
        .expect("body");
    let response = h.decide(&html, "12345", "deny").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let raw = location(&response);
    assert!(
        raw.as_str()
            .contains("error=access_denied&error_description=The+user+denied+the+request&state=")
    );
    let query = redirect_query(&response);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], STATE);
    assert!(!query.contains_key("code"));
}

/// An unknown client or a redirect URI that is not exactly the registered one
/// gets an error page, never a redirect.
#[tokio::test]
async fn untrusted_redirects_get_an_error_page() {
    let h = Harness::start().await;
    for extra in [
        [(
            "redirect_uri",
            "http://127.0.0.1:8080/api/auth/aihubmix/callback/",
        )],
        [(
            "redirect_uri",
            "http://evil.example/api/auth/aihubmix/callback",
        )],
        [("client_id", "nobody")],
        [("redirect_uri", "")],
    ] {
        let response = h.get(&h.authorize_url(&extra)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        assert!(response.headers().get(header::LOCATION).is_none());
        let html = response.text().await.expect("body");
        assert!(html.contains("<h1>"));
    }
}

/// Other authorize errors go back to the client as error redirects.
#[tokio::test]
async fn authorize_errors_redirect_to_the_client() {
    let h = Harness::start().await;
    let pkce = challenge(VERIFIER);
    let cases = [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "profile admin")], "invalid_scope"),
        (vec![("state", "")], "invalid_request"),
        (
            vec![("code_challenge", "abc"), ("code_challenge_method", "S256")],
            "invalid_request",
        ),
        (
            vec![
                ("code_challenge", pkce.as_str()),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
    ];
    for (extra, error) in cases {
        let response = h.get(&h.authorize_url(&extra)).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{extra:?}");
        let query = redirect_query(&response);
        assert_eq!(query["error"], error, "{extra:?}");
        assert!(query.contains_key("error_description"));
        if extra.iter().all(|(key, _)| *key != "state") {
            assert_eq!(query["state"], STATE);
        }
    }
}

/// `auto_authorize=true` with no remembered user skips consent for the first user.
#[tokio::test]
async fn auto_authorize_skips_consent() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["id"], 12345);
}
