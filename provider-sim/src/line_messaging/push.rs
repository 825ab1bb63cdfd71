//! Sending messages: `POST /v2/bot/message/push` with retry keys, and single-use replies.

use crate::line_messaging::Ctx;
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    Delivery, DialectState, Friendship, NAME, PUSH, PushResponse, REPLY, REQUEST_ID,
    errors::{ApiError, message},
    request::{self, SendBody},
    request_id, tokens,
};
use crate::{net::Conn, oauth, state::World};

/// The bot API takes a channel token of any kind.
const ALL_KINDS: [tokens::Kind; 3] = [
    tokens::Kind::ShortLived,
    tokens::Kind::V21,
    tokens::Kind::Stateless,
];
const RETRY_KEY: HeaderName = HeaderName::from_static("x-line-retry-key");
const ACCEPTED_REQUEST_ID: HeaderName = HeaderName::from_static("x-line-accepted-request-id");

/// A push whose retry key was accepted, for answering a replay with 409.
#[derive(Debug)]
pub(super) struct Accepted {
    request_id: String,
    sent: Vec<SentMessage>,
    accepted_at: u64,
}

/// One call of the push endpoint, as it arrived (`GET /_sim/line-bot/push-attempts`).
#[derive(Debug, Clone, Serialize)]
pub(super) struct PushAttempt {
    /// The `X-Line-Retry-Key` header as sent (even if malformed), if any.
    retry_key: Option<String>,
    /// Whether an injected fault answered it instead of the endpoint.
    faulted: bool,
    /// Simulated Unix time, seconds.
    time: u64,
}

impl DialectState {
    /// Notes a push call before anything else happens to it; returns its index.
    pub(super) fn note_push_attempt(&mut self, headers: &HeaderMap, now: u64) -> usize {
        let retry_key = headers
            .get(RETRY_KEY)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        self.push_attempts.push(PushAttempt {
            retry_key,
            faulted: false,
            time: now,
        });
        self.push_attempts.len() - 1
    }

    /// Marks attempt `index` as answered by a fault.
    pub(super) fn push_attempt_faulted(&mut self, index: usize) {
        // A reset in between leaves nothing to mark.
        if let Some(attempt) = self.push_attempts.get_mut(index) {
            attempt.faulted = true;
        }
    }
}

/// A reply token handed out with a webhook event.
#[derive(Debug)]
pub(super) struct ReplyToken {
    channel_id: String,
    /// The seeded user a 1:1 reply goes to; `None` for a group.
    user_id: Option<u64>,
    /// The user's LINE id or the group's id.
    to: String,
    expires_at: u64,
    used: bool,
}

/// Issues a reply token for an event on `channel_id` whose replies go `to`.
pub(super) fn issue_reply_token(
    dialect: &mut DialectState,
    channel_id: &str,
    user_id: Option<u64>,
    to: &str,
    now: u64,
) -> String {
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let expires_at = now.saturating_add(dialect.options.reply_token_ttl_secs);
    dialect.reply_tokens.insert(
        token.clone(),
        ReplyToken {
            channel_id: channel_id.to_owned(),
            user_id,
            to: to.to_owned(),
            expires_at,
            used: false,
        },
    );
    token
}

/// One entry of `sentMessages`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SentMessage {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    quote_token: Option<String>,
}

fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::try_from(value) {
        response.headers_mut().insert(name, value);
    }
}

/// Runs a send endpoint: counts the call and plays its next fault (then
/// `on_fault`), or answers with `send` under a fresh request id.
async fn run(
    ctx: &Ctx,
    conn: &Conn,
    endpoint: &str,
    on_fault: impl FnOnce(&mut DialectState),
    send: impl FnOnce(&mut World, &mut DialectState, &str) -> Result<Response, ApiError>,
) -> Response {
    if let Some(response) = ctx.begin(conn, endpoint, None).await {
        ctx.with(|_, dialect| on_fault(dialect));
        return response;
    }
    let id = request_id();
    let mut response = ctx
        .with(|world, dialect| send(world, dialect, &id))
        .unwrap_or_else(IntoResponse::into_response);
    set_header(&mut response, REQUEST_ID, &id);
    response
}

/// `POST /v2/bot/message/push`.
pub(super) async fn push(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Noted before any fault plays, so a test sees the retry key of every
    // attempt, the failed ones included.
    let attempt = ctx.with(|world, dialect| {
        let now = world.clock.now();
        dialect.note_push_attempt(&headers, now)
    });
    let on_fault = |dialect: &mut DialectState| dialect.push_attempt_faulted(attempt);
    run(&ctx, &conn, PUSH, on_fault, |world, dialect, id| {
        push_in(world, dialect, &headers, &body, id)
    })
    .await
}

