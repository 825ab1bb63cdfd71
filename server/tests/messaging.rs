//! The LINE Messaging API against the simulator: signed webhooks (sent by the
//! simulator to keyhole on a loopback port), background processing with
//! de-duplication, friendship and link records, and pushes with one retry
//! key across retries and a single-flight channel token.

#![allow(clippy::unwrap_used)]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use common::{Decision, Harness, Jar, Reply};
use hmac::{Hmac, Mac};
use keyhole::{
    Keyhole,
    messaging::{self, Friendship},
};
use provider_sim::dev;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;
use tower::ServiceExt;

const BOT: &str = "line-bot";
/// The seeded users' LINE ids: 12345 (a friend of the dev account at
/// start), 12346 (not a friend), 12347 (blocked it), 12348 (not a friend).
const WANG: &str = "U37c8bc5bb5c665ca86d4475462737587";
const SOMCHAI: &str = "Ub6ad5bd613e5bcfd6ff2bbb8ce336f13";
const MINJUN: &str = "U479fa1143f731109535fd8991cc6e594";
const ALICE: &str = "U1e2ecea0fca9100c18bc04cdfc66ac43";

/// Serves `app` on a loopback port (the simulator POSTs webhooks to it).
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api/webhooks/{BOT}")
}

/// A harness with every dev provider, and keyhole listening for webhooks.
async fn start() -> (Harness, String) {
    let h = Harness::start_all().await;
    let url = serve(h.app.clone()).await;
    (h, url)
}

/// Has the simulator send a webhook to `url`; returns keyhole's status.
async fn webhook(h: &Harness, url: &str, mut request: Value) -> u64 {
    request["target_url"] = url.into();
    let answer = h.admin(Method::POST, "/line-bot/webhook", request).await;
    answer["status"].as_u64().unwrap()
}

/// Waits until keyhole has processed every webhook it accepted.
async fn settle(state: &Keyhole) {
    tokio::time::timeout(Duration::from_secs(10), state.webhooks.idle())
        .await
        .expect("webhooks processed in time");
}

async fn friendship(state: &Keyhole, user: &str) -> Option<Friendship> {
    messaging::friendship(&state.sessions, BOT, user)
        .await
        .unwrap()
        .map(|r| r.state)
}

