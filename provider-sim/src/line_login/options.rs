//! LINE Login's behaviour options (where LINE's documents are silent or disagree) and `/_sim/line/options`.

use serde::{Deserialize, Serialize};

/// Behaviour switches, where LINE's documents are silent or disagree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Options {
    /// `expires_in` of access tokens (30 days).
    pub(crate) access_token_ttl_secs: u64,
    /// Refresh tokens live this long from the code exchange; refreshing never extends it.
    pub(crate) refresh_token_ttl_secs: u64,
    pub(crate) code_ttl_secs: u64,
    /// ID token `exp - iat`; the Login docs give no number, LIFF's say one hour.
    pub(crate) id_token_ttl_secs: u64,
    /// Authorize error codes: documented upper case (`ACCESS_DENIED`) or the
    /// RFC's lower case that third-party notes show ([V3]).
    pub(crate) error_case: ErrorCase,
    /// Whether token and verify responses' `scope` lists `openid` (it never lists
    /// `email`). Off by default, as in the official example, which shows only
    /// `profile` next to an `id_token`: clients must not infer the ID token from it.
    pub(crate) scope_lists_openid: bool,
    /// `friendship_status_changed` for a user who already was a friend when the
    /// add-friend option applied: `false` (seed 001) or left out.
    pub(crate) already_friend_result: AlreadyFriend,
    /// The add-friend checkbox starts ticked, as for certified providers.
    pub(crate) add_friend_prechecked: bool,
    /// Skip the consent page and approve as this user (for tests and `xtask dev`).
    pub(crate) auto_approve_user_id: Option<u64>,
    /// With `auto_approve_user_id` and `bot_prompt`, whether the user adds the friend.
    pub(crate) auto_add_friend: bool,
    /// Whether a refresh revokes the access token it replaces (undocumented).
    pub(crate) refresh_revokes_old_access_token: bool,
    /// Discovery lists `HS256` next to `ES256` (the real document lists only ES256).
    pub(crate) discovery_lists_hs256: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 2_592_000,
            refresh_token_ttl_secs: 7_776_000,
            code_ttl_secs: 600,
            id_token_ttl_secs: 3600,
            error_case: ErrorCase::Upper,
            scope_lists_openid: false,
            already_friend_result: AlreadyFriend::False,
            add_friend_prechecked: false,
            auto_approve_user_id: None,
            auto_add_friend: true,
            refresh_revokes_old_access_token: false,
            discovery_lists_hs256: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErrorCase {
    Upper,
    Lower,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AlreadyFriend {
    False,
    Absent,
}
