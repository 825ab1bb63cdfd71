//! Per-channel settings the client registry cannot hold (app type, linked official account) and `/_sim/line/channels`.

use crate::line_login::{Ctx, NAME};
use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};

use super::options::{present, set};
use crate::admin::AdminError;

/// The console's "App type": web channels sign ID tokens with HS256 and need
/// the secret on refresh and revoke; native (SDK) channels get ES256 and do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AppType {
    #[default]
    Web,
    Native,
}

/// A LINE Login channel's settings beyond its credentials.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ChannelConfig {
    pub(super) app_type: AppType,
    /// The Messaging API channel whose official account is linked (for `bot_prompt`).
    pub(super) linked_bot_channel_id: Option<String>,
}

/// `PUT /_sim/line/channels/{client_id}`: absent fields keep their value;
/// `"linked_bot_channel_id": null` unlinks the official account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChannelPatch {
    app_type: Option<AppType>,
    #[serde(default, deserialize_with = "present")]
    linked_bot_channel_id: Option<Option<String>>,
}

pub(super) async fn get_channel(
    State(ctx): State<Ctx>,
    Path(client_id): Path<String>,
) -> Result<Json<ChannelConfig>, AdminError> {
    ctx.with(|world, dialect| {
        if world.clients.get(NAME, &client_id).is_none() {
            return Err(AdminError::not_found(format!(
                "no LINE Login channel {client_id:?}"
            )));
        }
        Ok(Json(dialect.channel(&client_id)))
    })
}

pub(super) async fn put_channel(
    State(ctx): State<Ctx>,
    Path(client_id): Path<String>,
    Json(patch): Json<ChannelPatch>,
) -> Result<Json<ChannelConfig>, AdminError> {
    ctx.with(|world, dialect| {
        if world.clients.get(NAME, &client_id).is_none() {
            return Err(AdminError::not_found(format!(
                "no LINE Login channel {client_id:?}"
            )));
        }
        if let Some(Some(bot)) = &patch.linked_bot_channel_id
            && world
                .clients
                .get(crate::line_messaging::NAME, bot)
                .is_none()
        {
            return Err(AdminError::bad_request(format!(
                "no Messaging API channel {bot:?}"
            )));
        }
        let config = dialect.channels.entry(client_id).or_default();
        set(&mut config.app_type, patch.app_type);
        set(
            &mut config.linked_bot_channel_id,
            patch.linked_bot_channel_id,
        );
        Ok(Json(config.clone()))
    })
}