/// `x-line-signature` of `body` with the dev channel secret.
fn sign(body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(dev::LINE_BOT_CHANNEL_SECRET.as_bytes()).unwrap();
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// POSTs a webhook body through the router, as LINE would (no CSRF header).
async fn post_webhook(h: &Harness, provider: &str, body: &[u8], signature: Option<&str>) -> Reply {
    let mut request = Request::post(format!("/api/webhooks/{provider}"))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
    if let Some(signature) = signature {
        request = request.header("X-Line-Signature", signature);
    }
    h.send(request.body(Body::from(body.to_vec())).unwrap())
        .await
}

/// One event object as LINE sends it.
fn event(kind: &str, user: &str, timestamp: i64, id: &str) -> Value {
    json!({
        "type": kind,
        "mode": "active",
        "timestamp": timestamp,
        "source": {"type": "user", "userId": user},
        "webhookEventId": id,
        "deliveryContext": {"isRedelivery": false},
    })
}

/// Signs in with LINE Login as 王小明 (the consent page's first user).
async fn signed_in(h: &Harness) -> Jar {
    let mut jar = Jar::default();
    let done = h.login("line", "popup", Decision::Allow, &mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    jar
}

async fn send_message(h: &Harness, text: &str, jar: &mut Jar) -> Reply {
    h.post_json(
        &format!("/api/me/{BOT}/message"),
        json!({ "text": text }),
        jar,
    )
    .await
}

/// Messages the simulator recorded as pushed (not replies).
async fn pushes(h: &Harness) -> Vec<Value> {
    let all = h.admin(Method::GET, "/line-bot/messages", json!({})).await;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|m| m["via"] == "push")
        .cloned()
        .collect()
}

#[tokio::test]
async fn signatures_are_checked_in_any_header_case_before_anything_is_processed() {
    let (h, url) = start().await;
    let follow = json!({"events": [{"type": "follow", "user_id": 12346}]});
    assert_eq!(webhook(&h, &url, follow).await, 200);
    settle(&h.state).await;
    assert_eq!(
        friendship(&h.state, SOMCHAI).await,
        Some(Friendship::Friend)
    );
    let accepted = h.state.webhooks.stats().accepted;

    for signature in ["invalid", "missing"] {
        let forged =
            json!({"events": [{"type": "unfollow", "user_id": 12346}], "signature": signature});
        assert_eq!(webhook(&h, &url, forged).await, 401, "{signature}");
    }
    settle(&h.state).await;
    assert_eq!(
        h.state.webhooks.stats().accepted,
        accepted,
        "nothing queued"
    );
    assert_eq!(
        friendship(&h.state, SOMCHAI).await,
        Some(Friendship::Friend)
    );

    // `X-Line-Signature` on the wire, as LINE may send it.
    let upper = json!({"events": [{"type": "unfollow", "user_id": 12346}], "header_case": "upper"});
    assert_eq!(webhook(&h, &url, upper).await, 200);
    settle(&h.state).await;
    assert_eq!(
        friendship(&h.state, SOMCHAI).await,
        Some(Friendship::Blocked)
    );

    // LINE's "Verify" button: no events, a 200, nothing queued.
    assert_eq!(webhook(&h, &url, json!({"events": []})).await, 200);
    assert_eq!(h.state.webhooks.stats().accepted, accepted + 1);
}

#[tokio::test]
async fn the_signature_covers_the_raw_bytes_and_the_body_is_capped() {
    let h = Harness::start_all().await;
    let body = serde_json::to_vec(&json!({
        "destination": dev::LINE_BOT_USER_ID,
        "events": [event("follow", ALICE, 1_700_000_000_000, "01HB0000000000000000000001")],
    }))
    .unwrap();
    let signature = sign(&body);
    // The same JSON, re-serialised differently, no longer matches.
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    let reply = post_webhook(&h, BOT, &pretty, Some(&signature)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["code"], "unauthenticated");
    assert!(!reply.body.contains(&signature));
    // A signature made with another secret.
    let reply = post_webhook(
        &h,
        BOT,
        &body,
        Some("GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    settle(&h.state).await;
    assert_eq!(h.state.webhooks.stats().accepted, 0);
    assert_eq!(friendship(&h.state, ALICE).await, None);

    // Past the router's 64 KiB limit: refused before the signature is even read.
    let huge = vec![b' '; 70 * 1024];
    let reply = post_webhook(&h, BOT, &huge, Some(&sign(&huge))).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Only messaging providers have a webhook.
    for other in ["line", "aihubmix", "nope"] {
        let reply = post_webhook(&h, other, &body, Some(&signature)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{other}");
    }

    // The exact bytes pass, without any CSRF header.
    let reply = post_webhook(&h, BOT, &body, Some(&signature)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    settle(&h.state).await;
    assert_eq!(friendship(&h.state, ALICE).await, Some(Friendship::Friend));
}

#[tokio::test]
async fn unknown_event_types_and_fields_are_tolerated_and_old_events_do_not_win() {
    let h = Harness::start_all().await;
    let mut follow = event(
        "follow",
        ALICE,
        1_700_000_002_000,
        "01HB0000000000000000000010",
    );
    follow["follow"] = json!({"isUnblocked": false, "someNewField": {"x": [1, 2]}});
    follow["brandNewProperty"] = json!(true);
    let body = serde_json::to_vec(&json!({
        "destination": dev::LINE_BOT_USER_ID,
        "newTopLevelField": "ok",
        "events": [
            {"type": "beacon", "mode": "active", "timestamp": 1, "source": {"type": "user", "userId": ALICE},
             "beacon": {"hwid": "d41d8cd98f", "type": "enter"}, "webhookEventId": "01HB0000000000000000000011"},
            {"type": 42},
            follow,
            // Delivered late: older than the follow, so it does not undo it.
            event("unfollow", ALICE, 1_700_000_001_000, "01HB0000000000000000000012"),
        ],
    }))
    .unwrap();
    let reply = post_webhook(&h, BOT, &body, Some(&sign(&body))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    settle(&h.state).await;
    assert_eq!(h.state.webhooks.stats().events, 4);
    assert_eq!(friendship(&h.state, ALICE).await, Some(Friendship::Friend));
}

#[tokio::test]
async fn three_events_in_one_body_are_all_processed() {
    let (h, url) = start().await;
    let events = json!({"events": [
        {"type": "follow", "user_id": 12346},
        {"type": "message", "user_id": 12347, "text": "こんにちは"},
        {"type": "unfollow", "user_id": 12348},
    ]});
    assert_eq!(webhook(&h, &url, events).await, 200);
    settle(&h.state).await;
    assert_eq!(
        friendship(&h.state, SOMCHAI).await,
        Some(Friendship::Friend)
    );
    assert_eq!(friendship(&h.state, ALICE).await, Some(Friendship::Blocked));
    // The message got the configured auto-reply through its reply token.
    let messages = h.admin(Method::GET, "/line-bot/messages", json!({})).await;
    let replies: Vec<&Value> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["via"] == "reply")
        .collect();
    assert_eq!(replies.len(), 1, "{messages}");
    assert_eq!(replies[0]["to"], MINJUN);
    assert!(
        replies[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Thanks for your message")
    );
    assert_eq!(h.state.webhooks.stats().events, 3);
}

#[tokio::test]
async fn a_redelivered_event_is_processed_once_even_by_another_instance() {
    let (h, url) = start().await;
    let message = json!({"events": [{"type": "message", "user_id": 12345, "text": "hi"}]});
    assert_eq!(webhook(&h, &url, message).await, 200);
    settle(&h.state).await;
    assert_eq!(h.counter("line-bot.reply").await, 1);

    // The same events again, `isRedelivery: true`, to this instance...
    let again = json!({"redelivery": true, "events": []});
    assert_eq!(webhook(&h, &url, again.clone()).await, 200);
    settle(&h.state).await;
    // ...and to a second instance sharing the store.
    let other = Keyhole::new(
        common::dev_config(&h.sim.base_url, ""),
        h.state.sessions.clone(),
    )
    .unwrap();
    let other_url = serve(keyhole::router(other.clone())).await;
    assert_eq!(webhook(&h, &other_url, again).await, 200);
    settle(&other).await;

    assert_eq!(h.counter("line-bot.reply").await, 1, "one reply only");
    assert_eq!(h.state.webhooks.stats().duplicates, 1);
    assert_eq!(other.webhooks.stats().duplicates, 1);
}

#[tokio::test]
async fn unfollow_removes_the_link_and_pushes_wait_for_a_new_follow() {
    let (h, url) = start().await;
    let mut jar = signed_in(&h).await;
    let sent = send_message(&h, "通知テスト", &mut jar).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(sent.json(), json!({"delivered": true}));
    let link = messaging::link(&h.state.sessions, BOT, WANG).await.unwrap();
    assert!(link.is_some(), "a push links the person");
    let pushed = pushes(&h).await;
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0]["to"], WANG);
    assert_eq!(pushed[0]["text"], "通知テスト");
    assert_eq!(pushed[0]["delivered"], true);

    let unfollow = json!({"events": [{"type": "unfollow", "user_id": 12345}]});
    assert_eq!(webhook(&h, &url, unfollow).await, 200);
    settle(&h.state).await;
    assert_eq!(
        messaging::link(&h.state.sessions, BOT, WANG).await.unwrap(),
        None
    );
    assert_eq!(friendship(&h.state, WANG).await, Some(Friendship::Blocked));

    // Blocked: refused here rather than "sent" into LINE's void.
    let refused = send_message(&h, "again", &mut jar).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.json()["code"], "not_supported");
    assert_eq!(refused.json()["provider"], BOT);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("friend")
    );
    assert_eq!(pushes(&h).await.len(), 1);

    let follow = json!({"events": [{"type": "follow", "user_id": 12345}]});
    assert_eq!(webhook(&h, &url, follow).await, 200);
    settle(&h.state).await;
    assert_eq!(
        send_message(&h, "welcome back", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(pushes(&h).await.len(), 2);
}

#[tokio::test]
async fn a_person_who_is_not_a_friend_per_line_login_is_refused() {
    let h = Harness::start_all().await;
    let mut jar = signed_in(&h).await;
    // No webhook has said anything: LINE Login's friendship status decides.
    h.admin(
        Method::PUT,
        "/line-bot/friendships/12345",
        json!({"state": "not_friend"}),
    )
    .await;
    let refused = send_message(&h, "hello", &mut jar).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(h.counter("line-bot.push").await, 0);
    h.admin(
        Method::PUT,
        "/line-bot/friendships/12345",
        json!({"state": "friend"}),
    )
    .await;
    assert_eq!(
        send_message(&h, "hello", &mut jar).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn messages_need_a_line_sign_in_and_a_valid_text() {
    let h = Harness::start_all().await;
    let providers = h.get("/api/providers", &mut Jar::default()).await.json();
    let bot = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == BOT)
        .unwrap();
    assert_eq!(bot["kind"], "line-messaging");
    assert_eq!(bot["capabilities"], json!(["messaging"]));
    // The app learns which sign-in the bot sends to; others carry no such field.
    assert_eq!(bot["sends_via"], "line");
    let others: Vec<_> = providers
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] != BOT)
        .collect();
    assert!(!others.is_empty());
    assert!(others.iter().all(|p| p.get("sends_via").is_none()));

    let anonymous = send_message(&h, "hi", &mut Jar::default()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Signed in, but not with LINE: there is no LINE user to message.
    let mut other = Jar::default();
    h.login("aihubmix", "popup", Decision::Allow, &mut other)
        .await;
    let unlinked = send_message(&h, "hi", &mut other).await;
    assert_eq!(unlinked.status, StatusCode::NOT_FOUND, "{}", unlinked.body);
    assert_eq!(unlinked.json()["provider"], "line");

    let mut jar = signed_in(&h).await;
    for bad in ["", "   ", &"字".repeat(5001)] {
        let reply = send_message(&h, bad, &mut jar).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", bad.len());
        assert_eq!(reply.json()["code"], "invalid_request");
    }
    let longest = send_message(&h, &"字".repeat(5000), &mut jar).await;
    assert_eq!(longest.status, StatusCode::OK, "{}", longest.body);
    // LINE Login itself cannot push.
    let wrong = h
        .post_json("/api/me/line/message", json!({"text": "hi"}), &mut jar)
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json()["code"], "not_supported");
    assert_eq!(h.counter("line-bot.push").await, 1);
}

#[tokio::test]
async fn a_push_is_retried_with_one_retry_key_and_delivered_once() {
    let h = Harness::start_all().await;
    let mut jar = signed_in(&h).await;
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "line-bot.push", "count": 2, "status": 500}),
    )
    .await;
    let sent = send_message(&h, "third time lucky", &mut jar).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(h.counter("line-bot.push").await, 3);
    let pushed = pushes(&h).await;
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert!(
        pushed[0]["retry_key"]
            .as_str()
            .is_some_and(|k| k.len() == 36)
    );

    // A connection reset is retried too.
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "line-bot.push", "drop": true}),
    )
    .await;
    assert_eq!(
        send_message(&h, "reset", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(h.counter("line-bot.push").await, 5);
    assert_eq!(pushes(&h).await.len(), 2);
}

#[tokio::test]
async fn a_replayed_retry_key_counts_as_delivered() {
    let h = Harness::start_all().await;
    // At the adapter: the simulator's own 409 for a key it already accepted.
    let provider = h.state.providers.get(BOT).unwrap().clone();
    let bot = provider.messaging().unwrap();
    let key = uuid::Uuid::new_v4();
    let first = bot.push_text(WANG, "exactly once", key).await.unwrap();
    assert!(!first.replayed);
    let replay = bot.push_text(WANG, "exactly once", key).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.attempts, 1);
    assert_eq!(pushes(&h).await.len(), 1);

    // Through the API: a 409 answer is success, not an error.
    let mut jar = signed_in(&h).await;
    let conflict =
        json!({"message": "The retry key is already accepted", "sentMessages": [{"id": "1"}]});
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "line-bot.push", "status": 409, "body": conflict.to_string()}),
    )
    .await;
    let sent = send_message(&h, "lost answer", &mut jar).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(sent.json(), json!({"delivered": true}));
}

