//! A LINE Login channel's own access tokens (v2.1 and stateless, from the same
//! token endpoints) and `POST /user/v1/deauthorize`.

use super::{
    assertion::{claims, public_jwk, sign, token_form},
    *,
};

impl Harness {
    /// Registers the test key for the web channel and issues a v2.1 token with
    /// it; the token and the assertion.
    async fn login_channel_token(&self) -> (String, String) {
        let path = format!("/_sim/line/channels/{}/assertion-keys", web().0);
        let kid = self.admin(Method::POST, &path, public_jwk()).await["kid"]
            .as_str()
            .expect("kid")
            .to_owned();
        let assertion = sign(&kid, &claims(web().0, 3600));
        let form = token_form(&assertion);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = self.post_form("/line/oauth2/v2.1/token", &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["key_id"].is_string());
        let token = body["access_token"].as_str().expect("token").to_owned();
        (token, assertion)
    }

    /// `POST /user/v1/deauthorize` with `channel_token` as bearer.
    async fn deauthorize(&self, channel_token: &str, user_token: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/line/user/v1/deauthorize"))
            .bearer_auth(channel_token)
            .json(&json!({ "userAccessToken": user_token }))
            .send()
            .await
            .expect("answered");
        answer(response).await
    }
}

/// Deauthorizing kills the user's access token and its refresh token; a second
/// call is 400 `invalid token`; a bad channel token is 401.
#[tokio::test]
async fn deauthorize_kills_the_users_tokens() {
    let h = &Harness::start().await;
    let tokens = h.tokens(&[]).await;
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (channel_token, _) = h.login_channel_token().await;
    assert_eq!(
        h.deauthorize("not-a-channel-token", access).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A user token is no channel token.
    assert_eq!(
        h.deauthorize(access, access).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.deauthorize(&channel_token, access).await,
        (StatusCode::NO_CONTENT, Value::String(String::new()))
    );
    assert_eq!(
        h.bearer(Method::GET, "/line/v2/profile", access).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = h.refresh_web(refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        h.deauthorize(&channel_token, access).await,
        (StatusCode::BAD_REQUEST, json!({"message": "invalid token"}))
    );
    assert_eq!(
        h.deauthorize(&channel_token, "garbage").await,
        (StatusCode::BAD_REQUEST, json!({"message": "invalid token"}))
    );
}

/// A stateless token of the channel deauthorizes too; a user token of another
/// channel, or the Messaging API's channel token, does not pass.
#[tokio::test]
async fn deauthorize_with_a_stateless_token_and_across_channels() {
    let h = &Harness::start().await;
    let stateless = |(id, secret): (&'static str, &'static str), prefix: &'static str| async move {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ];
        let (status, body) = h
            .post_form(&format!("{prefix}/oauth2/v3/token"), &form)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["expires_in"], 900);
        body["access_token"].as_str().expect("token").to_owned()
    };
    let web_token = stateless(web(), "/line").await;
    let native_token = stateless(native(), "/line").await;
    let bot = (dev::LINE_BOT_CHANNEL_ID, dev::LINE_BOT_CHANNEL_SECRET);
    let bot_token = stateless(bot, "/line-bot").await;
    let tokens = h.tokens(&[]).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(
        h.deauthorize(&bot_token, access).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.deauthorize(&native_token, access).await,
        (StatusCode::BAD_REQUEST, json!({"message": "invalid token"}))
    );
    assert_eq!(
        h.deauthorize(&web_token, access).await.0,
        StatusCode::NO_CONTENT
    );
    let counters = h.admin(Method::GET, "/_sim/counters", Value::Null).await;
    assert_eq!(counters["line.deauthorize"], 3);
    assert_eq!(counters["line.token.stateless"], 2);
}

/// The Login channel's v2.1 token verifies and revokes on the shared
/// endpoints, and is listed by its key id; revoked, it no longer deauthorizes.
#[tokio::test]
async fn login_channel_tokens_verify_list_and_revoke() {
    let h = &Harness::start().await;
    let (channel_token, assertion) = h.login_channel_token().await;
    let kids = h
        .http
        .get(h.url("/line/oauth2/v2.1/tokens/kid"))
        .query(&[
            ("client_assertion_type", super::assertion::ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .expect("answered");
    let kids: Value = kids.json().await.expect("JSON");
    assert_eq!(kids["kids"].as_array().map(Vec::len), Some(1));
    let (_, verified) = h.verify_access(&channel_token).await;
    assert_eq!(verified["client_id"], web().0);
    assert!(
        verified["expires_in"]
            .as_u64()
            .is_some_and(|left| left <= 3600)
    );
    let (status, body) = h
        .post_form(
            "/line/oauth2/v2.1/revoke",
            &[
                ("access_token", &channel_token),
                ("client_id", web().0),
                ("client_secret", web().1),
            ],
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, Value::String(String::new()))
    );
    let tokens = h.tokens(&[]).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(
        h.deauthorize(&channel_token, access).await.0,
        StatusCode::UNAUTHORIZED
    );
    // User tokens still verify as before.
    assert_eq!(h.verify_access(access).await.0, StatusCode::OK);
}
