//! The LINE Messaging API on Keyhole's side: the queue that processes
//! verified webhook events after the 200 has gone out, the per-LINE-user
//! records those events maintain, and pushing a text to the signed-in person.
//!
//! What is stored (in the session store, so every instance shares it; keys
//! are hashed and values sealed like everything else there), per messaging
//! provider and LINE user id:
//! - `friendship` — `friend` or `blocked` and the time of the LINE event that
//!   said so (from `follow` / `unfollow`), so an older, redelivered event
//!   never overrides a newer one. Kept a year after the last event.
//! - `link` — that this person messaged themselves through Keyhole: when
//!   first and last. Deleted on `unfollow`, as LINE's guidelines ask of data
//!   about a user who blocked the account.
//! - `event` — each `webhookEventId` seen, for a week, so redeliveries are
//!   processed once whichever instance receives them.
//!
//! Message texts are never stored.

use crate::{
    error::ApiError,
    providers::{Messaging, Provider, Registry, is_line_user_id},
    session::{SessionId, SessionStore, StoreError},
    tokens::Tokens,
};
use axum::http::StatusCode;
use keyhole_api::{ErrorCode, MessageResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

/// How long a friendship record outlives its last event.
const FRIENDSHIP_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// How long a link outlives its last message.
const LINK_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// How long a `webhookEventId` is remembered (LINE redelivers for a while
/// after failures; it does not say how long).
const SEEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Webhook requests waiting for the worker; beyond this, 503 (LINE may
/// redeliver) rather than unbounded memory.
const QUEUE_CAPACITY: usize = 1024;

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

fn key(provider: &str, what: &str, id: &str) -> String {
    format!("line-messaging:{provider}:{what}:{id}")
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
async fn set_friendship(
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

// ---------------------------------------------------------------------------
// The webhook queue

/// Verified webhook bodies waiting to be processed, and the one worker that
/// processes them in arrival order. Cheap to clone; the worker starts with
/// the first webhook.
#[derive(Debug, Clone, Default)]
pub struct WebhookQueue {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    sender: OnceLock<mpsc::Sender<Batch>>,
    stats: Arc<Stats>,
}

#[derive(Debug)]
struct Stats {
    accepted: AtomicU64,
    /// Batches finished; watched by [`WebhookQueue::idle`].
    done: watch::Sender<u64>,
    events: AtomicU64,
    duplicates: AtomicU64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            accepted: AtomicU64::new(0),
            done: watch::channel(0).0,
            events: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
        }
    }
}

/// One verified webhook request.
#[derive(Debug)]
struct Batch {
    provider: String,
    events: Vec<Value>,
}

/// The queue is full (or its worker is gone): try again later.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the webhook queue is full")]
pub struct QueueFull;

/// Counts since start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookStats {
    /// Webhook requests queued.
    pub accepted: u64,
    /// Of those, fully processed.
    pub processed: u64,
    /// Events looked at.
    pub events: u64,
    /// Events skipped as redeliveries of one already processed.
    pub duplicates: u64,
}

impl WebhookQueue {
    /// Queues `events` of `provider` for the worker (started on first use).
    pub fn enqueue(
        &self,
        sessions: &SessionStore,
        providers: &Registry,
        provider: &str,
        events: Vec<Value>,
    ) -> Result<(), QueueFull> {
        let stats = &self.shared.stats;
        let sender = self.shared.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
            tokio::spawn(work(
                receiver,
                sessions.clone(),
                providers.clone(),
                Arc::clone(stats),
            ));
            sender
        });
        // Counted before sending, so `idle` never misses a batch in flight.
        stats.accepted.fetch_add(1, Ordering::SeqCst);
        let batch = Batch {
            provider: provider.to_owned(),
            events,
        };
        sender.try_send(batch).map_err(|_| {
            stats.accepted.fetch_sub(1, Ordering::SeqCst);
            QueueFull
        })
    }

    /// Waits until every batch queued so far has been processed (tests, and
    /// a graceful shutdown).
    pub async fn idle(&self) {
        let stats = &self.shared.stats;
        let target = stats.accepted.load(Ordering::SeqCst);
        let mut done = stats.done.subscribe();
        // The sender lives in `stats`: the channel cannot close under us.
        let _ = done.wait_for(|processed| *processed >= target).await;
    }

    /// Counts since start-up.
    pub fn stats(&self) -> WebhookStats {
        let stats = &self.shared.stats;
        WebhookStats {
            accepted: stats.accepted.load(Ordering::SeqCst),
            processed: *stats.done.borrow(),
            events: stats.events.load(Ordering::SeqCst),
            duplicates: stats.duplicates.load(Ordering::SeqCst),
        }
    }
}

/// The worker: one batch at a time, in arrival order, so a `follow` and the
/// `unfollow` after it are applied in that order.
async fn work(
    mut receiver: mpsc::Receiver<Batch>,
    store: SessionStore,
    providers: Registry,
    stats: Arc<Stats>,
) {
    while let Some(batch) = receiver.recv().await {
        let job = tokio::spawn(process(
            store.clone(),
            providers.clone(),
            Arc::clone(&stats),
            batch,
        ));
        // A panic in one batch must not stop the queue.
        if let Err(e) = job.await {
            tracing::error!(error = %e, "webhook batch failed");
        }
        stats.done.send_modify(|done| *done += 1);
    }
}

/// A webhook event: only the fields Keyhole uses. Unknown fields (LINE adds
/// some without notice) are ignored; unknown types are skipped.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    reply_token: Option<String>,
    #[serde(default)]
    webhook_event_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Source {
    #[serde(default)]
    user_id: Option<String>,
}

