//! Sending messages: `POST /v2/bot/message/push` with retry keys, and single-use replies.

use crate::line_messaging::Ctx;
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    Delivery, DialectState, Friendship, PUSH, PushResponse, REPLY, REQUEST_ID, request_id, tokens,
};
use crate::{net::Conn, oauth, state::World};

const RETRY_KEY: HeaderName = HeaderName::from_static("x-line-retry-key");
const ACCEPTED_REQUEST_ID: HeaderName = HeaderName::from_static("x-line-accepted-request-id");

/// Message types the API knows; anything else is a validation error.
const MESSAGE_TYPES: &[&str] = &[
    "text", "image", "video", "audio", "location", "sticker", "imagemap", "template", "flex",
];

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

/// One entry of an error's `details`.
#[derive(Debug, Serialize)]
pub(super) struct Detail {
    message: String,
    property: String,
}

fn detail(message: &str, property: impl Into<String>) -> Detail {
    Detail {
        message: message.to_owned(),
        property: property.into(),
    }
}

/// A Messaging API error: `{"message", "details"?}`, `details` left out when empty.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
    details: Vec<Detail>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "message": self.message });
        if !self.details.is_empty() {
            body["details"] = json!(self.details);
        }
        (self.status, Json(body)).into_response()
    }
}

pub(super) fn api_error(status: StatusCode, message: &str, details: Vec<Detail>) -> ApiError {
    ApiError {
        status,
        message: message.to_owned(),
        details,
    }
}

fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::try_from(value) {
        response.headers_mut().insert(name, value);
    }
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
    if let Some(response) = ctx.begin(&conn, PUSH, None).await {
        ctx.with(|_, dialect| dialect.push_attempt_faulted(attempt));
        return response;
    }
    let id = request_id();
    let mut response = ctx.with(|world, dialect| push_in(world, dialect, &headers, &body, &id));
    set_header(&mut response, REQUEST_ID, &id);
    response
}

fn push_in(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: &[u8],
    id: &str,
) -> Response {
    let channel_id = match tokens::authenticate(world, dialect, headers) {
        Ok(channel_id) => channel_id,
        Err(error) => return error.into_response(),
    };
    let retry_key = match retry_key(headers) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
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
            return response;
        }
    }
    let request = match parse_json(headers, body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let mut details = Vec::new();
    let to = required_string(&request, "to", &mut details);
    let messages = validate_messages(&request, &mut details);
    let notification_disabled = flag(&request, "notificationDisabled", &mut details);
    if !details.is_empty() {
        return validation_error(details);
    }
    if !is_recipient(&to) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "The property, 'to', in the request body is invalid (line: -, column: -)",
            Vec::new(),
        )
        .into_response();
    }
    if dialect.options.monthly_limit_reached {
        return monthly_limit();
    }
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
            to: &to,
            user_id,
            delivered,
            messages: &messages,
            notification_disabled,
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
    success(dialect.options.push_response, sent)
}

/// `POST /v2/bot/message/reply`.
pub(super) async fn reply(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = ctx.begin(&conn, REPLY, None).await {
        return response;
    }
    let id = request_id();
    let mut response = ctx.with(|world, dialect| reply_in(world, dialect, &headers, &body, &id));
    set_header(&mut response, REQUEST_ID, &id);
    response
}

fn reply_in(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: &[u8],
    id: &str,
) -> Response {
    let channel_id = match tokens::authenticate(world, dialect, headers) {
        Ok(channel_id) => channel_id,
        Err(error) => return error.into_response(),
    };
    // Retry keys are for push, multicast, narrowcast and broadcast only.
    if headers.contains_key(RETRY_KEY) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "The X-Line-Retry-Key header cannot be specified for this API",
            Vec::new(),
        )
        .into_response();
    }
    let request = match parse_json(headers, body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let mut details = Vec::new();
    let reply_token = required_string(&request, "replyToken", &mut details);
    let messages = validate_messages(&request, &mut details);
    let notification_disabled = flag(&request, "notificationDisabled", &mut details);
    if !details.is_empty() {
        return validation_error(details);
    }
    if dialect.options.monthly_limit_reached {
        return monthly_limit();
    }
    let now = world.clock.now();
    let usable = dialect
        .reply_tokens
        .get_mut(&reply_token)
        .filter(|token| token.channel_id == channel_id && !token.used && now < token.expires_at);
    let Some(token) = usable else {
        return api_error(StatusCode::BAD_REQUEST, "Invalid reply token", Vec::new())
            .into_response();
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
            messages: &messages,
            notification_disabled,
            retry_key: None,
            request_id: id,
        },
    );
    success(dialect.options.push_response, sent)
}