#[tokio::test]
async fn client_errors_stop_at_once_and_outages_give_up_after_bounded_attempts() {
    let h = Harness::start_all().await;
    let mut jar = signed_in(&h).await;
    let fault = |body: Value| {
        let h = &h;
        async move { h.admin(Method::POST, "/faults", body).await }
    };

    fault(json!({"endpoint": "line-bot.push", "status": 400,
                 "body": r#"{"message":"Failed to send messages"}"#}))
    .await;
    let refused = send_message(&h, "x", &mut jar).await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY);
    assert_eq!(refused.json()["code"], "provider_error");
    assert_eq!(h.counter("line-bot.push").await, 1, "4xx: no retry");

    fault(json!({"endpoint": "line-bot.push", "count": 10, "status": 503})).await;
    let down = send_message(&h, "x", &mut jar).await;
    assert_eq!(down.status, StatusCode::BAD_GATEWAY);
    assert_eq!(down.json()["code"], "provider_unavailable");
    assert_eq!(
        h.counter("line-bot.push").await,
        1 + 4,
        "four attempts at most"
    );
    h.admin(Method::DELETE, "/faults", json!({})).await;

    h.admin(
        Method::PUT,
        "/line-bot/options",
        json!({"monthly_limit_reached": true}),
    )
    .await;
    let quota = send_message(&h, "x", &mut jar).await;
    assert_eq!(quota.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(quota.json()["code"], "rate_limited");
    assert_eq!(
        h.counter("line-bot.push").await,
        6,
        "the monthly limit is not retried"
    );
    assert!(pushes(&h).await.is_empty());
}

#[tokio::test]
async fn the_channel_token_is_issued_once_for_concurrent_pushes() {
    let h = Harness::start_all().await;
    let jar = signed_in(&h).await;
    let cookie = jar
        .0
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..8 {
        let request = Request::post(format!("/api/me/{BOT}/message"))
            .header(header::COOKIE, &cookie)
            .header(keyhole_api::CSRF_HEADER, "1")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "text": format!("message {n}") }).to_string(),
            ))
            .unwrap();
        tasks.spawn(h.app.clone().oneshot(request));
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap().unwrap().status(), StatusCode::OK);
    }
    assert_eq!(h.counter("line-bot.token").await, 1, "single-flight");
    assert_eq!(h.counter("line-bot.push").await, 8);
    assert_eq!(pushes(&h).await.len(), 8);
}

