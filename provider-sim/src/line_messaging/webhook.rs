//! Outbound webhooks: `POST /_sim/line-bot/webhook` builds, signs and delivers events.

use super::DialectState;
use crate::line_messaging::Ctx;
use std::time::Duration;

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use url::Url;

use super::{Friendship, WEBHOOK, bot_user_id, channel, push};
use crate::{admin::AdminError, dev, net::Conn, oauth, state::World};

/// How long the simulator waits for the bot server.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `x-line-signature`: Base64(HMAC-SHA256(key = channel secret as UTF-8, raw body)).
pub(crate) fn signature(channel_secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(channel_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A ULID (Crockford base32, 48-bit millisecond time then 80 random bits), the
/// format of `webhookEventId`.
fn ulid(timestamp_ms: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut random = [0_u8; 16];
    rand::rng().fill_bytes(&mut random[6..]);
    let value = (u128::from(timestamp_ms & 0xFFFF_FFFF_FFFF) << 80) | u128::from_be_bytes(random);
    (0..26)
        .rev()
        .map(|digit| char::from(ALPHABET[((value >> (digit * 5)) & 31) as usize]))
        .collect()
}

/// Body of `POST /_sim/line-bot/webhook`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookRequest {
    /// Where to POST; the channel's registered webhook URL by default.
    target_url: Option<String>,
    /// The Messaging API channel sending it; the dev channel by default.
    channel_id: Option<String>,
    /// Empty: LINE's connectivity check (or, with `redelivery`, the last events again).
    #[serde(default)]
    events: Vec<EventSpec>,
    /// Marks events `deliveryContext.isRedelivery`; with no events, resends the
    /// channel's last events unchanged apart from that flag.
    #[serde(default)]
    redelivery: bool,
    #[serde(default)]
    signature: SignatureMode,
    #[serde(default)]
    header_case: HeaderCase,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    #[serde(rename = "type")]
    kind: EventKind,
    /// A seeded user's numeric id or LINE user id.
    user_id: UserRef,
    /// Text of a `message` event.
    text: Option<String>,
    /// `follow.isUnblocked`; by default, whether the user had blocked the account.
    is_unblocked: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventKind {
    Follow,
    Unfollow,
    Message,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum UserRef {
    Id(u64),
    Line(String),
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SignatureMode {
    #[default]
    Valid,
    /// Well-formed, but made with the wrong key.
    Invalid,
    Missing,
}

/// LINE warns that the header name's case may change; `upper` sends `X-Line-Signature`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HeaderCase {
    #[default]
    Lower,
    Upper,
}

/// A webhook ready to send, built under the lock.
struct Prepared {
    target_url: String,
    body: String,
    signature: Option<String>,
}

/// `POST /_sim/line-bot/webhook`: sends one webhook and answers
/// `{target_url, status, body, signature, payload}` with the bot server's answer.
pub(super) async fn send(
    State(ctx): State<Ctx>,
    conn: Conn,
    Json(request): Json<WebhookRequest>,
) -> Response {
    let channel_id = request
        .channel_id
        .clone()
        .unwrap_or_else(|| dev::LINE_BOT_CHANNEL_ID.to_owned());
    let prepared = match ctx.with(|world, dialect| prepare(world, dialect, &channel_id, &request)) {
        Ok(prepared) => prepared,
        Err(error) => return error.into_response(),
    };
    // Counted once the webhook is certain to go out; WEBHOOK is no fault target.
    if let Some(response) = ctx.begin(&conn, WEBHOOK, None).await {
        return response;
    }
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    if request.header_case == HeaderCase::Upper {
        builder = builder.http1_title_case_headers();
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(error) => return bad_gateway(&format!("cannot build an HTTP client: {error}")),
    };
    let mut outbound = client
        .post(&prepared.target_url)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(header::USER_AGENT, "LineBotWebhook/2.0")
        .body(prepared.body.clone());
    if let Some(signature) = &prepared.signature {
        outbound = outbound.header("x-line-signature", signature);
    }
    let answer = match outbound.send().await {
        Ok(answer) => answer,
        Err(error) => return bad_gateway(&format!("the webhook was not delivered: {error}")),
    };
    let status = answer.status().as_u16();
    let mut body = answer.text().await.unwrap_or_default();
    body.truncate(body.floor_char_boundary(4096));
    let payload: Value = serde_json::from_str(&prepared.body).unwrap_or(Value::Null);
    Json(json!({
        "target_url": prepared.target_url,
        "status": status,
        "body": body,
        "signature": prepared.signature,
        "payload": payload,
    }))
    .into_response()
}

fn bad_gateway(message: &str) -> Response {
    (StatusCode::BAD_GATEWAY, Json(json!({ "error": message }))).into_response()
}

fn prepare(
    world: &mut World,
    dialect: &mut DialectState,
    channel_id: &str,
    request: &WebhookRequest,
) -> Result<Prepared, AdminError> {
    let (secret, _, webhook_url) = channel(world, channel_id)
        .ok_or_else(|| AdminError::not_found(format!("no Messaging API channel {channel_id:?}")))?;
    let target_url = request.target_url.clone().unwrap_or(webhook_url);
    if Url::parse(&target_url).is_err() {
        return Err(AdminError::bad_request(
            "target_url must be an absolute URL",
        ));
    }
    let events = if request.redelivery && request.events.is_empty() {
        let last = dialect.last_events.get(channel_id).ok_or_else(|| {
            AdminError::bad_request("no earlier webhook of this channel to redeliver")
        })?;
        last.iter()
            .cloned()
            .map(|mut event| {
                event["deliveryContext"]["isRedelivery"] = true.into();
                event
            })
            .collect()
    } else {
        // Resolve every user before changing any friendship, so a bad request changes nothing.
        let mut users = Vec::new();
        for spec in &request.events {
            let user = match &spec.user_id {
                UserRef::Id(id) => world.user(*id),
                UserRef::Line(line_id) => world
                    .users
                    .iter()
                    .find(|user| user.line_user_id == line_id.as_str()),
            };
            let user = user.ok_or_else(|| {
                AdminError::bad_request(format!("no seeded user {:?}", spec.user_id))
            })?;
            if spec.kind == EventKind::Message && spec.text.is_none() {
                return Err(AdminError::bad_request("a message event needs text"));
            }
            users.push((user.id, user.line_user_id));
        }
        let events: Vec<Value> = request
            .events
            .iter()
            .zip(users)
            .enumerate()
            .map(|(index, (spec, (user_id, line_user_id)))| {
                let ids = (user_id, line_user_id);
                build_event(
                    world,
                    dialect,
                    channel_id,
                    spec,
                    ids,
                    index,
                    request.redelivery,
                )
            })
            .collect();
        dialect
            .last_events
            .insert(channel_id.to_owned(), events.clone());
        events
    };
    let body = json!({ "destination": bot_user_id(channel_id), "events": events }).to_string();
    let signature = match request.signature {
        SignatureMode::Valid => Some(signature(&secret, body.as_bytes())),
        SignatureMode::Invalid => Some(signature(&format!("{secret}-wrong"), body.as_bytes())),
        SignatureMode::Missing => None,
    };
    Ok(Prepared {
        target_url,
        body,
        signature,
    })
}

/// One event object; follow and unfollow change the user's friendship on the way.
fn build_event(
    world: &mut World,
    dialect: &mut DialectState,
    channel_id: &str,
    spec: &EventSpec,
    (user_id, line_user_id): (u64, &str),
    index: usize,
    redelivery: bool,
) -> Value {
    let now = world.clock.now();
    // Distinct, increasing timestamps within one body.
    let timestamp = now.saturating_mul(1000).saturating_add(index as u64);
    let kind = match spec.kind {
        EventKind::Follow => "follow",
        EventKind::Unfollow => "unfollow",
        EventKind::Message => "message",
    };
    let mut event = json!({
        "type": kind,
        "mode": "active",
        "timestamp": timestamp,
        "source": { "type": "user", "userId": line_user_id },
        "webhookEventId": ulid(timestamp),
        "deliveryContext": { "isRedelivery": redelivery },
    });
    match spec.kind {
        EventKind::Follow => {
            let was_blocked = dialect.friendship(channel_id, user_id) == Friendship::Blocked;
            dialect.set_friendship(channel_id, user_id, Friendship::Friend);
            let token = push::issue_reply_token(dialect, channel_id, user_id, line_user_id, now);
            event["replyToken"] = token.into();
            event["follow"] = json!({ "isUnblocked": spec.is_unblocked.unwrap_or(was_blocked) });
        }
        // Unfollow means the user blocked the account; it carries no reply token.
        EventKind::Unfollow => dialect.set_friendship(channel_id, user_id, Friendship::Blocked),
        EventKind::Message => {
            let token = push::issue_reply_token(dialect, channel_id, user_id, line_user_id, now);
            event["replyToken"] = token.into();
            event["message"] = json!({
                "type": "text",
                "id": dialect.next_message_id(),
                "quoteToken": oauth::random_token(48),
                "text": spec.text.clone().unwrap_or_default(),
            });
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official test vector (LINE's webhook-signature documentation).
    #[test]
    fn signature_matches_the_official_test_vector() {
        let body = r#"{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}"#;
        assert_eq!(
            signature("8c570fa6dd201bb328f1c1eac23a96d8", body.as_bytes()),
            "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
        );
    }

    #[test]
    fn ulids_encode_the_time_first() {
        let id = ulid(1_625_665_242_211);
        assert_eq!(id.len(), 26);
        assert!(id.starts_with("01F"));
        assert!(
            id.chars()
                .all(|char| char.is_ascii_digit() || char.is_ascii_uppercase())
        );
        // Later times sort later.
        assert!(ulid(1_625_665_242_212)[..10] > id[..10]);
    }
}
