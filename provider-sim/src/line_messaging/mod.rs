//! The LINE Messaging API dialect (docs/providers.md): channel tokens, push/reply, signed webhooks.
//!
//! Routes mirror `https://api.line.me/...` under [`PREFIX`]. A Messaging API channel is
//! a registered client of dialect `line_messaging`: `client_id` is the channel id,
//! `client_secret` the channel secret, `redirect_uri` the bot's webhook URL and `name` the
//! linked official account's name. The friendship between each seeded user and a
//! channel's official account lives here; LINE Login's `bot_prompt` and friendship
//! status read and change the same state, as do webhook follow/unfollow events.
//!
//! Admin routes: `GET /_sim/line-bot/messages` and `/push-attempts`,
//! `GET`/`PUT /_sim/line-bot/friendships[/{user_id}]` (`friendships`),
//! `POST /_sim/line-bot/webhook` (`webhook`, `events`) and
//! `POST /_sim/line-bot/channels/{channel_id}/assertion-keys` (`tokens`).

mod errors;
mod events;
mod friendships;
mod push;
mod request;
pub(crate) mod tokens;
mod webhook;

use std::collections::HashMap;

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderName, HeaderValue},
    middleware,
    response::Response,
    routing::{get, post},
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    clients::Client,
    dev,
    dialect::{self, Dialect},
    state::World,
};

type Ctx = dialect::Ctx<DialectState>;

pub(crate) const NAME: &str = "line_messaging";
const PREFIX: &str = "/line-bot";

const TOKEN: &str = "line-bot.token";
const VERIFY: &str = "line-bot.verify";
const REVOKE: &str = "line-bot.revoke";
const TOKEN_V21: &str = "line-bot.token.v2.1";
const STATELESS: &str = "line-bot.token.stateless";
const KIDS: &str = "line-bot.kids";
const VERIFY_V21: &str = "line-bot.verify.v2.1";
const REVOKE_V21: &str = "line-bot.revoke.v2.1";
const PUSH: &str = "line-bot.push";
const REPLY: &str = "line-bot.reply";
/// Outbound webhook deliveries (counted, but not a fault target: faults shape
/// the simulator's answers, and here the simulator is the caller).
const WEBHOOK: &str = "line-bot.webhook";

/// Response header every LINE API sets.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-line-request-id");

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) = ("LINE Messaging API", "/v2/…");
    const ENDPOINTS: &'static [&'static str] = &[
        TOKEN, VERIFY, REVOKE, TOKEN_V21, STATELESS, KIDS, VERIFY_V21, REVOKE_V21, PUSH, REPLY,
    ];
    const COUNTERS: &'static [&'static str] = &[WEBHOOK];
    type Options = Options;

    fn options(&mut self) -> &mut Options {
        &mut self.options
    }

    fn check_options(options: &Options) -> Result<(), String> {
        if options.max_tokens_per_channel == 0 {
            return Err("max_tokens_per_channel must be at least 1".to_owned());
        }
        Ok(())
    }

    fn routes() -> Router<Ctx> {
        tokens::routes()
            .route("/v2/bot/message/push", post(push::push))
            .route("/v2/bot/message/reply", post(push::reply))
            .layer(middleware::map_response(with_request_id))
    }

    fn admin_routes() -> Router<Ctx> {
        Router::new()
            .route("/_sim/line-bot/messages", get(list_messages))
            .route("/_sim/line-bot/push-attempts", get(list_push_attempts))
            .merge(friendships::admin_routes())
            .route("/_sim/line-bot/webhook", post(webhook::send))
            .route(
                "/_sim/line-bot/channels/{channel_id}/assertion-keys",
                post(tokens::register_key),
            )
    }

    /// The channel's `redirect_uri` is its webhook URL, its name the official account's.
    fn dev_clients(app_url: &str) -> Vec<Client> {
        vec![Client {
            dialect: NAME,
            client_id: dev::LINE_BOT_CHANNEL_ID.to_owned(),
            client_secret: dev::LINE_BOT_CHANNEL_SECRET.to_owned(),
            redirect_uri: format!("{app_url}{}", dev::LINE_BOT_WEBHOOK_PATH),
            name: dev::LINE_BOT_OFFICIAL_ACCOUNT_NAME.to_owned(),
        }]
    }

    /// Keeps the registered assertion keys: they are configuration, like channels.
    fn reset(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        *self = Self::default();
        self.keys = keys;
    }
}