async fn process(store: SessionStore, providers: Registry, stats: Arc<Stats>, batch: Batch) {
    let Some(provider) = providers.get(&batch.provider) else {
        return;
    };
    let Some(messaging) = provider.messaging() else {
        return;
    };
    let id = batch.provider.as_str();
    for raw in batch.events {
        stats.events.fetch_add(1, Ordering::SeqCst);
        let event: Event = match serde_json::from_value(raw) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(provider = id, error = %e, "unreadable webhook event skipped");
                continue;
            }
        };
        // Claimed before processing, atomically across instances: a
        // redelivery racing the original is processed at most once.
        if let Some(event_id) = &event.webhook_event_id {
            match store
                .kv_put_if_absent(&key(id, "event", event_id), &true, SEEN_TTL)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    stats.duplicates.fetch_add(1, Ordering::SeqCst);
                    tracing::debug!(provider = id, event_id, "redelivered webhook event skipped");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(provider = id, error = %e, "webhook event not processed: store unavailable");
                    continue;
                }
            }
        }
        if let Err(e) = handle(&store, id, messaging, &event).await {
            tracing::warn!(provider = id, kind = %event.kind, error = %e, "webhook event not fully processed");
        }
    }
}

/// Why an event was not fully processed (logged only).
#[derive(Debug, thiserror::Error)]
enum EventError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Provider(#[from] crate::providers::ProviderError),
}

async fn handle(
    store: &SessionStore,
    provider: &str,
    messaging: &dyn Messaging,
    event: &Event,
) -> Result<(), EventError> {
    let user = event
        .source
        .as_ref()
        .and_then(|s| s.user_id.as_deref())
        .filter(|u| is_line_user_id(u));
    let event_ms = event.timestamp.unwrap_or_else(|| {
        i64::try_from(crate::clock::now().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    });
    match (event.kind.as_str(), user) {
        ("follow", Some(user)) => {
            if set_friendship(store, provider, user, Friendship::Friend, event_ms).await? {
                tracing::info!(provider, "a LINE user added the official account");
            }
        }
        ("unfollow", Some(user)) => {
            if set_friendship(store, provider, user, Friendship::Blocked, event_ms).await? {
                store.kv_delete(&key(provider, "link", user)).await?;
                tracing::info!(
                    provider,
                    "a LINE user blocked the official account; their link is deleted"
                );
            }
        }
        ("message", _) => {
            // Standby mode: another channel answers this chat.
            let active = event.mode.as_deref() != Some("standby");
            if let (true, Some(text), Some(token)) =
                (active, messaging.auto_reply(), event.reply_token.as_deref())
            {
                messaging.reply_text(token, text).await?;
                tracing::debug!(provider, "auto-reply sent");
            }
        }
        (kind, _) => tracing::debug!(provider, kind, "webhook event ignored"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Push

/// Pushes `text` to the LINE account the person signed in with, through the
/// messaging `provider`. Refuses (409) when the webhooks — or, lacking them,
/// LINE Login's friendship status — say the person has not befriended or has
/// blocked the official account, since LINE would accept and silently drop
/// the message.
pub async fn send_to_person(
    tokens: &Tokens,
    providers: &Registry,
    provider: &Provider,
    session: &SessionId,
    text: &str,
) -> Result<MessageResult, ApiError> {
    let id = provider.info().id.as_str();
    let messaging = provider.messaging().ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::NotSupported,
            "This provider does not support that.",
        )
        .for_provider(id)
    })?;
    let login_id = messaging.login_provider();
    let record = tokens
        .sessions()
        .load(session)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let Some(connection) = record.connections.get(login_id) else {
        let name = providers
            .get(login_id)
            .map_or(login_id, |p| p.info().name.as_str());
        return Err(ApiError::not_found(format!(
            "Sign in with {name} first: messages go to the LINE account you signed in with."
        ))
        .for_provider(login_id));
    };
    let user = connection.profile.id.clone();
    if !is_line_user_id(&user) {
        return Err(ApiError::internal(format!(
            "{login_id}: the profile id is not a LINE user id"
        )));
    }
    let friend = match friendship(tokens.sessions(), id, &user).await? {
        Some(known) => Some(known.state == Friendship::Friend),
        None => login_friendship(tokens, providers, session, login_id).await,
    };
    if friend == Some(false) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::NotSupported,
            "Your LINE account has not added the official account as a friend (or has blocked it), \
             so LINE would not deliver the message. Add it as a friend, then try again.",
        )
        .for_provider(id));
    }
    let pushed = messaging
        .push_text(&user, text, Uuid::new_v4())
        .await
        .map_err(|e| ApiError::from_provider(id, &e))?;
    tracing::info!(
        provider = id,
        attempts = pushed.attempts,
        replayed = pushed.replayed,
        "message pushed"
    );
    // The message is out: a failure to note the link is only logged.
    if let Err(e) = note_link(tokens.sessions(), id, &user).await {
        tracing::warn!(provider = id, error = %e, "could not record the messaging link");
    }
    Ok(MessageResult { delivered: true })
}

/// Whether the person is a friend per LINE Login, when that provider can
/// tell; `None` when it cannot (the push is then attempted).
async fn login_friendship(
    tokens: &Tokens,
    providers: &Registry,
    session: &SessionId,
    login_id: &str,
) -> Option<bool> {
    let login = providers.get(login_id)?;
    let friends = login.friends()?;
    let result = tokens
        .with_token(session, login, |token| async move {
            friends.is_friend(&token).await
        })
        .await;
    match result {
        Ok(friend) => Some(friend),
        Err(e) => {
            tracing::debug!(
                provider = login_id,
                code = e.code().as_str(),
                "friendship unknown; pushing anyway"
            );
            None
        }
    }
}

async fn note_link(store: &SessionStore, provider: &str, user: &str) -> Result<(), StoreError> {
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
