//! LINE Login's own parts, end to end against the simulator: `bot_prompt`
//! on the authorize URL, the login's `friendship_status_changed` kept on the
//! connection, and a native channel's ES256 ID tokens checked against
//! LINE's key set (a tampered one refused).

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Callback, Decision, Harness, Jar, query_param};
use keyhole::{Keyhole, config::Config};
use provider_sim::dev;
use reqwest::Method;
use serde_json::{Value, json};

/// The dev config with the `line` provider changed by `edit`.
fn line_config(sim: &str, edit: impl FnOnce(&mut keyhole::config::ProviderConfig)) -> Config {
    let mut config = common::dev_config(sim, "");
    edit(
        config
            .providers
            .iter_mut()
            .find(|p| p.id == "line")
            .unwrap(),
    );
    config
}

/// Starts a LINE login with `jar`; the provider URL keyhole redirects to.
async fn start_line_login(h: &Harness, jar: &mut Jar) -> String {
    let start = h.get("/api/auth/line/login?mode=popup", jar).await;
    assert_eq!(start.status, StatusCode::FOUND, "{}", start.body);
    start.location().to_owned()
}

/// `bot_prompt` goes on the authorize URL exactly as configured, and not at
/// all without the setting.
#[tokio::test]
async fn bot_prompt_is_sent_as_configured() {
    for setting in [Some("normal"), Some("aggressive"), None] {
        let sim = common::spawn_sim().await;
        let config = line_config(&sim.base_url, |line| match setting {
            Some(value) => {
                line.options.insert("bot_prompt".into(), value.into());
            }
            None => {
                line.options.remove("bot_prompt");
            }
        });
        let h = Harness::with_state(sim, Keyhole::in_memory(config).unwrap());
        let url = start_line_login(&h, &mut Jar::default()).await;
        assert_eq!(query_param(&url, "bot_prompt").as_deref(), setting, "{url}");
    }
}

