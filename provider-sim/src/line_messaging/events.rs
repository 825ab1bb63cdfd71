//! Webhook event objects: user events (follow, unfollow, message, postback) and group events (join, leave, member joined/left).
//!
//! Shapes follow the Messaging API reference (docs/providers.md §3.1). In
//! standby mode (`mode: "standby"`, another channel is active) no event carries
//! a reply token. Follow and unfollow change the user's friendship.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{DialectState, Friendship, push};
use crate::{admin::AdminError, oauth, state::World};

/// One event of `POST /_sim/line-bot/webhook`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventSpec {
    #[serde(rename = "type")]
    kind: EventKind,
    /// The user acting (or joining, leaving): a seeded user's numeric or LINE
    /// id. Not needed for `join` and `leave`.
    user_id: Option<UserRef>,
    /// Text of a `message` event.
    text: Option<String>,
    /// `follow.isUnblocked`; by default, whether the user had blocked the account.
    is_unblocked: Option<bool>,
    /// `postback.data` (required for a postback).
    data: Option<String>,
    /// `postback.params`, e.g. `{"datetime": "2026-01-01T10:00"}` from a picker.
    params: Option<Value>,
    /// The group the event happens in: a message or postback from a group,
    /// and every group event; the channel's dev group by default.
    group_id: Option<String>,
}

/// Named in snake case in the spec, as `type` on the wire in camel case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all(deserialize = "snake_case", serialize = "camelCase"))]
enum EventKind {
    Follow,
    Unfollow,
    Message,
    Postback,
    Join,
    Leave,
    MemberJoined,
    MemberLeft,
}

impl EventKind {
    /// Events that happen in a group whatever the spec says.
    fn in_group(self) -> bool {
        matches!(
            self,
            Self::Join | Self::Leave | Self::MemberJoined | Self::MemberLeft
        )
    }

    /// Events LINE gives a reply token (in active mode): not unfollow,
    /// leave or memberLeft, after which nobody is left to reply to.
    fn replyable(self) -> bool {
        !matches!(self, Self::Unfollow | Self::Leave | Self::MemberLeft)
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum UserRef {
    Id(u64),
    Line(String),
}

/// `active`, or `standby` while another channel handles the chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Mode {
    #[default]
    Active,
    Standby,
}

/// An event with its user and group resolved, checked before anything changes.
pub(super) struct Resolved<'a> {
    spec: &'a EventSpec,
    user: Option<(u64, &'static str)>,
    group: Option<String>,
}

/// The dev group of a channel: a stable `C` and 32 hex digits.
pub(super) fn default_group(channel_id: &str) -> String {
    let digest = Sha256::digest(format!("line-group:{channel_id}").as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("C{}", &hex[..32])
}

/// Checks every spec, so a bad request changes no friendship.
pub(super) fn resolve<'a>(
    world: &World,
    channel_id: &str,
    specs: &'a [EventSpec],
) -> Result<Vec<Resolved<'a>>, AdminError> {
    specs
        .iter()
        .map(|spec| {
            let user = match &spec.user_id {
                None => None,
                Some(UserRef::Id(id)) => world.user(*id),
                Some(UserRef::Line(line_id)) => world
                    .users
                    .iter()
                    .find(|user| user.line_user_id == line_id.as_str()),
            };
            if spec.user_id.is_some() && user.is_none() {
                return Err(AdminError::bad_request(format!(
                    "no seeded user {:?}",
                    spec.user_id
                )));
            }
            let needs_user = !matches!(spec.kind, EventKind::Join | EventKind::Leave);
            if needs_user && user.is_none() {
                let kind = json!(spec.kind);
                let kind = kind.as_str().unwrap_or_default();
                return Err(AdminError::bad_request(format!(
                    "a {kind} event needs user_id"
                )));
            }
            if spec.kind == EventKind::Message && spec.text.is_none() {
                return Err(AdminError::bad_request("a message event needs text"));
            }
            if spec.kind == EventKind::Postback && spec.data.is_none() {
                return Err(AdminError::bad_request("a postback event needs data"));
            }
            let group = match (&spec.group_id, spec.kind.in_group()) {
                (Some(group), _) if !is_group_id(group) => {
                    return Err(AdminError::bad_request(
                        "group_id must be C and 32 hex digits",
                    ));
                }
                (Some(group), _) => Some(group.clone()),
                (None, true) => Some(default_group(channel_id)),
                (None, false) => None,
            };
            if group.is_some() && matches!(spec.kind, EventKind::Follow | EventKind::Unfollow) {
                return Err(AdminError::bad_request(
                    "follow and unfollow happen in a 1:1 chat, not a group",
                ));
            }
            Ok(Resolved {
                spec,
                user: user.map(|user| (user.id, user.line_user_id)),
                group,
            })
        })
        .collect()
}

