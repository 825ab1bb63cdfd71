//! Outbound webhooks: delivery to a local bot server, signatures, redelivery, replies.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::mpsc,
};

use super::*;

/// One webhook request as the bot server received it: raw head and body bytes.
#[derive(Debug)]
struct Received {
    head: String,
    body: Vec<u8>,
}

impl Received {
    /// A header's value, matching the name case-insensitively as the seed asks.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// A bare HTTP/1.1 bot server on 127.0.0.1 that records each request and answers
/// `status`. Raw, so the header-name case on the wire can be checked.
async fn bot_server(status: u16) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let url = format!(
        "http://{}/api/webhooks/line-bot",
        listener.local_addr().expect("addr")
    );
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = Vec::new();
            let mut chunk = [0_u8; 4096];
            let received = loop {
                let Ok(read) = stream.read(&mut chunk).await else {
                    break None;
                };
                if read == 0 {
                    break None;
                }
                buffer.extend_from_slice(&chunk[..read]);
                let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                let probe = Received {
                    head,
                    body: Vec::new(),
                };
                let length: usize = probe
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if buffer.len() >= end + 4 + length {
                    break Some(Received {
                        head: probe.head,
                        body: buffer[end + 4..end + 4 + length].to_vec(),
                    });
                }
            };
            let Some(received) = received else { continue };
            let reply = format!(
                "HTTP/1.1 {status} Status\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = sender.send(received);
        }
    });
    (url, receiver)
}

fn expected_signature(body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(dev::LINE_BOT_CHANNEL_SECRET.as_bytes()).expect("any key");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A webhook reaches a local bot server, correctly signed over the raw body,
/// with several events; follow befriends, replies use the tokens once, and a
/// redelivery repeats the events flagged `isRedelivery`.
#[tokio::test]
async fn webhook_delivery_follow_and_reply() {
    let h = &Harness::start().await;
    let (target_url, mut inbox) = bot_server(200).await;
    let events = json!([
        {"type": "follow", "user_id": 12346},
        {"type": "message", "user_id": SOMCHAI, "text": "สวัสดี"},
    ]);
    let answer = h
        .admin(
            Method::POST,
            "/_sim/line-bot/webhook",
            json!({"target_url": target_url, "events": events}),
        )
        .await;
    assert_eq!(answer["status"], 200);
    let received = inbox.recv().await.expect("delivered");
    assert!(
        received
            .head
            .starts_with("POST /api/webhooks/line-bot HTTP/1.1")
    );
    assert!(
        received.head.contains("\r\nx-line-signature: "),
        "lower case by default"
    );
    assert_eq!(
        received.header("x-line-signature"),
        Some(expected_signature(&received.body).as_str())
    );
    let payload = received.json();
    assert_eq!(payload, answer["payload"]);
    assert_eq!(payload["destination"], dev::LINE_BOT_USER_ID);
    let [follow, message] = payload["events"].as_array().expect("events").as_slice() else {
        panic!("two events")
    };
    assert_eq!(
        (
            follow["type"].as_str(),
            follow["follow"]["isUnblocked"].as_bool()
        ),
        (Some("follow"), Some(false))
    );
    assert_eq!(
        (follow["mode"].as_str(), follow["source"]["userId"].as_str()),
        (Some("active"), Some(SOMCHAI))
    );
    assert_eq!(follow["webhookEventId"].as_str().map(str::len), Some(26));
    assert_eq!(follow["deliveryContext"]["isRedelivery"], false);
    assert!(follow["timestamp"].as_u64().expect("ms") > 1_600_000_000_000);
    assert_eq!(message["message"]["text"], "สวัสดี");
    // The follow made สมชาย a friend: a push now arrives.
    let token = &h.channel_token().await;
    h.push(token, &text(SOMCHAI, "welcome"), None).await;
    let messages = h
        .admin(Method::GET, "/_sim/line-bot/messages", Value::Null)
        .await;
    assert_eq!(messages[0]["delivered"], true);
    // Reply tokens: once each, never with a retry key.
    let reply = |reply_token: &Value, key: Option<&'static str>| {
        let body = json!({"replyToken": reply_token, "messages": [{"type": "text", "text": "ok"}]});
        async move {
            h.send("/line-bot/v2/bot/message/reply", token, &body, key)
                .await
        }
    };
    assert_eq!(
        reply(&message["replyToken"], Some(RETRY_KEY))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        reply(&message["replyToken"], None).await.status(),
        StatusCode::OK
    );
    let again = reply(&message["replyToken"], None).await;
    assert_eq!(
        again.json::<Value>().await.expect("JSON"),
        json!({"message": "Invalid reply token"})
    );
    // Redelivery: the same events, flagged.
    h.admin(
        Method::POST,
        "/_sim/line-bot/webhook",
        json!({"target_url": target_url, "redelivery": true}),
    )
    .await;
    let redelivered = inbox.recv().await.expect("redelivered").json();
    assert_eq!(
        redelivered["events"][1]["webhookEventId"],
        message["webhookEventId"]
    );
    assert_eq!(
        redelivered["events"][1]["replyToken"],
        message["replyToken"]
    );
    assert_eq!(
        redelivered["events"][0]["deliveryContext"]["isRedelivery"],
        true
    );
}

