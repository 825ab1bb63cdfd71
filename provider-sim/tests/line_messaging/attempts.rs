//! The admin record of push calls: every attempt's retry key, the ones a
//! fault answered included, so a client's retries can be checked.

use super::*;

/// A faulted attempt is recorded with the key it carried, before the fault
/// plays; a push without a key is recorded too; a reset forgets them.
#[tokio::test]
async fn every_push_attempt_is_recorded_with_its_retry_key() {
    let h = &Harness::start().await;
    let token = h.channel_token().await;
    h.admin(
        Method::POST,
        "/_sim/faults",
        json!({"endpoint": "line-bot.push", "status": 503}),
    )
    .await;
    let body = text(XIAOMING, "hi");
    let push = |key: Option<&'static str>| {
        let body = &body;
        let token = &token;
        async move { h.push(token, body, key).await.status() }
    };
    assert_eq!(push(Some(RETRY_KEY)).await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(push(Some(RETRY_KEY)).await, StatusCode::OK);
    assert_eq!(push(None).await, StatusCode::OK);

    let attempts = h
        .admin(Method::GET, "/_sim/line-bot/push-attempts", Value::Null)
        .await;
    let seen: Vec<(Value, Value)> = attempts
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| (a["retry_key"].clone(), a["faulted"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (json!(RETRY_KEY), json!(true)),
            (json!(RETRY_KEY), json!(false)),
            (Value::Null, json!(false)),
        ]
    );
    h.admin(Method::POST, "/_sim/reset", Value::Null).await;
    let after = h
        .admin(Method::GET, "/_sim/line-bot/push-attempts", Value::Null)
        .await;
    assert_eq!(after, json!([]));
}
