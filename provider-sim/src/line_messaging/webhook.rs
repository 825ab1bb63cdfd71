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
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use url::Url;

use super::{
    WEBHOOK, bot_user_id, channel,
    events::{self, EventSpec, Mode},
};
use crate::{admin::AdminError, dev, net::Conn, state::World};

/// How long the simulator waits for the bot server.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `x-line-signature`: Base64(HMAC-SHA256(key = channel secret as UTF-8, raw body)).
pub(crate) fn signature(channel_secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(channel_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
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
    /// `standby`: every event says so and none carries a reply token.
    #[serde(default)]
    mode: Mode,
    /// Marks events `deliveryContext.isRedelivery`; with no events, resends the
    /// channel's last events unchanged apart from that flag.
    #[serde(default)]
    redelivery: bool,
    #[serde(default)]
    signature: SignatureMode,
    #[serde(default)]
    header_case: HeaderCase,
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
        let resolved = events::resolve(world, channel_id, &request.events)?;
        let flags = |index| (index, request.mode, request.redelivery);
        let events: Vec<Value> = resolved
            .iter()
            .enumerate()
            .map(|(index, event)| events::build(world, dialect, channel_id, event, flags(index)))
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
}
