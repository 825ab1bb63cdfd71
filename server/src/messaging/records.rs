//! The per-LINE-user records: friendship (from the webhooks) and link (from pushes).

use super::key;
use crate::session::{SessionStore, StoreError};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

/// How long a friendship record outlives its last event.
const FRIENDSHIP_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// How long a link outlives its last message.
const LINK_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// A LINE user's relation to the bot's official account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Friendship {
    /// Added the account (`follow`).
    Friend,
    /// Blocked it (`unfollow`): LINE would not deliver.
    Blocked,
}

/// What the last `follow` / `unfollow` said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendshipRecord {
    /// Friend or blocked.
    pub state: Friendship,
    /// LINE's time of that event, Unix ms.
    pub event_ms: i64,
}

/// A person who signed in with the login provider and used the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// First message through Keyhole.
    #[serde(with = "time::serde::rfc3339")]
    pub linked_at: OffsetDateTime,
    /// Latest message through Keyhole.
    #[serde(with = "time::serde::rfc3339")]
    pub last_message_at: OffsetDateTime,
}

/// What the webhooks said about `user`'s friendship with `provider`'s account.
pub async fn friendship(
    store: &SessionStore,
    provider: &str,
    user: &str,
) -> Result<Option<FriendshipRecord>, StoreError> {
    store.kv_get(&key(provider, "friendship", user)).await
}

/// The stored link of `user` with `provider`, if any.
pub async fn link(
    store: &SessionStore,
    provider: &str,
    user: &str,
) -> Result<Option<Link>, StoreError> {
    store.kv_get(&key(provider, "link", user)).await
}

/// Records `state` as of `event_ms` unless a newer event is on record;
/// true when recorded.
pub(super) async fn set_friendship(
    store: &SessionStore,
    provider: &str,
    user: &str,
    state: Friendship,
    event_ms: i64,
) -> Result<bool, StoreError> {
    let key = key(provider, "friendship", user);
    if let Some(known) = store.kv_get::<FriendshipRecord>(&key).await?
        && known.event_ms > event_ms
    {
        return Ok(false);
    }
    let record = FriendshipRecord { state, event_ms };
    store.kv_put(&key, &record, FRIENDSHIP_TTL).await?;
    Ok(true)
}

/// Notes that `user` just messaged themselves through Keyhole.
pub(super) async fn note_link(
    store: &SessionStore,
    provider: &str,
    user: &str,
) -> Result<(), StoreError> {
    let key = key(provider, "link", user);
    let now = crate::clock::now();
    let linked_at = store
        .kv_get::<Link>(&key)
        .await?
        .map_or(now, |l| l.linked_at);
    let link = Link {
        linked_at,
        last_message_at: now,
    };
    store.kv_put(&key, &link, LINK_TTL).await
}
