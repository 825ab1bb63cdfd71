//! app_access_token and the legacy v1 login: HTTP 200 errors, token in header or body, refresh rotation.

use super::*;

/// The same app_access_token comes back until fewer than 30 minutes remain;
/// then a new one, while the old one keeps working until its own expiry.
#[tokio::test]
async fn app_access_token_reuse_and_renewal() {
    let h = Harness::start().await;
    let first = h.app_token().await;
    assert_eq!(first["code"], 0);
    assert_eq!(first["msg"], "ok");
    assert_eq!(first["expire"], 7200);
    assert!(first.get("data").is_none());
    let token = first["app_access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(token.starts_with("t-"));
    assert_eq!(first["tenant_access_token"], token.as_str());

    h.advance(5399).await;
    let again = h.app_token().await;
    assert_eq!(again["app_access_token"], token.as_str());
    assert_eq!(again["expire"], 1801);

    h.advance(2).await;
    let renewed = h.app_token().await;
    let new_token = renewed["app_access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(new_token, token);
    assert_eq!(renewed["expire"], 7200);

    // Both are valid now: the old one for its last 1799 seconds.
    let code = h.v1_code("12345").await;
    let (_, body) = h
        .post_json(
            "/feishu/open-apis/authen/v1/access_token",
            Some(&token),
            json!({"grant_type": "authorization_code", "code": code}),
        )
        .await;
    assert_eq!(body["code"], 0);
    h.advance(1799).await;
    let code = h.v1_code("12345").await;
    let (status, body) = h
        .post_json(
            "/feishu/open-apis/authen/v1/access_token",
            Some(&token),
            json!({"grant_type": "authorization_code", "code": code}),
        )
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!(99_991_664))
    );
    let (_, body) = h
        .post_json(
            "/feishu/open-apis/authen/v1/access_token",
            Some(&new_token),
            json!({"grant_type": "authorization_code", "code": code}),
        )
        .await;
    assert_eq!(body["code"], 0);
}

