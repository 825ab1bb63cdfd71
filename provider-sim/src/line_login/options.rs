//! LINE Login's behaviour options (where LINE's documents are silent or disagree) and `/_sim/line/options`.

use serde::{Deserialize, Serialize};

crate::dialect::options! {
    /// Behaviour switches, where LINE's documents are silent or disagree.
    struct Options {
        /// `expires_in` of access tokens (30 days).
        access_token_ttl_secs: u64 = 2_592_000,
        /// Refresh tokens live this long from the code exchange; refreshing never extends it.
        refresh_token_ttl_secs: u64 = 7_776_000,
        code_ttl_secs: u64 = 600,
        /// ID token `exp - iat`; the Login docs give no number, LIFF's say one hour.
        id_token_ttl_secs: u64 = 3600,
        /// Authorize error codes: documented upper case (`ACCESS_DENIED`) or the
        /// RFC's lower case that third-party notes show ([V3]).
        error_case: ErrorCase = ErrorCase::Upper,
        /// Whether token and verify responses' `scope` lists `openid` (it never lists
        /// `email`). Off by default, as in the official example, which shows only
        /// `profile` next to an `id_token`: clients must not infer the ID token from it.
        scope_lists_openid: bool = false,
        /// `friendship_status_changed` for a user who already was a friend when the
        /// add-friend option applied: `false` (seed 001) or left out.
        already_friend_result: AlreadyFriend = AlreadyFriend::False,
        /// The add-friend checkbox starts ticked, as for certified providers.
        add_friend_prechecked: bool = false,
        /// Skip the consent page and approve as this user (for tests and `xtask dev`).
        auto_approve_user_id: Option<u64> = None,
        /// With `auto_approve_user_id` and `bot_prompt`, whether the user adds the friend.
        auto_add_friend: bool = true,
        /// Whether a refresh revokes the access token it replaces (undocumented).
        refresh_revokes_old_access_token: bool = false,
        /// Discovery lists `HS256` next to `ES256` (the real document lists only ES256).
        discovery_lists_hs256: bool = false,
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
