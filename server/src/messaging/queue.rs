//! The webhook queue: verified events processed in order after the 200 has gone out.

use super::{
    key,
    records::{Friendship, set_friendship},
};
use crate::{
    providers::{Messaging, ProviderError, Registry, is_line_user_id},
    session::{SessionStore, StoreError},
};
use serde::Deserialize;
use serde_json::Value;
use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio::sync::{mpsc, watch};

/// How long a `webhookEventId` is remembered (LINE redelivers for a while
/// after failures; it does not say how long).
const SEEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Webhook requests waiting for the worker; beyond this, 503 (LINE may
/// redeliver) rather than unbounded memory.
const QUEUE_CAPACITY: usize = 1024;

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

#[derive(Debug, Default)]
struct Stats {
    accepted: AtomicU64,
    /// Batches finished; watched by [`WebhookQueue::idle`].
    done: watch::Sender<u64>,
    events: AtomicU64,
    duplicates: AtomicU64,
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
    Provider(#[from] ProviderError),
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