/// With `bot_prompt=normal`, a person who is not yet a friend of the linked
/// official account sees the add-friend option; ticking it comes back as
/// `friendship_status_changed=true`, leaving it as `false`. Keyhole keeps
/// that on the connection (`/api/me` shows it in the profile), and the
/// friendship route agrees with LINE.
#[tokio::test]
async fn the_logins_friendship_result_is_kept_on_the_connection() {
    let h = Harness::start_all().await;
    for ticked in [true, false] {
        // 王小明, the consent page's first account, is not a friend yet.
        h.admin(
            Method::PUT,
            "/line-bot/friendships/12345",
            json!({"state": "not_friend"}),
        )
        .await;
        h.admin(
            Method::PUT,
            "/line/options",
            json!({"add_friend_prechecked": ticked}),
        )
        .await;
        let mut jar = Jar::default();
        let url = start_line_login(&h, &mut jar).await;
        assert_eq!(query_param(&url, "bot_prompt").as_deref(), Some("normal"));
        let Callback::Get(callback) = h.round_trip(&url, Decision::Allow).await else {
            panic!("LINE answers with a redirect");
        };
        assert_eq!(
            query_param(&callback, "friendship_status_changed"),
            Some(ticked.to_string()),
            "{callback}"
        );
        let done = h.get(&callback, &mut jar).await;
        assert!(done.body.contains(r#""ok":true"#), "{}", done.body);

        let me = h.get("/api/me", &mut jar).await.json();
        assert_eq!(
            me["connections"][0]["profile"]["extra"]["friendship_status_changed"],
            json!(ticked),
            "{me}"
        );
        let friendship = h.get("/api/me/line/friendship", &mut jar).await;
        assert_eq!(friendship.status, StatusCode::OK, "{}", friendship.body);
        assert_eq!(friendship.json()["friend"], json!(ticked));
    }
}

/// The simulator's native LINE Login channel signs ID tokens with ES256.
fn native_config(sim: &str) -> Config {
    line_config(sim, |line| {
        line.client_id = dev::LINE_LOGIN_NATIVE_CHANNEL_ID.to_owned();
        line.client_secret =
            oauth2::ClientSecret::new(dev::LINE_LOGIN_NATIVE_CHANNEL_SECRET.to_owned());
    })
}

/// A real token response of the native channel for `nonce`, fetched from
/// the simulator by the test itself.
async fn native_token_response(h: &Harness, nonce: &str) -> Value {
    let base = &h.sim.base_url;
    let mut authorize = url::Url::parse(&format!("{base}/line/oauth2/v2.1/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", dev::LINE_LOGIN_NATIVE_CHANNEL_ID)
        .append_pair(
            "redirect_uri",
            &format!("{}{}", common::APP, dev::LINE_LOGIN_REDIRECT_PATH),
        )
        .append_pair("state", "direct")
        .append_pair("scope", "profile openid")
        .append_pair("nonce", nonce);
    common::direct_token_response(
        h,
        authorize.as_str(),
        &format!("{base}/line/oauth2/v2.1/token"),
        (
            dev::LINE_LOGIN_NATIVE_CHANNEL_ID,
            dev::LINE_LOGIN_NATIVE_CHANNEL_SECRET,
        ),
    )
    .await
}

/// A JWT's header or payload (`part` 0 or 1) as JSON.
fn jwt_part(token: &str, part: usize) -> Value {
    let text = token.split('.').nth(part).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
}

/// A LINE login whose token endpoint answers with a real token response for
/// its nonce, fetched by the test and changed by `edit`, replayed through a
/// fault; the popup page's body.
async fn login_replaying(h: &Harness, edit: impl FnOnce(&mut Value)) -> String {
    let mut jar = Jar::default();
    let url = start_line_login(h, &mut jar).await;
    let nonce = query_param(&url, "nonce").unwrap();
    let mut response = native_token_response(h, &nonce).await;
    let id_token = response["id_token"].as_str().unwrap();
    assert_eq!(jwt_part(id_token, 0)["alg"], "ES256", "{id_token}");
    assert_eq!(jwt_part(id_token, 1)["nonce"], nonce.as_str());
    edit(&mut response);
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "line.token", "status": 200, "body": response.to_string()}),
    )
    .await;
    let Callback::Get(callback) = h.round_trip(&url, Decision::Allow).await else {
        panic!("LINE answers with a redirect");
    };
    let page = h.get(&callback, &mut jar).await;
    let signed_in = jar.get("keyhole_session").is_some();
    assert_eq!(
        signed_in,
        page.body.contains(r#""ok":true"#),
        "{}",
        page.body
    );
    page.body
}

/// Signing in through the native channel verifies its ES256 ID token with
/// the key from LINE's `/oauth2/v2.1/certs`. A token response whose ID
/// token has its payload changed (signature kept) is refused, while an
/// untouched one, replayed the same way, is accepted.
#[tokio::test]
async fn a_native_channels_es256_id_token_is_verified_and_a_tampered_one_refused() {
    let sim = common::spawn_sim().await;
    let config = native_config(&sim.base_url);
    let h = Harness::with_state(sim, Keyhole::in_memory(config).unwrap());
    let mut jar = Jar::default();
    let done = h.login("line", "popup", Decision::Allow, &mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    assert!(h.counter("line.certs").await >= 1, "the key set was read");

    let tampered = login_replaying(&h, |response| {
        let id_token = response["id_token"].as_str().unwrap().to_owned();
        let parts: Vec<&str> = id_token.split('.').collect();
        let mut claims = jwt_part(&id_token, 1);
        claims["name"] = json!("Mallory");
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        response["id_token"] = json!(format!("{}.{payload}.{}", parts[0], parts[2]));
    })
    .await;
    assert!(tampered.contains(r#""ok":false"#), "{tampered}");

    let untouched = login_replaying(&h, |_| {}).await;
    assert!(untouched.contains(r#""ok":true"#), "{untouched}");
}
