//! A push's retries as LINE sees them: the simulator records the
//! `X-Line-Retry-Key` of every push call — also the ones a fault answers
//! before the endpoint runs — so all attempts of one push can be compared.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{Decision, Harness, Jar};
use reqwest::Method;
use serde_json::{Value, json};

/// `(retry_key, faulted)` of every push call the simulator saw, oldest first.
async fn attempts(h: &Harness) -> Vec<(Option<String>, bool)> {
    let all = h
        .admin(Method::GET, "/line-bot/push-attempts", json!({}))
        .await;
    all.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["retry_key"].as_str().map(str::to_owned),
                a["faulted"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// A 500, a dropped connection and a 503, then success: four attempts of
/// one push, every one with the same retry key, which is also the key of
/// the one delivered message. The next push has a key of its own.
#[tokio::test]
async fn every_attempt_of_a_push_carries_the_same_retry_key() {
    let h = Harness::start_all().await;
    let mut jar = Jar::default();
    let done = h.login("line", "popup", Decision::Allow, &mut jar).await;
    assert!(done.body.contains(r#""ok":true"#), "{}", done.body);
    for fault in [
        json!({"endpoint": "line-bot.push", "status": 500}),
        json!({"endpoint": "line-bot.push", "drop": true}),
        json!({"endpoint": "line-bot.push", "status": 503}),
    ] {
        h.admin(Method::POST, "/faults", fault).await;
    }
    let sent = h
        .post_json(
            "/api/me/line-bot/message",
            json!({"text": "fourth time lucky"}),
            &mut jar,
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);

    let seen = attempts(&h).await;
    assert_eq!(
        seen.iter().map(|(_, faulted)| *faulted).collect::<Vec<_>>(),
        [true, true, true, false],
        "{seen:?}"
    );
    let key = seen[0].0.clone().expect("the first attempt carries a key");
    assert!(uuid::Uuid::parse_str(&key).is_ok(), "{key}");
    for (n, (other, _)) in seen.iter().enumerate() {
        assert_eq!(other.as_deref(), Some(key.as_str()), "attempt {}", n + 1);
    }
    let messages = h.admin(Method::GET, "/line-bot/messages", json!({})).await;
    let pushed: Vec<&Value> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["via"] == "push")
        .collect();
    assert_eq!(pushed.len(), 1, "delivered once: {pushed:?}");
    assert_eq!(pushed[0]["retry_key"], key.as_str());

    // A new push is a new message: a new key.
    let next = h
        .post_json(
            "/api/me/line-bot/message",
            json!({"text": "next"}),
            &mut jar,
        )
        .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    let seen = attempts(&h).await;
    assert_eq!(seen.len(), 5, "{seen:?}");
    let fresh = seen[4].0.as_deref().unwrap();
    assert_ne!(fresh, key);
}
