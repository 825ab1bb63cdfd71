//! Channel access tokens of every kind (short-lived, v2.1, stateless) in one store, and the bot API's bearer check.
//!
//! LINE Login's channels issue their v2.1 and stateless tokens through the same store.

mod assertion;
mod short_lived;
pub(crate) mod v21;

use std::{collections::HashMap, fmt};

use axum::{
    Json, Router,
    extract::{Form, Path, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use serde_json::{Value, json};

pub(crate) use self::assertion::{AssertionKeys, Jwk};
use self::v21::{ChannelForm, Operation};
use super::{
    Ctx, DialectState, KIDS, NAME, REVOKE, REVOKE_V21, STATELESS, TOKEN, TOKEN_V21, VERIFY,
    VERIFY_V21,
    errors::{ApiError, message},
};
use crate::{admin::AdminError, net::Conn, oauth, state::World};

/// The token routes of Messaging API channels, below the dialect's prefix.
pub(super) fn routes() -> Router<Ctx> {
    // `Form` reads a GET's query string, so one handler shape serves both methods.
    let op = |endpoint: &'static str, op: Operation| {
        move |State(ctx): State<Ctx>, conn: Conn, form: Result<Form<ChannelForm>, FormRejection>| {
            run(ctx, conn, endpoint, op, form.map(|Form(form)| form))
        }
    };
    Router::new()
        .route("/v2/oauth/accessToken", post(op(TOKEN, short_lived::issue)))
        .route("/v2/oauth/verify", post(op(VERIFY, short_lived::verify)))
        .route("/v2/oauth/revoke", post(op(REVOKE, short_lived::revoke)))
        .route("/oauth2/v2.1/token", post(op(TOKEN_V21, v21::issue)))
        .route("/oauth2/v2.1/tokens/kid", get(op(KIDS, v21::kids)))
        .route("/oauth2/v2.1/verify", get(op(VERIFY_V21, v21::verify)))
        .route("/oauth2/v2.1/revoke", post(op(REVOKE_V21, v21::revoke)))
        .route(
            "/oauth2/v3/token",
            post(op(STATELESS, v21::issue_stateless)),
        )
}

/// One v2.1 or stateless operation for a Messaging API channel, counted as `endpoint`.
async fn run(
    ctx: Ctx,
    conn: Conn,
    endpoint: &'static str,
    op: Operation,
    form: Result<ChannelForm, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, endpoint, None).await {
        return response;
    }
    let form = ChannelForm::read(form);
    ctx.with(|world, bot| op(world, bot, NAME, &form))
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /_sim/line-bot/channels/{channel_id}/assertion-keys`: registers a public JWK; 201 `{"kid"}`.
pub(super) async fn register_key(
    State(ctx): State<Ctx>,
    Path(channel_id): Path<String>,
    Json(jwk): Json<Jwk>,
) -> Result<(StatusCode, Json<Value>), AdminError> {
    ctx.with(|world, bot| register(world, bot, NAME, &channel_id, &jwk))
}

/// Registers `jwk` as an assertion key of channel `channel_id` of `dialect`, as the console does.
pub(crate) fn register(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    channel_id: &str,
    jwk: &Jwk,
) -> Result<(StatusCode, Json<Value>), AdminError> {
    if world.clients.get(dialect, channel_id).is_none() {
        return Err(AdminError::not_found(format!("no channel {channel_id:?}")));
    }
    let kid = bot
        .keys
        .register(dialect, channel_id, jwk)
        .map_err(AdminError::bad_request)?;
    Ok((StatusCode::CREATED, Json(json!({ "kid": kid }))))
}

/// The three kinds a channel can issue itself (long-lived tokens exist only in the console).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    ShortLived,
    V21,
    Stateless,
}

/// Issued channel tokens, with the order of issue for the per-channel caps.
#[derive(Default)]
pub(crate) struct ChannelTokens {
    by_token: HashMap<String, ChannelToken>,
    next_seq: u64,
}

// By hand: the map is keyed by live tokens.
impl fmt::Debug for ChannelTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelTokens")
            .field("count", &self.by_token.len())
            .finish()
    }
}

/// One issued token: its channel, kind and expiry.
pub(crate) struct ChannelToken {
    /// The dialect the channel is a client of (`line_messaging` or `line_login`).
    dialect: &'static str,
    pub(crate) channel_id: String,
    pub(crate) kind: Kind,
    /// The `key_id` a v2.1 token was issued with (`GET /oauth2/v2.1/tokens/kid`).
    key_id: Option<String>,
    pub(crate) expires_at: u64,
    seq: u64,
}

impl ChannelTokens {
    fn insert(&mut self, token: &str, channel: (&'static str, &str), kind: Kind, expires_at: u64) {
        self.next_seq += 1;
        let key_id = (kind == Kind::V21).then(|| oauth::random_token(16));
        let held = ChannelToken {
            dialect: channel.0,
            channel_id: channel.1.to_owned(),
            kind,
            key_id,
            expires_at,
            seq: self.next_seq,
        };
        self.by_token.insert(token.to_owned(), held);
    }

    fn mine<'a>(
        &'a self,
        channel: (&'static str, &'a str),
        kind: Kind,
    ) -> impl Iterator<Item = (&'a String, &'a ChannelToken)> + Clone + 'a {
        self.by_token.iter().filter(move |(_, held)| {
            held.kind == kind && held.dialect == channel.0 && held.channel_id == channel.1
        })
    }

    /// Issues a short-lived token of a Messaging API channel; past `max` of them,
    /// the oldest is revoked without notice, as LINE does.
    fn issue_short_lived(&mut self, channel_id: &str, expires_at: u64, max: usize) -> String {
        let mut bytes = [0_u8; 128];
        rand::rng().fill_bytes(&mut bytes);
        // Real short-lived tokens are 172 characters of standard base64.
        let token = base64::engine::general_purpose::STANDARD.encode(bytes);
        let channel = (super::NAME, channel_id);
        self.insert(&token, channel, Kind::ShortLived, expires_at);
        loop {
            let mine = self.mine(channel, Kind::ShortLived);
            if mine.clone().count() <= max {
                break;
            }
            let oldest = mine
                .min_by_key(|(_, held)| held.seq)
                .map(|(token, _)| token.clone());
            match oldest {
                Some(oldest) => self.by_token.remove(&oldest),
                None => break,
            };
        }
        token
    }

    /// Issues a JWS-shaped token of `kind` (v2.1 or stateless); its `key_id` for v2.1.
    fn issue_jws(
        &mut self,
        channel: (&'static str, &str),
        kind: Kind,
        now: u64,
        ttl: u64,
    ) -> (String, Option<String>) {
        if kind == Kind::Stateless {
            // Unlimited in number: forget the expired ones so the store stays small.
            self.by_token
                .retain(|_, held| held.kind != Kind::Stateless || now < held.expires_at);
        }
        let claims = serde_json::json!({
            "iss": "https://api.line.me/",
            "sub": channel.1,
            "iat": now,
            "exp": now.saturating_add(ttl),
            "jti": oauth::random_token(12),
        });
        let token = jws_shaped(&claims);
        self.insert(&token, channel, kind, now.saturating_add(ttl));
        let key_id = self
            .by_token
            .get(&token)
            .and_then(|held| held.key_id.clone());
        (token, key_id)
    }

    /// The channel behind `token` if a channel of `dialect` holds it, expired or not.
    pub(crate) fn find(&self, token: &str, dialect: &str) -> Option<&ChannelToken> {
        (self.by_token.get(token)).filter(|held| held.dialect == dialect)
    }

    /// `key_id`s of a channel's live v2.1 tokens, oldest first.
    fn live_key_ids(&self, channel: (&'static str, &str), now: u64) -> Vec<String> {
        let mut live: Vec<&ChannelToken> = self
            .mine(channel, Kind::V21)
            .map(|(_, held)| held)
            .filter(|held| now < held.expires_at)
            .collect();
        live.sort_by_key(|held| held.seq);
        live.iter().filter_map(|held| held.key_id.clone()).collect()
    }

    fn remove(&mut self, token: &str) {
        self.by_token.remove(token);
    }
}

/// A JWS-shaped token, as LINE's v2.1 and stateless tokens and LINE Login's access tokens are.
pub(crate) fn jws_shaped(claims: &Value) -> String {
    oauth::jws_shaped(r#"{"alg":"HS256"}"#, claims, 32)
}

/// Three base64url segments, the first a JSON header with `alg`.
pub(crate) fn is_jws(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .is_some_and(|header| header.get("alg").is_some())
}

/// The channel of `dialect` a bearer token of one of `kinds` stands for, or the 401 to send.
pub(crate) fn authenticate(
    world: &World,
    bot: &DialectState,
    headers: &HeaderMap,
    dialect: &str,
    kinds: &[Kind],
) -> Result<String, ApiError> {
    let Some(token) = oauth::bearer(headers) else {
        return Err(message(
            StatusCode::UNAUTHORIZED,
            "Authorization header required. Must follow the scheme, \
             'Authorization: Bearer <ACCESS TOKEN>'",
        ));
    };
    let now = world.clock.now();
    bot.tokens
        .find(token, dialect)
        .filter(|found| kinds.contains(&found.kind) && now < found.expires_at)
        .map(|found| found.channel_id.clone())
        .ok_or_else(|| {
            message(
                StatusCode::UNAUTHORIZED,
                "Authentication failed due to the following reason: invalid token. \
                 Confirm that the access token in the authorization header is valid.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_short_lived_token_is_evicted_past_the_cap() {
        let mut tokens = ChannelTokens::default();
        let first = tokens.issue_short_lived("c", 100, 2);
        let second = tokens.issue_short_lived("c", 100, 2);
        let other = tokens.issue_short_lived("d", 100, 2);
        // Tokens of another kind do not count towards the cap.
        tokens.issue_jws((super::super::NAME, "c"), Kind::V21, 0, 100);
        let third = tokens.issue_short_lived("c", 100, 2);
        let live = |token: &str, now| {
            let found = tokens.find(token, super::super::NAME)?;
            (now < found.expires_at).then(|| found.expires_at - now)
        };
        assert!(live(&first, 0).is_none());
        assert!(live(&second, 0).is_some());
        assert!(live(&third, 0).is_some());
        assert!(live(&other, 0).is_some());
        assert_eq!(live(&third, 40), Some(60));
        assert!(live(&third, 100).is_none());
        assert!(tokens.find(&third, "line_login").is_none());
        assert_eq!(third.len(), 172);
    }

    #[test]
    fn jws_shape() {
        let token = jws_shaped(&serde_json::json!({"sub": "1"}));
        assert!(is_jws(&token));
        assert!(!is_jws("opaque-token"));
        assert!(!is_jws("a.b.c"));
        assert!(!is_jws(&format!("{token}.extra")));
    }

    #[test]
    fn expired_stateless_tokens_are_dropped_at_the_next_issue() {
        let mut tokens = ChannelTokens::default();
        let channel = (super::super::NAME, "c");
        let (old, key_id) = tokens.issue_jws(channel, Kind::Stateless, 0, 900);
        assert!(key_id.is_none());
        tokens.issue_jws(channel, Kind::Stateless, 900, 900);
        assert!(tokens.find(&old, super::super::NAME).is_none());
        let (_, key_id) = tokens.issue_jws(channel, Kind::V21, 900, 60);
        assert_eq!(tokens.live_key_ids(channel, 900), [key_id.expect("key_id")]);
        assert!(tokens.live_key_ids(channel, 960).is_empty());
    }
}