fn push_in(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: &[u8],
    id: &str,
) -> Result<Response, ApiError> {
    let channel_id = tokens::authenticate(world, dialect, headers, NAME, &ALL_KINDS)?;
    let retry_key = retry_key(headers)?;
    let now = world.clock.now();
    if let Some(key) = &retry_key {
        let ttl = dialect.options.retry_key_ttl_secs;
        let accepted = dialect
            .retry_keys
            .get(&(channel_id.clone(), key.clone()))
            .filter(|accepted| now < accepted.accepted_at.saturating_add(ttl));
        if let Some(accepted) = accepted {
            let body = json!({
                "message": "The retry key is already accepted",
                "sentMessages": accepted.sent,
            });
            let mut response = (StatusCode::CONFLICT, Json(body)).into_response();
            set_header(&mut response, ACCEPTED_REQUEST_ID, &accepted.request_id);
            return Ok(response);
        }
    }
    let send = request::parse_send(headers, body, "to")?;
    if !request::is_recipient(&send.target) {
        return Err(message(
            StatusCode::BAD_REQUEST,
            "The property, 'to', in the request body is invalid (line: -, column: -)",
        ));
    }
    check_monthly_limit(dialect)?;
    let to = send.target.as_str();
    let user_id = world
        .users
        .iter()
        .find(|user| user.line_user_id == to)
        .map(|user| user.id);
    // Groups and rooms always receive; a user only while a friend (LINE answers
    // 200 for blocked and unknown users and silently drops the message).
    let delivered = !to.starts_with('U')
        || user_id.is_some_and(|user| dialect.friendship(&channel_id, user) == Friendship::Friend);
    let sent = deliver(
        world,
        dialect,
        Outgoing {
            channel_id: &channel_id,
            via: "push",
            to,
            user_id,
            delivered,
            send: &send,
            retry_key: retry_key.as_deref(),
            request_id: id,
        },
    );
    if let Some(key) = retry_key {
        dialect.retry_keys.insert(
            (channel_id, key),
            Accepted {
                request_id: id.to_owned(),
                sent: sent.clone(),
                accepted_at: now,
            },
        );
    }
    Ok(success(dialect.options.push_response, sent))
}

/// `POST /v2/bot/message/reply`.
pub(super) async fn reply(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(
        &ctx,
        &conn,
        REPLY,
        |_| {},
        |world, dialect, id| reply_in(world, dialect, &headers, &body, id),
    )
    .await
}

fn reply_in(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: &[u8],
    id: &str,
) -> Result<Response, ApiError> {
    let channel_id = tokens::authenticate(world, dialect, headers, NAME, &ALL_KINDS)?;
    // Retry keys are for push, multicast, narrowcast and broadcast only.
    if headers.contains_key(RETRY_KEY) {
        return Err(message(
            StatusCode::BAD_REQUEST,
            "The X-Line-Retry-Key header cannot be specified for this API",
        ));
    }
    let send = request::parse_send(headers, body, "replyToken")?;
    check_monthly_limit(dialect)?;
    let now = world.clock.now();
    let usable = dialect
        .reply_tokens
        .get_mut(&send.target)
        .filter(|token| token.channel_id == channel_id && !token.used && now < token.expires_at);
    let Some(token) = usable else {
        return Err(message(StatusCode::BAD_REQUEST, "Invalid reply token"));
    };
    token.used = true;
    let (user_id, to) = (token.user_id, token.to.clone());
    let sent = deliver(
        world,
        dialect,
        Outgoing {
            channel_id: &channel_id,
            via: "reply",
            to: &to,
            user_id,
            delivered: true,
            send: &send,
            retry_key: None,
            request_id: id,
        },
    );
    Ok(success(dialect.options.push_response, sent))
}

/// The `X-Line-Retry-Key` header, which must be a hex UUID when present.
fn retry_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(RETRY_KEY) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if is_uuid(key) => Ok(Some(key.to_ascii_lowercase())),
        _ => Err(message(
            StatusCode::BAD_REQUEST,
            "The value of the X-Line-Retry-Key header is invalid",
        )),
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex, any version.
fn is_uuid(value: &str) -> bool {
    value.len() == 36
        && value.char_indices().all(|(index, char)| match index {
            8 | 13 | 18 | 23 => char == '-',
            _ => char.is_ascii_hexdigit(),
        })
}

fn check_monthly_limit(dialect: &DialectState) -> Result<(), ApiError> {
    if dialect.options.monthly_limit_reached {
        return Err(message(
            StatusCode::TOO_MANY_REQUESTS,
            "You have reached your monthly limit.",
        ));
    }
    Ok(())
}

fn success(format: PushResponse, sent: Vec<SentMessage>) -> Response {
    let body = match format {
        PushResponse::SentMessages => json!({ "sentMessages": sent }),
        PushResponse::Empty => json!({}),
    };
    Json(body).into_response()
}

/// A validated send, about to be recorded.
struct Outgoing<'a> {
    channel_id: &'a str,
    via: &'static str,
    to: &'a str,
    user_id: Option<u64>,
    delivered: bool,
    send: &'a SendBody,
    retry_key: Option<&'a str>,
    request_id: &'a str,
}

/// Records every message object of a send and returns their `sentMessages`.
fn deliver(world: &mut World, dialect: &mut DialectState, out: Outgoing<'_>) -> Vec<SentMessage> {
    let now = world.clock.now();
    let mut sent = Vec::new();
    for message in &out.send.messages {
        let id = dialect.next_message_id();
        let kind = message
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        // Only messages a user can quote get a quote token.
        let quote_token =
            matches!(kind.as_str(), "text" | "sticker").then(|| oauth::random_token(48));
        dialect.messages.push(Delivery {
            id: id.clone(),
            channel_id: out.channel_id.to_owned(),
            via: out.via,
            to: out.to.to_owned(),
            user_id: out.user_id,
            text: message
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_owned),
            kind,
            notification_disabled: out.send.notification_disabled,
            retry_key: out.retry_key.map(str::to_owned),
            request_id: out.request_id.to_owned(),
            time: now,
            delivered: out.delivered,
        });
        sent.push(SentMessage { id, quote_token });
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_formats() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
    }
}