fn is_group_id(id: &str) -> bool {
    id.len() == 33 && id.starts_with('C') && id[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A ULID (Crockford base32, 48-bit millisecond time then 80 random bits), the
/// format of `webhookEventId`.
pub(super) fn ulid(timestamp_ms: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut random = [0_u8; 16];
    rand::rng().fill_bytes(&mut random[6..]);
    let value = (u128::from(timestamp_ms & 0xFFFF_FFFF_FFFF) << 80) | u128::from_be_bytes(random);
    (0..26)
        .rev()
        .map(|digit| char::from(ALPHABET[((value >> (digit * 5)) & 31) as usize]))
        .collect()
}

/// One event object (the `index`th of its body).
pub(super) fn build(
    world: &World,
    dialect: &mut DialectState,
    channel_id: &str,
    event: &Resolved<'_>,
    (index, mode, redelivery): (usize, Mode, bool),
) -> Value {
    let (spec, kind) = (event.spec, event.spec.kind);
    let now = world.clock.now();
    // Distinct, increasing timestamps within one body.
    let timestamp = now.saturating_mul(1000).saturating_add(index as u64);
    let line_user_id = event.user.map(|(_, line_id)| line_id);
    let source = match (&event.group, kind.in_group()) {
        (Some(group), true) => json!({ "type": "group", "groupId": group }),
        (Some(group), false) => {
            json!({ "type": "group", "groupId": group, "userId": line_user_id })
        }
        (None, _) => json!({ "type": "user", "userId": line_user_id }),
    };
    let mut value = json!({
        "type": kind,
        "mode": if mode == Mode::Standby { "standby" } else { "active" },
        "timestamp": timestamp,
        "source": source,
        "webhookEventId": ulid(timestamp),
        "deliveryContext": { "isRedelivery": redelivery },
    });
    if mode == Mode::Active && kind.replyable() {
        // Replies go to the group, or to the user in a 1:1 chat.
        let to = event.group.as_deref().or(line_user_id).unwrap_or_default();
        let user_id = event
            .user
            .map(|(id, _)| id)
            .filter(|_| event.group.is_none());
        let token = push::issue_reply_token(dialect, channel_id, user_id, to, now);
        value["replyToken"] = token.into();
    }
    let member = || json!({ "members": [{ "type": "user", "userId": line_user_id }] });
    match (kind, event.user) {
        (EventKind::Follow, Some((user_id, _))) => {
            let was_blocked = dialect.friendship(channel_id, user_id) == Friendship::Blocked;
            dialect.set_friendship(channel_id, user_id, Friendship::Friend);
            value["follow"] = json!({ "isUnblocked": spec.is_unblocked.unwrap_or(was_blocked) });
        }
        // Unfollow means the user blocked the account.
        (EventKind::Unfollow, Some((user_id, _))) => {
            dialect.set_friendship(channel_id, user_id, Friendship::Blocked);
        }
        (EventKind::Message, _) => {
            value["message"] = json!({
                "type": "text",
                "id": dialect.next_message_id(),
                "quoteToken": oauth::random_token(48),
                "text": spec.text.clone().unwrap_or_default(),
            });
        }
        (EventKind::Postback, _) => {
            let mut postback = json!({ "data": spec.data.clone().unwrap_or_default() });
            if let Some(params) = &spec.params {
                postback["params"] = params.clone();
            }
            value["postback"] = postback;
        }
        (EventKind::MemberJoined, _) => value["joined"] = member(),
        (EventKind::MemberLeft, _) => value["left"] = member(),
        _ => {}
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_encode_the_time_first() {
        let id = ulid(1_625_665_242_211);
        assert_eq!(id.len(), 26);
        assert!(id.starts_with("01F"));
        assert!(
            id.chars()
                .all(|char| char.is_ascii_digit() || char.is_ascii_uppercase())
        );
        // Later times sort later.
        assert!(ulid(1_625_665_242_212)[..10] > id[..10]);
    }

    #[test]
    fn dev_groups_are_group_ids() {
        let group = default_group("2345678901");
        assert!(is_group_id(&group));
        assert_eq!(group, default_group("2345678901"));
        assert!(!is_group_id("U0"));
    }
}
