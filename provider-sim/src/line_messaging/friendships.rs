//! Each seeded user's friendship with each channel's official account, and `/_sim/line-bot/friendships`.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    routing::{get, put},
};
use serde::{Deserialize, Serialize};

use super::{Ctx, DialectState};
use crate::{admin::AdminError, dev};

/// A user's relation to a channel's official account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Friendship {
    NotFriend,
    Friend,
    /// Was a friend, then blocked the account (what a webhook `unfollow` means).
    Blocked,
}

/// `GET /_sim/line-bot/friendships` and `PUT /_sim/line-bot/friendships/{user_id}`.
pub(super) fn admin_routes() -> Router<Ctx> {
    Router::new()
        .route("/_sim/line-bot/friendships", get(list_friendships))
        .route("/_sim/line-bot/friendships/{user_id}", put(set_friendship))
}

impl DialectState {
    /// Whether `user_id` is a friend of (or blocked) channel `channel_id`'s account.
    pub(crate) fn friendship(&self, channel_id: &str, user_id: u64) -> Friendship {
        self.friendships
            .get(&(channel_id.to_owned(), user_id))
            .copied()
            .unwrap_or(Friendship::NotFriend)
    }

    pub(crate) fn set_friendship(&mut self, channel_id: &str, user_id: u64, state: Friendship) {
        self.friendships
            .insert((channel_id.to_owned(), user_id), state);
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelQuery {
    channel_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct FriendshipView {
    user_id: u64,
    line_user_id: &'static str,
    display_name: &'static str,
    state: Friendship,
}

/// `GET /_sim/line-bot/friendships[?channel_id=]`: every seeded user's relation to
/// the channel's account (the dev channel by default).
async fn list_friendships(
    State(ctx): State<Ctx>,
    Query(query): Query<ChannelQuery>,
) -> Json<Vec<FriendshipView>> {
    let channel = query
        .channel_id
        .unwrap_or_else(|| dev::LINE_BOT_CHANNEL_ID.to_owned());
    Json(ctx.with(|world, dialect| {
        world
            .users
            .iter()
            .map(|user| FriendshipView {
                user_id: user.id,
                line_user_id: user.line_user_id,
                display_name: user.display_name,
                state: dialect.friendship(&channel, user.id),
            })
            .collect()
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FriendshipPatch {
    state: Friendship,
    channel_id: Option<String>,
}

/// `PUT /_sim/line-bot/friendships/{user_id}`: `{state, channel_id?}`, without a webhook.
async fn set_friendship(
    State(ctx): State<Ctx>,
    Path(user_id): Path<u64>,
    Json(patch): Json<FriendshipPatch>,
) -> Result<Json<Vec<FriendshipView>>, AdminError> {
    let channel = patch
        .channel_id
        .unwrap_or_else(|| dev::LINE_BOT_CHANNEL_ID.to_owned());
    ctx.with(|world, dialect| {
        if world.user(user_id).is_none() {
            return Err(AdminError::not_found(format!("no user with id {user_id}")));
        }
        dialect.set_friendship(&channel, user_id, patch.state);
        Ok(())
    })?;
    Ok(list_friendships(
        State(ctx),
        Query(ChannelQuery {
            channel_id: Some(channel),
        }),
    )
    .await)
}