/// A fresh request id, formatted like LINE's (a random UUID).
pub(crate) fn request_id() -> String {
    let mut bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    // Version 4, RFC 4122 variant.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Adds `x-line-request-id` to a response that has none yet (handlers that must
/// remember their id, like push, set it themselves).
pub(crate) async fn with_request_id(mut response: Response) -> Response {
    if !response.headers().contains_key(&REQUEST_ID)
        && let Ok(value) = HeaderValue::try_from(request_id())
    {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The bot's own user id (a webhook's `destination`), derived from the channel id
/// so it is stable across runs.
pub(crate) fn bot_user_id(channel_id: &str) -> String {
    let digest = Sha256::digest(format!("line-bot:{channel_id}").as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("U{}", &hex[..32])
}

crate::dialect::options! {
    /// Behaviour switches, where LINE's documents disagree or tests need a shortcut.
    struct Options {
        /// `expires_in` of short-lived channel tokens (30 days).
        token_ttl_secs: u64 = 2_592_000,
        /// Short-lived tokens per channel, and live v2.1 tokens (each kind counted
        /// apart): one more short-lived token silently revokes the oldest, one more
        /// v2.1 token is refused.
        max_tokens_per_channel: usize = 30,
        /// How long an accepted `X-Line-Retry-Key` is remembered (24 h).
        retry_key_ttl_secs: u64 = 86_400,
        /// Reply tokens are "unusable after 20 minutes" (LINE asks for a reply within one).
        reply_token_ttl_secs: u64 = 1_200,
        /// Push/reply success body: `{"sentMessages":[…]}` (current reference) or `{}`
        /// (seed 001, 2021): the two disagree.
        push_response: PushResponse = PushResponse::SentMessages,
        /// Answer push and reply with 429 "You have reached your monthly limit.".
        monthly_limit_reached: bool = false,
    }
}

/// The two documented push success bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PushResponse {
    SentMessages,
    Empty,
}

pub(crate) use friendships::Friendship;

/// Everything this dialect has issued or delivered since the last reset.
#[derive(Debug)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    friendships: HashMap<(String, u64), Friendship>,
    tokens: tokens::ChannelTokens,
    /// Channels' registered assertion keys (kept by a reset).
    keys: tokens::AssertionKeys,
    retry_keys: HashMap<(String, String), push::Accepted>,
    reply_tokens: HashMap<String, push::ReplyToken>,
    messages: Vec<Delivery>,
    /// Every call of the push endpoint, faulted ones included.
    push_attempts: Vec<push::PushAttempt>,
    /// Events of the last webhook per channel, for a redelivery.
    last_events: HashMap<String, Vec<Value>>,
    next_message_id: u64,
}

impl Default for DialectState {
    fn default() -> Self {
        // The dev official account starts with one friend (王小明) and one user
        // who blocked it (김민준), so both add-friend outcomes are reachable.
        let friendships = [(12345, Friendship::Friend), (12347, Friendship::Blocked)]
            .into_iter()
            .map(|(user, state)| ((dev::LINE_BOT_CHANNEL_ID.to_owned(), user), state))
            .collect();
        Self {
            options: Options::default(),
            friendships,
            tokens: tokens::ChannelTokens::default(),
            keys: tokens::AssertionKeys::default(),
            retry_keys: HashMap::new(),
            reply_tokens: HashMap::new(),
            messages: Vec::new(),
            push_attempts: Vec::new(),
            last_events: HashMap::new(),
            // Message ids are 18-digit decimal strings.
            next_message_id: 468_789_577_898_262_530,
        }
    }
}

impl DialectState {
    fn next_message_id(&mut self) -> String {
        self.next_message_id += 1;
        self.next_message_id.to_string()
    }
}

/// One message object sent by push or reply, as the admin API lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Delivery {
    /// The message id returned in `sentMessages`.
    id: String,
    channel_id: String,
    /// `push` or `reply`.
    via: &'static str,
    /// The `to` of a push, or the replied-to user's id.
    to: String,
    /// The seeded user behind `to`, if any.
    user_id: Option<u64>,
    #[serde(rename = "type")]
    kind: String,
    /// For text messages.
    text: Option<String>,
    notification_disabled: bool,
    retry_key: Option<String>,
    request_id: String,
    /// Simulated Unix time, seconds.
    time: u64,
    /// `false` when LINE answered 200 but did not deliver (the user is not a friend).
    delivered: bool,
}

async fn list_messages(State(ctx): State<Ctx>) -> Json<Vec<Delivery>> {
    Json(ctx.with(|_, dialect| dialect.messages.clone()))
}

/// `GET /_sim/line-bot/push-attempts`: every push call with its retry key,
/// oldest first, including those a fault answered before the endpoint ran.
async fn list_push_attempts(State(ctx): State<Ctx>) -> Json<Vec<push::PushAttempt>> {
    Json(ctx.with(|_, dialect| dialect.push_attempts.clone()))
}

/// The channel behind `channel_id`: `(secret, official account name, webhook URL)`.
fn channel(world: &World, channel_id: &str) -> Option<(String, String, String)> {
    world.clients.get(NAME, channel_id).map(|client| {
        (
            client.client_secret.clone(),
            client.name.clone(),
            client.redirect_uri.clone(),
        )
    })
}

/// The name of channel `channel_id`'s official account, for LINE Login's add-friend option.
pub(crate) fn official_account_name(world: &World, channel_id: &str) -> Option<String> {
    channel(world, channel_id).map(|(_, name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_bot_user_id_is_derived_from_the_channel() {
        assert_eq!(bot_user_id(dev::LINE_BOT_CHANNEL_ID), dev::LINE_BOT_USER_ID);
        let id = bot_user_id("42");
        assert_eq!(id.len(), 33);
        assert!(id.starts_with('U'));
    }

    #[test]
    fn request_ids_look_like_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, request_id());
    }
}