#[tokio::test]
async fn the_channel_token_is_renewed_before_expiry_and_the_old_one_revoked() {
    let h = Harness::start_all().await;
    let mut jar = signed_in(&h).await;
    assert_eq!(
        send_message(&h, "one", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(h.counter("line-bot.token").await, 1);

    // 29.5 of its 30 days later (keyhole's clock; LINE still accepts it).
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(29 * 24 * 3600 + 12 * 3600)).await;
    tokio::time::resume();
    assert_eq!(
        send_message(&h, "two", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(
        h.counter("line-bot.token").await,
        2,
        "renewed before expiry"
    );
    let mut revoked = 0;
    for _ in 0..100 {
        revoked = h.counter("line-bot.revoke").await;
        if revoked > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(revoked, 1, "the old token is revoked");

    // LINE drops the oldest token past its cap: the 401 renews it once.
    h.admin(
        Method::PUT,
        "/line-bot/options",
        json!({"max_tokens_per_channel": 1}),
    )
    .await;
    let issued = h
        .http
        .post(format!("{}/line-bot/v2/oauth/accessToken", h.sim.base_url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", dev::LINE_BOT_CHANNEL_ID),
            ("client_secret", dev::LINE_BOT_CHANNEL_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert!(issued.status().is_success());
    assert_eq!(
        send_message(&h, "three", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(h.counter("line-bot.token").await, 4);
    assert_eq!(pushes(&h).await.len(), 3);
}

#[test]
fn the_login_provider_must_be_a_configured_line_login_provider() {
    for wrong in ["aihubmix", "missing"] {
        let mut config = common::dev_config("http://127.0.0.1:9", "");
        let bot = config.providers.iter_mut().find(|p| p.id == BOT).unwrap();
        bot.options.insert("login_provider".into(), wrong.into());
        let problems = Keyhole::in_memory(config).unwrap_err().to_string();
        assert!(problems.contains("login_provider"), "{problems}");
        assert!(problems.contains(wrong), "{problems}");
    }
}

/// A LINE connection that needs a new sign-in sends nothing: 401
/// `reauth_required`, and no push reaches LINE.
#[tokio::test]
async fn a_line_sign_in_that_needs_renewing_sends_nothing() {
    let h = Harness::start_all().await;
    let mut jar = signed_in(&h).await;
    let id = keyhole::session::SessionId::from_cookie(jar.get("keyhole_session").unwrap());
    h.state
        .tokens
        .update_state(&id, "line", |c| {
            c.status = keyhole_api::ConnectionStatus::ReauthRequired;
        })
        .await
        .unwrap();
    let refused = send_message(&h, "hello", &mut jar).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(refused.json()["code"], "reauth_required");
    assert_eq!(refused.json()["provider"], "line");
    assert!(pushes(&h).await.is_empty());
}

/// A shutdown drains the queue: events answered 200 but still in progress
/// (here, a slow reply) are processed before `drain` returns.
/// LINE wants a webhook answered at once (it retries a slow answer): the
/// 200 goes out before the events are processed. The reply LINE is asked
/// for is slowed down, so processing cannot have finished by chance when
/// the 200 arrives; had the handler processed the event before answering,
/// the 200 would find it processed.
#[tokio::test]
async fn a_webhook_is_answered_before_its_events_are_processed() {
    let (h, url) = start().await;
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "line-bot.reply", "latency_ms": 800}),
    )
    .await;
    let message = json!({"events": [{"type": "message", "user_id": 12345, "text": "hi"}]});
    assert_eq!(webhook(&h, &url, message).await, 200);
    let stats = h.state.webhooks.stats();
    assert_eq!((stats.accepted, stats.processed), (1, 0), "{stats:?}");
    settle(&h.state).await;
    assert_eq!(h.state.webhooks.stats().processed, 1);
    assert_eq!(h.counter("line-bot.reply").await, 1);
}

#[tokio::test]
async fn draining_waits_for_webhooks_already_answered() {
    let (h, url) = start().await;
    h.admin(
        Method::POST,
        "/faults",
        json!({"endpoint": "line-bot.reply", "latency_ms": 400}),
    )
    .await;
    let message = json!({"events": [{"type": "message", "user_id": 12345, "text": "hi"}]});
    assert_eq!(webhook(&h, &url, message).await, 200);
    let stats = h.state.webhooks.stats();
    assert!(
        stats.processed < stats.accepted,
        "still in progress: {stats:?}"
    );
    assert!(h.state.drain(Duration::from_secs(5)).await);
    let stats = h.state.webhooks.stats();
    assert_eq!(stats.processed, stats.accepted);
    assert_eq!(h.counter("line-bot.reply").await, 1);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever body and signature arrive at the webhook — signed or not,
    /// JSON or not — the answer is never a server error.
    #[test]
    fn arbitrary_webhooks_never_answer_5xx(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        signature in "[A-Za-z0-9+/=]{0,60}",
        events in "[a-zA-Z{}\\[\\]\":, 0-9]{0,200}",
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let h = Harness::start_all().await;
            let json = format!("{{\"events\": [{events}]}}");
            for (bytes, sig) in [
                (body.clone(), Some(signature.clone())),
                (body.clone(), Some(sign(&body))),
                (json.clone().into_bytes(), Some(sign(json.as_bytes()))),
            ] {
                let reply = post_webhook(&h, BOT, &bytes, sig.as_deref()).await;
                assert!(!reply.status.is_server_error(), "{}: {}", reply.status, reply.body);
            }
            settle(&h.state).await;
        });
    }
}

/// Pushes spend the LINE channel's quota, which the whole deployment
/// shares: past `sends_per_minute` per session, 429 with `Retry-After`, and
/// nothing more reaches LINE.
#[tokio::test]
async fn pushes_are_limited_per_session() {
    let sim = common::spawn_sim().await;
    let config = common::dev_config(&sim.base_url, "[limits]\nsends_per_minute = 2");
    let h = Harness::with_state(sim, Keyhole::in_memory(config).unwrap());
    let mut jar = signed_in(&h).await;
    for text in ["one", "two"] {
        let sent = send_message(&h, text, &mut jar).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    }
    let refused = send_message(&h, "three", &mut jar).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["code"], "rate_limited");
    assert_eq!(refused.header("retry-after"), "60");
    assert_eq!(pushes(&h).await.len(), 2);
}

/// Events keyhole has nothing to do for (postback, join, leave, member
/// joined and left), a message in standby mode (no reply token: another
/// channel answers) and the console's empty "Verify" delivery are accepted
/// with 200 and processed without a record, a reply or an error.
#[tokio::test]
async fn postback_group_standby_and_verify_deliveries_are_ignored_safely() {
    let (h, url) = start().await;
    let events = json!({"events": [
        {"type": "postback", "user_id": 12346, "data": "action=buy&item=1"},
        {"type": "join"},
        {"type": "member_joined", "user_id": 12348},
        {"type": "member_left", "user_id": 12348},
        {"type": "leave"},
    ]});
    assert_eq!(webhook(&h, &url, events).await, 200);
    let standby = json!({"mode": "standby",
        "events": [{"type": "message", "user_id": 12347, "text": "hi"}]});
    assert_eq!(webhook(&h, &url, standby).await, 200);
    // Verify: a 200 and nothing to queue.
    assert_eq!(webhook(&h, &url, json!({"events": []})).await, 200);
    settle(&h.state).await;
    let stats = h.state.webhooks.stats();
    assert_eq!((stats.accepted, stats.processed, stats.events), (2, 2, 6));
    for user in [SOMCHAI, MINJUN, ALICE] {
        assert_eq!(friendship(&h.state, user).await, None, "{user}");
    }
    assert_eq!(h.counter("line-bot.reply").await, 0);
    assert_eq!(h.counter("line-bot.push").await, 0);
}
