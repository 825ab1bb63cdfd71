//! Short-lived channel access tokens: `POST /v2/oauth/accessToken`, `verify`, `revoke`.

use super::DialectState;
use crate::line_messaging::{Ctx, NAME};
use std::{collections::HashMap, fmt};

use axum::{
    Json,
    extract::{Form, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{
    REVOKE, TOKEN, VERIFY,
    errors::{ApiError, OauthError, message, oauth_error},
};
use crate::{net::Conn, oauth, state::World};

/// Issued channel tokens, with the order of issue for the per-channel cap.
#[derive(Default)]
pub(super) struct ChannelTokens {
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

struct ChannelToken {
    channel_id: String,
    expires_at: u64,
    seq: u64,
}

impl ChannelTokens {
    /// Issues a token; past `max` live tokens for the channel, the oldest is
    /// revoked without notice, as LINE does for short-lived tokens.
    fn issue(&mut self, channel_id: &str, expires_at: u64, max: usize) -> String {
        let mut bytes = [0_u8; 128];
        rand::rng().fill_bytes(&mut bytes);
        // Real short-lived tokens are 172 characters of standard base64.
        let token = STANDARD.encode(bytes);
        self.next_seq += 1;
        self.by_token.insert(
            token.clone(),
            ChannelToken {
                channel_id: channel_id.to_owned(),
                expires_at,
                seq: self.next_seq,
            },
        );
        loop {
            let mine = self
                .by_token
                .iter()
                .filter(|(_, held)| held.channel_id == channel_id);
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

    /// The channel of a live token, and its remaining lifetime.
    pub(super) fn live(&self, token: &str, now: u64) -> Option<(&str, u64)> {
        let held = self.by_token.get(token)?;
        (now < held.expires_at).then(|| (held.channel_id.as_str(), held.expires_at - now))
    }
}

/// Whether `token` could be a channel token at all: LINE tells "invalid format"
/// from "invalid" on verify, and revoke fails only on the former.
fn well_formed(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 1024
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"+/=-_.".contains(&byte))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct IssueForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Debug, Serialize)]
struct Issued {
    access_token: String,
    expires_in: u64,
    token_type: &'static str,
}

/// `POST /v2/oauth/accessToken`: `client_credentials` with the channel id and secret.
pub(super) async fn issue(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<IssueForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, TOKEN, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return oauth_error("invalid_request", Some("the body must be a form")).into_response();
    };
    ctx.with(|world, dialect| match issue_in(world, dialect, &form) {
        Ok(issued) => (oauth::no_store_headers(), Json(issued)).into_response(),
        Err(error) => error.into_response(),
    })
}

fn issue_in(
    world: &mut World,
    dialect: &mut DialectState,
    form: &IssueForm,
) -> Result<Issued, OauthError> {
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        None | Some("") => {
            return Err(oauth_error(
                "invalid_request",
                Some("grant_type is required"),
            ));
        }
        Some(_) => return Err(oauth_error("unsupported_grant_type", None)),
    }
    let client_id = form.client_id.as_deref().unwrap_or_default();
    let Some(client) = world.clients.get(NAME, client_id) else {
        return Err(oauth_error("invalid_client", Some("invalid client_id")));
    };
    let secret = form.client_secret.as_deref().unwrap_or_default();
    if !oauth::secrets_match(&client.client_secret, secret) {
        return Err(oauth_error("invalid_client", Some("invalid client_secret")));
    }
    let channel_id = client.client_id.clone();
    let now = world.clock.now();
    let ttl = dialect.options.token_ttl_secs;
    let max = dialect.options.max_tokens_per_channel;
    let access_token = dialect
        .tokens
        .issue(&channel_id, now.saturating_add(ttl), max);
    Ok(Issued {
        access_token,
        expires_in: ttl,
        token_type: "Bearer",
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenForm {
    access_token: Option<String>,
}

#[derive(Debug, Serialize)]
struct Verified {
    client_id: String,
    expires_in: u64,
    scope: &'static str,
}

/// `POST /v2/oauth/verify`: the channel and remaining lifetime of a channel token.
pub(super) async fn verify(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, VERIFY, None).await {
        return response;
    }
    let token = form.ok().and_then(|Form(form)| form.access_token);
    let Some(token) = token.filter(|token| well_formed(token)) else {
        return oauth_error("invalid_request", Some("access_token in invalid format"))
            .into_response();
    };
    ctx.with(|world, dialect| {
        let now = world.clock.now();
        match dialect.tokens.live(&token, now) {
            Some((channel_id, expires_in)) => Json(Verified {
                client_id: channel_id.to_owned(),
                expires_in,
                // What LINE reports for Messaging API channel tokens.
                scope: "P CM",
            })
            .into_response(),
            None => oauth_error("invalid_request", Some("access_token invalid")).into_response(),
        }
    })
}

/// `POST /v2/oauth/revoke`: 200 with an empty body, even for an unknown token.
pub(super) async fn revoke(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, REVOKE, None).await {
        return response;
    }
    let token = form.ok().and_then(|Form(form)| form.access_token);
    let Some(token) = token.filter(|token| well_formed(token)) else {
        return oauth_error("invalid_request", None).into_response();
    };
    ctx.with(|_, dialect| dialect.tokens.by_token.remove(&token));
    StatusCode::OK.into_response()
}

/// The channel a push or reply is authorised for, or the 401 to send.
pub(super) fn authenticate(
    world: &World,
    dialect: &DialectState,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    let Some(token) = oauth::bearer(headers) else {
        return Err(message(
            StatusCode::UNAUTHORIZED,
            "Authorization header required. Must follow the scheme, \
             'Authorization: Bearer <ACCESS TOKEN>'",
        ));
    };
    dialect
        .tokens
        .live(token, world.clock.now())
        .map(|(channel_id, _)| channel_id.to_owned())
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
    fn the_oldest_token_is_evicted_past_the_cap() {
        let mut tokens = ChannelTokens::default();
        let first = tokens.issue("c", 100, 2);
        let second = tokens.issue("c", 100, 2);
        let other = tokens.issue("d", 100, 2);
        let third = tokens.issue("c", 100, 2);
        assert!(tokens.live(&first, 0).is_none());
        assert!(tokens.live(&second, 0).is_some());
        assert!(tokens.live(&third, 0).is_some());
        assert!(tokens.live(&other, 0).is_some());
        assert_eq!(tokens.live(&third, 40).map(|(_, left)| left), Some(60));
        assert!(tokens.live(&third, 100).is_none());
        assert_eq!(third.len(), 172);
        assert!(well_formed(&third));
        assert!(!well_formed("not a token"));
    }
}
