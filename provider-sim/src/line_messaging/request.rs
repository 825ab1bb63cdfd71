//! The body of a push or reply: content type, JSON, and the checks behind `{message, details}` errors.

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value;

use super::errors::{ApiError, Detail, api_error, detail, message};

/// Message types the API knows; anything else is a validation error.
const MESSAGE_TYPES: &[&str] = &[
    "text", "image", "video", "audio", "location", "sticker", "imagemap", "template", "flex",
];

/// A push or reply body that passed validation.
#[derive(Debug)]
pub(super) struct SendBody {
    /// The `to` of a push, the `replyToken` of a reply.
    pub(super) target: String,
    pub(super) messages: Vec<Value>,
    pub(super) notification_disabled: bool,
}

/// Parses and checks a body whose recipient is field `target` (`to` or `replyToken`).
pub(super) fn parse_send(
    headers: &HeaderMap,
    body: &[u8],
    target: &str,
) -> Result<SendBody, ApiError> {
    let request = parse_json(headers, body)?;
    let mut details = Vec::new();
    let target = required_string(&request, target, &mut details);
    let messages = validate_messages(&request, &mut details);
    let notification_disabled = flag(&request, "notificationDisabled", &mut details);
    if !details.is_empty() {
        let message = format!("The request body has {} error(s)", details.len());
        return Err(api_error(StatusCode::BAD_REQUEST, &message, details));
    }
    Ok(SendBody {
        target,
        messages,
        notification_disabled,
    })
}

/// A user (`U`), group (`C`) or room (`R`) id: a letter and 32 hex digits.
pub(super) fn is_recipient(to: &str) -> bool {
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
        return Err(message(
            StatusCode::BAD_REQUEST,
            &format!("The content type, '{content_type}', is not supported"),
        ));
    }
    let (line, column) = match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => return Ok(value),
        Ok(_) => (1, 1),
        Err(error) => (error.line(), error.column()),
    };
    Err(message(
        StatusCode::BAD_REQUEST,
        &format!("The request body could not be parsed as JSON (line: {line}, column: {column})"),
    ))
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
        let text = format!("messages[{index}].text");
        match message.get("type").and_then(Value::as_str) {
            None => details.push(detail(
                "May not be empty",
                format!("messages[{index}].type"),
            )),
            Some("text") => match message.get("text").and_then(Value::as_str) {
                None | Some("") => details.push(detail("May not be empty", text)),
                Some(body) if body.chars().count() > 5000 => {
                    details.push(detail("Length must be between 0 and 5000", text));
                }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn recipient_formats() {
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