/// Signature and header-case variants, unfollow blocking, and the target's status passed back.
#[tokio::test]
async fn webhook_variants_and_unfollow() {
    let h = &Harness::start().await;
    let (target_url, mut inbox) = bot_server(500).await;
    let send = |extra: Value| {
        let mut body =
            json!({"target_url": target_url, "events": [{"type": "unfollow", "user_id": 12345}]});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().cloned().unwrap_or_default());
        h.admin(Method::POST, "/_sim/line-bot/webhook", body)
    };
    let answer = send(json!({"header_case": "upper"})).await;
    assert_eq!(answer["status"], 500);
    let received = inbox.recv().await.expect("delivered");
    assert!(received.head.contains("\r\nX-Line-Signature: "));
    assert!(received.json()["events"][0].get("replyToken").is_none());
    send(json!({"signature": "invalid"})).await;
    let received = inbox.recv().await.expect("delivered");
    assert_ne!(
        received.header("x-line-signature"),
        Some(expected_signature(&received.body).as_str())
    );
    send(json!({"signature": "missing", "events": []})).await;
    let received = inbox.recv().await.expect("delivered");
    assert!(received.header("x-line-signature").is_none());
    assert_eq!(received.json()["events"], json!([]));
    let friendships = h
        .admin(Method::GET, "/_sim/line-bot/friendships", Value::Null)
        .await;
    assert_eq!(friendships[0]["state"], "blocked");
    // A blocked user is not delivered to.
    let token = h.channel_token().await;
    h.push(&token, &text(XIAOMING, "hi"), None).await;
    assert_eq!(
        h.admin(Method::GET, "/_sim/line-bot/messages", Value::Null)
            .await[0]["delivered"],
        false
    );
}

