//! Channel access tokens v2.1 (JWT assertion, chosen lifetime, capped) and stateless ones (15 minutes, unlimited, unrevocable).
//!
//! Each operation works on the channels of one dialect, so LINE Login serves the
//! same endpoints for its channels with the same code: on LINE both families live
//! on `api.line.me`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{Kind, assertion::Asserted, is_jws};
use crate::{
    flow::token::TokenParams,
    line_messaging::{
        DialectState,
        errors::{ApiError, message, oauth_error},
    },
    oauth::{self, non_empty},
    state::World,
};

/// A v2.1 token lives at most 30 days (`token_exp` ≤ 2 592 000).
const MAX_TOKEN_EXP: u64 = 2_592_000;
/// Stateless tokens live 15 minutes.
pub(crate) const STATELESS_TTL_SECS: u64 = 900;
/// What verify reports as a v2.1 token's scope (LINE's example).
const SCOPE: &str = "profile chat_message.write";

/// One operation of this file, as both dialects route it.
pub(crate) type Operation =
    fn(&World, &mut DialectState, &'static str, &ChannelForm) -> Result<Response, ApiError>;

/// Every field any of these endpoints reads (form body, or query for `tokens/kid`
/// and `verify`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ChannelForm {
    pub(crate) grant_type: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    pub(crate) access_token: Option<String>,
    /// The body (or query) could not be read: issuing refuses it, the rest
    /// treat it as empty.
    #[serde(skip)]
    unreadable: bool,
}

impl From<TokenParams> for ChannelForm {
    /// A LINE Login token call's body, for the `client_credentials` grant.
    fn from(params: TokenParams) -> Self {
        Self {
            grant_type: params.grant_type,
            client_id: params.client_id,
            client_secret: params.client_secret,
            client_assertion_type: params.client_assertion_type,
            client_assertion: params.client_assertion,
            ..Self::default()
        }
    }
}

impl ChannelForm {
    /// The form of a request whose body (or query) could not be read.
    pub(crate) fn read<E>(form: Result<Self, E>) -> Self {
        form.unwrap_or_else(|_| Self {
            unreadable: true,
            ..Self::default()
        })
    }

    pub(super) fn check_grant_type(&self) -> Result<(), ApiError> {
        if self.unreadable {
            return Err(oauth_error(
                "invalid_request",
                Some("the body must be a form"),
            ));
        }
        match non_empty(&self.grant_type) {
            Some("client_credentials") => Ok(()),
            None => Err(oauth_error(
                "invalid_request",
                Some("grant_type is required"),
            )),
            Some(_) => Err(oauth_error("unsupported_grant_type", None)),
        }
    }

    fn assertion(
        &self,
        bot: &DialectState,
        dialect: &'static str,
        now: u64,
    ) -> Result<Asserted, ApiError> {
        bot.keys.check(
            dialect,
            non_empty(&self.client_assertion_type),
            non_empty(&self.client_assertion),
            now,
        )
    }

    /// Whether `client_id` and `client_secret` are a channel's of `dialect`.
    fn credentials_match(&self, world: &World, dialect: &'static str) -> bool {
        let client = non_empty(&self.client_id).and_then(|id| world.clients.get(dialect, id));
        let secret = non_empty(&self.client_secret).unwrap_or_default();
        client.is_some_and(|client| oauth::secrets_match(&client.client_secret, secret))
    }
}

/// `POST /oauth2/v2.1/token`: a v2.1 token for the channel whose key signed the
/// assertion, living `token_exp` seconds; refused once the channel holds the maximum.
pub(crate) fn issue(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    let now = world.clock.now();
    form.check_grant_type()?;
    let asserted = form.assertion(bot, dialect, now)?;
    let ttl = asserted
        .token_exp
        .filter(|ttl| (1..=MAX_TOKEN_EXP).contains(ttl))
        // [I] LINE does not document the answer to a missing or too long `token_exp`.
        .ok_or_else(|| oauth_error("invalid_request", Some("Invalid token_exp")))?;
    let channel = (dialect, asserted.channel_id.as_str());
    if bot.tokens.live_key_ids(channel, now).len() >= bot.options.max_tokens_per_channel {
        return Err(message(
            StatusCode::BAD_REQUEST,
            "The maximum number of access tokens has already been issued",
        ));
    }
    Ok(grant(bot, channel, Kind::V21, now, ttl))
}

