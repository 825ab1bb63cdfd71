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

    /// Revokes every grant `user_id` gave channel `client_id` (codes and tokens
    /// alike) and forgets the consent, as `POST /user/v1/deauthorize` does.
    pub(super) fn deauthorize(&mut self, client_id: &str, user_id: u64) {
        let of_user = |client: &str, user: u64| client == client_id && user == user_id;
        let codes = self
            .codes
            .values()
            .map(|g| (&g.client_id, g.user_id, g.grant_id));
        let access = self
            .access_tokens
            .values()
            .map(|g| (&g.client_id, g.user_id, g.grant_id));
        let refresh = self
            .refresh_tokens
            .values()
            .map(|g| (&g.client_id, g.user_id, g.grant_id));
        let grants: Vec<u64> = codes
            .chain(access)
            .chain(refresh)
            .filter(|(client, user, _)| of_user(client, *user))
            .map(|(_, _, grant_id)| grant_id)
            .collect();
        self.revoked_grants.extend(grants);
        self.consents.remove(&(client_id.to_owned(), user_id));
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

    #[test]
    fn deauthorize_revokes_the_channels_grants_of_the_user_only() {
        let mut state = DialectState::new(Shared::default());
        let refresh = |client_id: &str, user_id, grant_id| RefreshGrant {
            client_id: client_id.to_owned(),
            user_id,
            scopes: Scopes::default(),
            grant_id,
            expires_at: 0,
            access_token: String::new(),
        };
        state
            .refresh_tokens
            .insert("a".to_owned(), refresh("c", 1, 10));
        state
            .refresh_tokens
            .insert("b".to_owned(), refresh("c", 2, 20));
        state
            .refresh_tokens
            .insert("d".to_owned(), refresh("other", 1, 30));
        state
            .consents
            .insert(("c".to_owned(), 1), Scopes::default());
        state
            .consents
            .insert(("other".to_owned(), 1), Scopes::default());
        state.deauthorize("c", 1);
        assert!(state.grant_revoked(10));
        assert!(!state.grant_revoked(20) && !state.grant_revoked(30));
        assert!(!state.consents.contains_key(&("c".to_owned(), 1)));
        assert!(state.consents.contains_key(&("other".to_owned(), 1)));
    }
}
