//! What a messaging provider (the LINE Messaging API) offers besides the
//! sign-in basics: webhook signatures, push and reply.

use crate::ProviderError;
use async_trait::async_trait;
use std::fmt;
use uuid::Uuid;

/// A bot that receives signed webhooks and sends messages to people who
/// signed in with its linked login provider.
#[async_trait]
pub trait Messaging: Send + Sync + fmt::Debug {
    /// Id of the sign-in provider whose people this bot can message (their
    /// profile id there is the recipient).
    fn login_provider(&self) -> &str;

    /// The text that answers each incoming message, when configured.
    fn auto_reply(&self) -> Option<&str>;

    /// Whether `signature` (the webhook's signature header, absent when
    /// `None`) signs exactly these body bytes. Constant-time.
    fn verify_webhook(&self, body: &[u8], signature: Option<&[u8]>) -> bool;

    /// Pushes a text message to user `to`. `retry_key` names this one send:
    /// every retry reuses it, so the platform delivers it at most once.
    async fn push_text(
        &self,
        to: &str,
        text: &str,
        retry_key: Uuid,
    ) -> Result<Pushed, ProviderError>;

    /// Answers an event through its single-use reply token.
    async fn reply_text(&self, reply_token: &str, text: &str) -> Result<(), ProviderError>;
}

/// A push the platform accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    /// Requests sent, retries included.
    pub attempts: u32,
    /// The platform had already accepted this retry key (HTTP 409): an
    /// earlier attempt got through although its answer was lost.
    pub replayed: bool,
}

/// A LINE user id: `U` and 32 lowercase hex digits.
pub fn is_line_user_id(id: &str) -> bool {
    id.len() == 33
        && id.starts_with('U')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_user_ids() {
        assert!(is_line_user_id("U37c8bc5bb5c665ca86d4475462737587"));
        assert!(!is_line_user_id("C37c8bc5bb5c665ca86d4475462737587"));
        assert!(!is_line_user_id("U37c8bc5bb5c665ca86d447546273758"));
        assert!(!is_line_user_id("U37C8BC5BB5C665CA86D4475462737587"));
        assert!(!is_line_user_id("12345"));
    }
}
