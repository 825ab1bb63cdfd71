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

mod push;
mod queue;
mod records;

pub use push::send_to_person;
pub use queue::{QueueFull, WebhookQueue, WebhookStats};
pub use records::{Friendship, FriendshipRecord, Link, friendship, link};

/// The store key of `what` (`friendship`, `link` or `event`) under `id`, for
/// the messaging `provider`.
fn key(provider: &str, what: &str, id: &str) -> String {
    format!("line-messaging:{provider}:{what}:{id}")
}
