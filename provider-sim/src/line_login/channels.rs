//! Per-channel settings the client registry cannot hold (app type, linked official account) and `/_sim/line/channels`.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Ctx, NAME};
use crate::{admin::AdminError, dialect::patched, line_messaging};

/// The console's "App type": web channels sign ID tokens with HS256 and need
/// the secret on refresh and revoke; native (SDK) channels get ES256 and do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AppType {
    #[default]
    Web,
    Native,
}

/// A LINE Login channel's settings beyond its credentials. `PUT
/// /_sim/line/channels/{client_id}` patches it: absent fields keep their
/// value; `"linked_bot_channel_id": null` unlinks the official account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelConfig {
    pub(super) app_type: AppType,
    /// The Messaging API channel whose official account is linked (for `bot_prompt`).
    pub(super) linked_bot_channel_id: Option<String>,
}

/// `GET` and `PUT /_sim/line/channels/{client_id}`; a `PUT` sends a patch.
pub(super) async fn channel(
    State(ctx): State<Ctx>,
    Path(client_id): Path<String>,
    patch: Option<Json<Map<String, Value>>>,
) -> Result<Json<ChannelConfig>, AdminError> {
    ctx.with(|world, dialect| {
        if world.clients.get(NAME, &client_id).is_none() {
            let message = format!("no LINE Login channel {client_id:?}");
            return Err(AdminError::not_found(message));
        }
        let Some(Json(patch)) = patch else {
            return Ok(Json(dialect.channel(&client_id)));
        };
        let config = patched(&dialect.channel(&client_id), patch);
        let config = config.map_err(AdminError::bad_request)?;
        if let Some(bot) = &config.linked_bot_channel_id
            && world.clients.get(line_messaging::NAME, bot).is_none()
        {
            let message = format!("no Messaging API channel {bot:?}");
            return Err(AdminError::bad_request(message));
        }
        dialect.channels.insert(client_id, config.clone());
        Ok(Json(config))
    })
}