/// Postback, join, leave and member events have LINE's shapes; a group
/// event's reply goes to the group; standby mode carries no reply token; and
/// the console's "Verify" delivery is an empty, signed event list.
#[tokio::test]
async fn webhook_event_types_standby_and_verify() {
    let h = &Harness::start().await;
    let (target_url, mut inbox) = bot_server(200).await;
    let events = json!([
        {"type": "postback", "user_id": 12345, "data": "action=buy&item=1",
         "params": {"datetime": "2026-01-01T10:00"}},
        {"type": "join"},
        {"type": "member_joined", "user_id": 12346},
        {"type": "member_left", "user_id": 12346},
        {"type": "leave"},
    ]);
    let webhook = json!({"target_url": target_url, "events": events});
    h.admin(Method::POST, "/_sim/line-bot/webhook", webhook)
        .await;
    let received = inbox.recv().await.expect("delivered");
    assert_eq!(
        received.header("x-line-signature"),
        Some(expected_signature(&received.body).as_str())
    );
    let payload = received.json();
    let kinds: Vec<&str> = payload["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        kinds,
        ["postback", "join", "memberJoined", "memberLeft", "leave"]
    );
    let [postback, join, joined, left, leave] =
        payload["events"].as_array().expect("events").as_slice()
    else {
        panic!("five events")
    };
    assert_eq!(postback["postback"]["data"], "action=buy&item=1");
    assert_eq!(
        postback["postback"]["params"]["datetime"],
        "2026-01-01T10:00"
    );
    assert_eq!(
        postback["source"],
        json!({"type": "user", "userId": XIAOMING})
    );
    let group = join["source"]["groupId"].as_str().expect("group id");
    assert!(group.starts_with('C') && group.len() == 33);
    assert_eq!(join["source"], json!({"type": "group", "groupId": group}));
    assert_eq!(
        joined["joined"],
        json!({"members": [{"type": "user", "userId": SOMCHAI}]})
    );
    assert_eq!(left["left"]["members"][0]["userId"], SOMCHAI);
    for event in [postback, join, joined] {
        assert_eq!(event["mode"], "active");
        assert!(event["replyToken"].is_string(), "{event}");
    }
    for event in [left, leave] {
        assert!(event.get("replyToken").is_none(), "{event}");
    }
    // A reply to the join goes to the group.
    let token = &h.channel_token().await;
    let reply =
        json!({"replyToken": join["replyToken"], "messages": [{"type": "text", "text": "hi all"}]});
    let answer = h
        .send("/line-bot/v2/bot/message/reply", token, &reply, None)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let messages = h
        .admin(Method::GET, "/_sim/line-bot/messages", Value::Null)
        .await;
    assert_eq!(
        (&messages[0]["to"], &messages[0]["user_id"]),
        (&json!(group), &Value::Null)
    );

    // Standby: the events say so and carry no reply token.
    let standby = json!({"target_url": target_url, "mode": "standby",
        "events": [{"type": "message", "user_id": 12345, "text": "hi", "group_id": group}]});
    h.admin(Method::POST, "/_sim/line-bot/webhook", standby)
        .await;
    let event = &inbox.recv().await.expect("delivered").json()["events"][0];
    assert_eq!(event["mode"], "standby");
    assert!(event.get("replyToken").is_none());
    assert_eq!(
        event["source"],
        json!({"type": "group", "groupId": group, "userId": XIAOMING})
    );

    // Verify: `{"destination": …, "events": []}`, signed like the rest.
    let verify = json!({"target_url": target_url});
    let answer = h
        .admin(Method::POST, "/_sim/line-bot/webhook", verify)
        .await;
    assert_eq!(answer["status"], 200);
    let received = inbox.recv().await.expect("delivered");
    assert_eq!(
        received.json(),
        json!({"destination": dev::LINE_BOT_USER_ID, "events": []})
    );
    assert_eq!(
        received.header("x-line-signature"),
        Some(expected_signature(&received.body).as_str())
    );

    // Bad specs change nothing and say why.
    for (event, why) in [
        (json!({"type": "postback", "user_id": 12345}), "needs data"),
        (json!({"type": "member_joined"}), "needs user_id"),
        (
            json!({"type": "follow", "user_id": 12345, "group_id": group}),
            "1:1",
        ),
        (json!({"type": "join", "group_id": "C12"}), "group_id"),
    ] {
        let body = json!({"target_url": target_url, "events": [event]});
        let response = h
            .http
            .post(h.url("/_sim/line-bot/webhook"))
            .json(&body)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let error: Value = response.json().await.expect("JSON");
        assert!(
            error["error"].as_str().expect("message").contains(why),
            "{error}"
        );
    }
}