/// The `X-Line-Retry-Key` header, which must be a hex UUID when present.
fn retry_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(RETRY_KEY) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if is_uuid(key) => Ok(Some(key.to_ascii_lowercase())),
        _ => Err(api_error(
            StatusCode::BAD_REQUEST,
            "The value of the X-Line-Retry-Key header is invalid",
            Vec::new(),
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

/// A user (`U`), group (`C`) or room (`R`) id: a letter and 32 hex digits.
fn is_recipient(to: &str) -> bool {
    to.len() == 33
        && (to.starts_with('U') || to.starts_with('C') || to.starts_with('R'))
        && to[1..].bytes().all(|byte| byte.is_ascii_hexdigit())
}

fn parse_json(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            &format!("The content type, '{content_type}', is not supported"),
            Vec::new(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => Ok(value),
        Ok(_) => Err(api_error(
            StatusCode::BAD_REQUEST,
            "The request body could not be parsed as JSON (line: 1, column: 1)",
            Vec::new(),
        )),
        Err(error) => Err(api_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "The request body could not be parsed as JSON (line: {}, column: {})",
                error.line(),
                error.column()
            ),
            Vec::new(),
        )),
    }
}

fn required_string(request: &Value, name: &str, details: &mut Vec<Detail>) -> String {
    match request.get(name).and_then(Value::as_str) {
        Some(value) if !value.is_empty() => value.to_owned(),
        _ => {
            details.push(detail("May not be empty", name));
            String::new()
        }
    }
}

fn flag(request: &Value, name: &str, details: &mut Vec<Detail>) -> bool {
    match request.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(value)) => *value,
        Some(_) => {
            details.push(detail("Must be a boolean", name));
            false
        }
    }
}

/// Checks `messages` (1 to 5 objects; texts 1 to 5000 characters).
fn validate_messages(request: &Value, details: &mut Vec<Detail>) -> Vec<Value> {
    let Some(messages) = request.get("messages").and_then(Value::as_array) else {
        details.push(detail("May not be empty", "messages"));
        return Vec::new();
    };
    if !(1..=5).contains(&messages.len()) {
        details.push(detail("Size must be between 1 and 5", "messages"));
    }
    for (index, message) in messages.iter().enumerate() {
        match message.get("type").and_then(Value::as_str) {
            None => details.push(detail(
                "May not be empty",
                format!("messages[{index}].type"),
            )),
            Some("text") => match message.get("text").and_then(Value::as_str) {
                None | Some("") => {
                    details.push(detail(
                        "May not be empty",
                        format!("messages[{index}].text"),
                    ));
                }
                Some(text) if text.chars().count() > 5000 => details.push(detail(
                    "Length must be between 0 and 5000",
                    format!("messages[{index}].text"),
                )),
                Some(_) => {}
            },
            Some(kind) if MESSAGE_TYPES.contains(&kind) => {}
            Some(_) => details.push(detail(
                &format!(
                    "Must be one of the following values: [{}]",
                    MESSAGE_TYPES.join(", ")
                ),
                format!("messages[{index}].type"),
            )),
        }
    }
    messages.clone()
}

fn validation_error(details: Vec<Detail>) -> Response {
    let message = format!("The request body has {} error(s)", details.len());
    api_error(StatusCode::BAD_REQUEST, &message, details).into_response()
}

fn monthly_limit() -> Response {
    api_error(
        StatusCode::TOO_MANY_REQUESTS,
        "You have reached your monthly limit.",
        Vec::new(),
    )
    .into_response()
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
    messages: &'a [Value],
    notification_disabled: bool,
    retry_key: Option<&'a str>,
    request_id: &'a str,
}

/// Records every message object of a send and returns their `sentMessages`.
fn deliver(world: &mut World, dialect: &mut DialectState, out: Outgoing<'_>) -> Vec<SentMessage> {
    let now = world.clock.now();
    let mut sent = Vec::new();
    for message in out.messages {
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
            notification_disabled: out.notification_disabled,
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
    fn uuid_and_recipient_formats() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
        assert!(is_recipient("U8e742f61d673b39c7fff3cecb7536ef0"));
        assert!(is_recipient("C8e742f61d673b39c7fff3cecb7536ef0"));
        assert!(!is_recipient("X8e742f61d673b39c7fff3cecb7536ef0"));
        assert!(!is_recipient("U8e742f61"));
    }

    #[test]
    fn messages_are_validated_with_details() {
        let long = "あ".repeat(5001);
        let request = json!({
            "messages": [
                {"type": "text", "text": ""},
                {"type": "carousel"},
                {"type": "text", "text": long},
                {"type": "sticker", "packageId": "446", "stickerId": "1988"},
            ]
        });
        let mut details = Vec::new();
        validate_messages(&request, &mut details);
        let properties: Vec<&str> = details.iter().map(|d| d.property.as_str()).collect();
        assert_eq!(
            properties,
            ["messages[0].text", "messages[1].type", "messages[2].text"]
        );
        let mut details = Vec::new();
        validate_messages(&json!({"messages": []}), &mut details);
        assert_eq!(details[0].message, "Size must be between 1 and 5");
    }
}