/// Issues a token of `kind` and answers with it; a v2.1 token also with its `key_id`.
fn grant(
    bot: &mut DialectState,
    channel: (&'static str, &str),
    kind: Kind,
    now: u64,
    ttl: u64,
) -> Response {
    let (access_token, key_id) = bot.tokens.issue_jws(channel, kind, now, ttl);
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
    });
    if let Some(key_id) = key_id {
        body["key_id"] = key_id.into();
    }
    (oauth::no_store_headers(), Json(body)).into_response()
}

/// `POST /oauth2/v3/token`: a stateless token, by channel id and secret or by assertion.
pub(crate) fn issue_stateless(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    let now = world.clock.now();
    form.check_grant_type()?;
    let channel_id = if non_empty(&form.client_assertion).is_some() {
        form.assertion(bot, dialect, now)?.channel_id
    } else if form.credentials_match(world, dialect) {
        form.client_id.clone().unwrap_or_default()
    } else {
        let invalid = "Invalid 'client_credentials'.";
        return Err(oauth_error("invalid_request", Some(invalid)));
    };
    let channel = (dialect, channel_id.as_str());
    Ok(grant(
        bot,
        channel,
        Kind::Stateless,
        now,
        STATELESS_TTL_SECS,
    ))
}

/// `GET /oauth2/v2.1/tokens/kid`: the `key_id`s of the asserting channel's live v2.1 tokens.
pub(crate) fn kids(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    let now = world.clock.now();
    let asserted = form.assertion(bot, dialect, now)?;
    let kids = bot
        .tokens
        .live_key_ids((dialect, &asserted.channel_id), now);
    Ok(Json(json!({ "kids": kids })).into_response())
}

/// Whether `token` is a v2.1 or stateless token of a channel of `dialect`, for
/// endpoints LINE Login shares with its user tokens.
pub(crate) fn is_channel_token(bot: &DialectState, dialect: &str, token: &str) -> bool {
    bot.tokens
        .find(token, dialect)
        .is_some_and(|found| found.kind != Kind::ShortLived)
}

/// `GET /oauth2/v2.1/verify?access_token=`: the channel and remaining lifetime
/// of a v2.1 token ([I]: a stateless one answers the same way).
pub(crate) fn verify(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    let token = non_empty(&form.access_token).unwrap_or_default();
    let found = bot
        .tokens
        .find(token, dialect)
        .filter(|found| found.kind != Kind::ShortLived);
    let now = world.clock.now();
    let reason = match found {
        _ if !is_jws(token) => "The access token not JWS",
        // [I] LINE does not document the answer for a well-formed token it never issued.
        None => "The access token invalid",
        Some(found) if now >= found.expires_at => "The access token expired",
        Some(found) => {
            let body = json!({
                "client_id": found.channel_id,
                "expires_in": found.expires_at - now,
                "scope": SCOPE,
            });
            return Ok(Json(body).into_response());
        }
    };
    Err(oauth_error("invalid_request", Some(reason)))
}

/// `POST /oauth2/v2.1/revoke` with `client_id`, `client_secret` and a v2.1 token:
/// 200 with an empty body, also for an unknown token; a stateless token stays valid.
pub(crate) fn revoke(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    // [I] LINE does not document the answer to wrong channel credentials.
    if !form.credentials_match(world, dialect) {
        return Err(oauth_error("invalid_client", Some("invalid client")));
    }
    let token = non_empty(&form.access_token).unwrap_or_default();
    if !is_jws(token) {
        return Err(oauth_error(
            "invalid_request",
            Some("The access token not JWS"),
        ));
    }
    let channel_id = non_empty(&form.client_id).unwrap_or_default();
    let revocable = bot
        .tokens
        .find(token, dialect)
        .is_some_and(|found| found.kind == Kind::V21 && found.channel_id == channel_id);
    if revocable {
        bot.tokens.remove(token);
    }
    Ok(StatusCode::OK.into_response())
}
