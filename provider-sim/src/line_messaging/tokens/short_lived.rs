//! Short-lived channel access tokens: `POST /v2/oauth/accessToken`, `verify`, `revoke`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{Kind, v21::ChannelForm};
use crate::{
    line_messaging::{
        DialectState,
        errors::{ApiError, oauth_error},
    },
    oauth::{self, non_empty},
    state::World,
};

/// Whether `token` could be a channel token at all: LINE tells "invalid format"
/// from "invalid" on verify, and revoke fails only on the former.
fn well_formed(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 1024
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"+/=-_.".contains(&byte))
}

/// `POST /v2/oauth/accessToken`: `client_credentials` with the channel id and secret.
pub(super) fn issue(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    form.check_grant_type()?;
    let client_id = non_empty(&form.client_id).unwrap_or_default();
    let Some(client) = world.clients.get(dialect, client_id) else {
        return Err(oauth_error("invalid_client", Some("invalid client_id")));
    };
    let secret = non_empty(&form.client_secret).unwrap_or_default();
    if !oauth::secrets_match(&client.client_secret, secret) {
        return Err(oauth_error("invalid_client", Some("invalid client_secret")));
    }
    let now = world.clock.now();
    let ttl = bot.options.token_ttl_secs;
    let max = bot.options.max_tokens_per_channel;
    let access_token = bot
        .tokens
        .issue_short_lived(client_id, now.saturating_add(ttl), max);
    let body = json!({
        "access_token": access_token,
        "expires_in": ttl,
        "token_type": "Bearer",
    });
    Ok((oauth::no_store_headers(), Json(body)).into_response())
}

/// The `access_token` of a verify or revoke form, if well formed.
fn token(form: &ChannelForm) -> Option<&str> {
    non_empty(&form.access_token).filter(|token| well_formed(token))
}

/// `POST /v2/oauth/verify`: the channel and remaining lifetime of a channel token.
pub(super) fn verify(
    world: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    let token = token(form)
        .ok_or_else(|| oauth_error("invalid_request", Some("access_token in invalid format")))?;
    let now = world.clock.now();
    let found = bot.tokens.find(token, dialect);
    let live = found.filter(|found| found.kind == Kind::ShortLived && now < found.expires_at);
    let found = live.ok_or_else(|| oauth_error("invalid_request", Some("access_token invalid")))?;
    Ok(Json(json!({
        "client_id": found.channel_id,
        "expires_in": found.expires_at - now,
        // What LINE reports for Messaging API channel tokens.
        "scope": "P CM",
    }))
    .into_response())
}

/// `POST /v2/oauth/revoke`: 200 with an empty body, even for an unknown token.
/// Only short-lived (and long-lived) tokens are revoked here; v2.1 tokens have
/// their own endpoint and stateless ones cannot be revoked.
pub(super) fn revoke(
    _: &World,
    bot: &mut DialectState,
    dialect: &'static str,
    form: &ChannelForm,
) -> Result<Response, ApiError> {
    let token = token(form).ok_or_else(|| oauth_error("invalid_request", None))?;
    let found = bot.tokens.find(token, dialect);
    if found.is_some_and(|found| found.kind == Kind::ShortLived) {
        bot.tokens.remove(token);
    }
    Ok(StatusCode::OK.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format() {
        assert!(well_formed("W1TeHCgfH2Liwa+/="));
        assert!(!well_formed("not a token"));
        assert!(!well_formed(""));
    }
}
