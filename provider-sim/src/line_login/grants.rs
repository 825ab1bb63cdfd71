//! What LINE Login has issued (codes, access and refresh tokens, consents, revoked grants), and the channels' settings.

use std::{
    collections::{HashMap, HashSet},
    fmt,
};

use super::{
    channels::{AppType, ChannelConfig},
    options::Options,
    scopes::Scopes,
};
use crate::{dev, line_messaging, state::Shared};

/// Codes and tokens this dialect has issued, and the channels' settings.
///
/// A code starts a "grant" (an id shared by the code and every token issued
/// from it), so revoking or replaying can invalidate the lot.
pub(crate) struct DialectState {
    pub(crate) options: Options,
    pub(super) channels: HashMap<String, ChannelConfig>,
    pub(super) codes: HashMap<String, CodeGrant>,
    pub(super) access_tokens: HashMap<String, AccessGrant>,
    pub(super) refresh_tokens: HashMap<String, RefreshGrant>,
    /// Channels each user approved (and for which scopes), for `prompt=none`.
    pub(super) consents: HashMap<(String, u64), Scopes>,
    /// Grants revoked as a whole.
    pub(super) revoked_grants: HashSet<u64>,
    pub(super) next_grant_id: u64,
    /// The Messaging API's state: the friendships `bot_prompt` reads and changes.
    pub(super) bot: Shared<line_messaging::DialectState>,
}

// By hand: the maps are keyed by live tokens.
impl fmt::Debug for DialectState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialectState")
            .field("options", &self.options)
            .field("channels", &self.channels)
            .field("codes", &self.codes.len())
            .field("access_tokens", &self.access_tokens.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .finish()
    }
}

impl DialectState {
    /// The seeded state, reading and changing friendships in `bot`.
    pub(crate) fn new(bot: Shared<line_messaging::DialectState>) -> Self {
        let linked = |app_type| ChannelConfig {
            app_type,
            linked_bot_channel_id: Some(dev::LINE_BOT_CHANNEL_ID.to_owned()),
        };
        let channels = HashMap::from([
            (dev::LINE_LOGIN_CHANNEL_ID.to_owned(), linked(AppType::Web)),
            (
                dev::LINE_LOGIN_NATIVE_CHANNEL_ID.to_owned(),
                linked(AppType::Native),
            ),
        ]);
        Self {
            options: Options::default(),
            channels,
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            consents: HashMap::new(),
            revoked_grants: HashSet::new(),
            next_grant_id: 0,
            bot,
        }
    }

    /// Back to the seeded state, keeping channel settings (they are configuration,
    /// like registered clients).
    pub(super) fn reset_keeping_channels(&mut self) {
        let channels = std::mem::take(&mut self.channels);
        *self = Self::new(std::sync::Arc::clone(&self.bot));
        self.channels.extend(channels);
    }

    pub(super) fn channel(&self, client_id: &str) -> ChannelConfig {
        self.channels.get(client_id).cloned().unwrap_or_default()
    }

    pub(super) fn grant_revoked(&self, grant_id: u64) -> bool {
        self.revoked_grants.contains(&grant_id)
    }
}

pub(super) struct CodeGrant {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) user_id: u64,
    pub(super) scopes: Scopes,
    pub(super) challenge: Option<String>,
    pub(super) nonce: Option<String>,
    /// Set when the request had `max_age`, so the ID token carries `auth_time`.
    pub(super) auth_time: Option<u64>,
    pub(super) amr: &'static str,
    pub(super) expires_at: u64,
    pub(super) grant_id: u64,
    pub(super) redeemed: bool,
}

#[derive(Clone)]
pub(super) struct AccessGrant {
    pub(super) client_id: String,
    pub(super) user_id: u64,
    pub(super) scopes: Scopes,
    pub(super) expires_at: u64,
    pub(super) grant_id: u64,
    pub(super) revoked: bool,
}

pub(super) struct RefreshGrant {
    pub(super) client_id: String,
    pub(super) user_id: u64,
    pub(super) scopes: Scopes,
    pub(super) grant_id: u64,
    /// Fixed at the code exchange: refreshing does not extend it.
    pub(super) expires_at: u64,
    /// The access token issued last with it.
    pub(super) access_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_keeps_channel_settings() {
        let mut state = DialectState::new(Shared::default());
        state.channels.insert(
            "42".to_owned(),
            ChannelConfig {
                app_type: AppType::Native,
                linked_bot_channel_id: None,
            },
        );
        state.next_grant_id = 7;
        state.reset_keeping_channels();
        assert_eq!(state.next_grant_id, 0);
        assert_eq!(state.channel("42").app_type, AppType::Native);
        assert_eq!(
            state.channel(dev::LINE_LOGIN_NATIVE_CHANNEL_ID).app_type,
            AppType::Native
        );
    }
}