/// Wrong credentials: HTTP 200 with a non-zero code.
#[tokio::test]
async fn app_access_token_errors() {
    let h = Harness::start().await;
    let path = "/feishu/open-apis/auth/v3/app_access_token/internal";
    let (status, body) = h
        .post_json(
            path,
            None,
            json!({"app_id": dev::FEISHU_APP_ID, "app_secret": "wrong"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["code"], 10014);
    assert!(body["msg"].is_string());
    let (_, body) = h
        .post_json(path, None, json!({"app_id": dev::FEISHU_APP_ID}))
        .await;
    assert_eq!(body["code"], 10003);
    h.admin(
        Method::PUT,
        "/_sim/feishu/options",
        json!({"app_credentials_error_code": 99_991_543}),
    )
    .await;
    let (_, body) = h
        .post_json(
            path,
            None,
            json!({"app_id": "cli_nobody", "app_secret": "x"}),
        )
        .await;
    assert_eq!(body["code"], 99_991_543);
}

/// The v1 flow with the app token in the header: envelope, profile, user_info.
#[tokio::test]
async fn v1_login_and_user_info() {
    let h = Harness::start().await;
    let data = h.v1_login("12345").await;
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 7200);
    assert_eq!(data["refresh_expires_in"], 2_592_000);
    assert!(
        data["access_token"]
            .as_str()
            .expect("token")
            .starts_with("u-")
    );
    assert!(
        data["refresh_token"]
            .as_str()
            .expect("token")
            .starts_with("ur-")
    );
    assert_eq!(data["name"], "王小明");
    assert_eq!(data["en_name"], "Wang Xiaoming");
    assert_eq!(data["email"], "wang.xiaoming@example.com");
    assert!(data["open_id"].as_str().expect("id").starts_with("ou_"));
    assert!(data["union_id"].as_str().expect("id").starts_with("on_"));
    assert!(data["user_id"].is_string());
    assert!(data["tenant_key"].is_string());
    assert_eq!(data["avatar_url"], h.url("/avatars/12345.svg").as_str());

    let (status, info) = h
        .user_info(data["access_token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&info["code"], &info["msg"]),
        (&json!(0), &json!("success"))
    );
    assert_eq!(info["data"]["open_id"], data["open_id"]);
    assert_eq!(info["data"]["en_name"], "Wang Xiaoming");
    assert_eq!(info["data"]["mobile"], "+8613800138000");
}

/// The 2020 client (the seed's) sends app_access_token in the JSON body instead.
#[tokio::test]
async fn v1_app_token_in_the_body() {
    let h = Harness::start().await;
    let app = h.app_access_token().await;
    let code = h.v1_code("12346").await;
    let (status, body) = h
        .post_json(
            "/feishu/open-apis/authen/v1/access_token",
            None,
            json!({"app_access_token": app, "grant_type": "authorization_code", "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["data"]["name"], "สมชาย ใจดี");
}

/// Every v1 business error is HTTP 200 with a documented non-zero code and a
/// msg; the gateway's token errors (9999xxxx) come with a 4xx status.
#[tokio::test]
async fn v1_errors_are_http_200() {
    let h = Harness::start().await;
    let app = h.app_access_token().await;
    let path = "/feishu/open-apis/authen/v1/access_token";
    let code = h.v1_code("12345").await;
    let exchange = json!({"grant_type": "authorization_code", "code": code});
    let gateway = [
        (None, 99_991_661, StatusCode::UNAUTHORIZED),
        (Some("not-a-t-token"), 99_991_671, StatusCode::BAD_REQUEST),
        (Some("t-unknown"), 99_991_664, StatusCode::UNAUTHORIZED),
    ];
    for (token, expected, status) in gateway {
        let (got, answer) = h.post_json(path, token, exchange.clone()).await;
        assert_eq!((got, &answer["code"]), (status, &json!(expected)));
    }
    let cases: Vec<(Option<&str>, Value, u32)> = vec![
        (
            Some(&app),
            json!({"grant_type": "password", "code": code}),
            20001,
        ),
        (
            Some(&app),
            json!({"grant_type": "authorization_code"}),
            20001,
        ),
        (
            Some(&app),
            json!({"grant_type": "authorization_code", "code": "nope"}),
            20003,
        ),
    ];
    for (token, body, expected) in cases {
        let (status, answer) = h.post_json(path, token, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(answer["code"], expected, "{body}: {answer}");
        assert!(answer["msg"].as_str().is_some_and(|msg| !msg.is_empty()));
    }
    let (_, first) = h.post_json(path, Some(&app), exchange.clone()).await;
    assert_eq!(first["code"], 0);
    let (_, reused) = h.post_json(path, Some(&app), exchange).await;
    assert_eq!(reused["code"], 20065);

    let late = h.v1_code("12345").await;
    h.advance(300).await;
    let (_, expired) = h
        .post_json(
            path,
            Some(&app),
            json!({"grant_type": "authorization_code", "code": late}),
        )
        .await;
    assert_eq!(expired["code"], 20004);
}

/// Refresh rotates: a new refresh token each time, the old one refused, the old
/// access token alive for one more minute only.
#[tokio::test]
async fn v1_refresh_rotation() {
    let h = Harness::start().await;
    let data = h.v1_login("12347").await;
    let app = h.app_access_token().await;
    let old_access = data["access_token"].as_str().expect("token");
    let old_refresh = data["refresh_token"].as_str().expect("token");

    let refreshed = h.refresh_v1(&app, old_refresh).await;
    assert_eq!(refreshed["code"], 0, "{refreshed}");
    let new = &refreshed["data"];
    assert_ne!(new["refresh_token"], data["refresh_token"]);
    assert_eq!(new["open_id"], data["open_id"]);
    assert_eq!(h.refresh_v1(&app, old_refresh).await["code"], 20064);
    assert_eq!(h.refresh_v1(&app, "ur-unknown").await["code"], 20026);

    assert_eq!(h.user_info(old_access).await.1["code"], 0);
    h.advance(61).await;
    let (status, stale) = h.user_info(old_access).await;
    assert_eq!(
        (status, &stale["code"]),
        (StatusCode::UNAUTHORIZED, &json!(99_991_677))
    );
    let new_access = new["access_token"].as_str().expect("token");
    assert_eq!(h.user_info(new_access).await.1["code"], 0);

    // Refresh tokens expire after refresh_expires_in (30 days).
    h.advance(2_592_000).await;
    let app = h.app_access_token().await;
    let refresh = new["refresh_token"].as_str().expect("token");
    assert_eq!(h.refresh_v1(&app, refresh).await["code"], 20037);
}

/// user_info errors with their realistic statuses, and the option that
/// answers every gateway error with one status (200, the v1 form, here).
#[tokio::test]
async fn user_info_errors() {
    let h = Harness::start().await;
    let (status, body) = h.user_info("u-unknown").await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!(99_991_668))
    );
    let (status, body) = h.user_info("bogus").await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!(99_991_671))
    );
    let missing: Value = h
        .http
        .get(h.url("/feishu/open-apis/authen/v1/user_info"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(missing["code"], 99_991_661);
    h.admin(
        Method::PUT,
        "/_sim/feishu/options",
        json!({"gateway_error_status": 200}),
    )
    .await;
    assert_eq!(h.user_info("u-unknown").await.0, StatusCode::OK);
    let data = h.v1_login("12345").await;
    h.advance(7200).await;
    let (status, body) = h
        .user_info(data["access_token"].as_str().expect("token"))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::OK, &json!(99_991_677))
    );
    let options = json!({"gateway_error_status": null});
    h.admin(Method::PUT, "/_sim/feishu/options", options).await;
    assert_eq!(h.user_info("u-unknown").await.0, StatusCode::UNAUTHORIZED);
}

/// Deny: `?error=access_denied&state=…`; untrusted redirect URIs get a page.
#[tokio::test]
async fn deny_and_untrusted_redirects() {
    let h = Harness::start().await;
    let params = [
        ("redirect_uri", REDIRECT_URI),
        ("app_id", dev::FEISHU_APP_ID),
        ("state", STATE),
    ];
    let response = h
        .consent(
            "/feishu/open-apis/authen/v1/index",
            &params,
            "12345",
            "deny",
        )
        .await;
    let query = query_of(&response);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], STATE);
    assert_eq!(query.len(), 2);
    let bad = [
        ("redirect_uri", "https://evil.example/cb"),
        ("app_id", dev::FEISHU_APP_ID),
    ];
    let response = h
        .http
        .get(h.url_with("/feishu/open-apis/authen/v1/index", &bad, &[]))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// Without contact fields, email and mobile disappear; faults and counters work.
#[tokio::test]
async fn contact_fields_faults_and_counters() {
    let h = Harness::start().await;
    h.admin(
        Method::PUT,
        "/_sim/feishu/options",
        json!({"include_contact_fields": false}),
    )
    .await;
    let data = h.v1_login("12348").await;
    assert!(data.get("email").is_none());
    assert!(data.get("mobile").is_none());
    assert_eq!(data["en_name"], "Alice Example");

    h.admin(
        Method::POST,
        "/_sim/faults",
        json!({"endpoint": "feishu.user_info", "status": 500, "body": "{\"code\":20050,\"msg\":\"system error\"}"}),
    )
    .await;
    let (status, body) = h
        .user_info(data["access_token"].as_str().expect("token"))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::INTERNAL_SERVER_ERROR, &json!(20050))
    );
    let counters: Value = h
        .http
        .get(h.url("/_sim/counters"))
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("JSON");
    for (key, count) in [
        ("feishu.app_access_token", 1),
        ("feishu.authorize", 1),
        ("feishu.decision", 1),
        ("feishu.access_token", 1),
        ("feishu.refresh_access_token", 0),
        ("feishu.user_info", 1),
    ] {
        assert_eq!(counters[key], count, "{key}");
    }
}
