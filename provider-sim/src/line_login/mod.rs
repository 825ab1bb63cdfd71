//! The LINE Login v2.1 dialect (providers.md §1): authorize with add-friend, tokens, ID tokens, profile.
//!
//! `access.line.me` and `api.line.me` both live under [`PREFIX`], with their real paths
//! below it. A LINE Login channel is a registered client of dialect `line_login`
//! (`client_id` = channel id, `client_secret` = channel secret). What the client
//! registry cannot hold (the channel's app type and its linked official account)
//! is per-channel configuration here, which survives a reset like clients do.

mod api;
mod authorize;
mod id_token;
pub(crate) mod page;
mod token;

use std::{
    collections::{HashMap, HashSet},
    fmt,
};

use axum::{
    Json, Router,
    extract::{Path, State},
    middleware,
    routing::{get, post},
};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{admin::AdminError, clients::Dialect, dev, line_messaging, state::Sim};

/// Path prefix of this dialect on the simulator.
pub(crate) const PREFIX: &str = "/line";

const AUTHORIZE: &str = "line.authorize";
const DECISION: &str = "line.decision";
const TOKEN: &str = "line.token";
const TOKEN_CODE: &str = "line.token.authorization_code";
const TOKEN_REFRESH: &str = "line.token.refresh_token";
const VERIFY_ACCESS_TOKEN: &str = "line.verify.access_token";
const VERIFY_ID_TOKEN: &str = "line.verify.id_token";
const REVOKE: &str = "line.revoke";
const PROFILE: &str = "line.profile";
const FRIENDSHIP: &str = "line.friendship";
const USERINFO: &str = "line.userinfo";
const CERTS: &str = "line.certs";
const DISCOVERY: &str = "line.discovery";

/// Endpoint names, for faults.
pub(crate) const ENDPOINTS: &[&str] = &[
    AUTHORIZE,
    DECISION,
    TOKEN,
    VERIFY_ACCESS_TOKEN,
    VERIFY_ID_TOKEN,
    REVOKE,
    PROFILE,
    FRIENDSHIP,
    USERINFO,
    CERTS,
    DISCOVERY,
];
/// Counter keys: the endpoints, plus token calls split by grant type.
pub(crate) const COUNTERS: &[&str] = &[
    AUTHORIZE,
    DECISION,
    TOKEN,
    TOKEN_CODE,
    TOKEN_REFRESH,
    VERIFY_ACCESS_TOKEN,
    VERIFY_ID_TOKEN,
    REVOKE,
    PROFILE,
    FRIENDSHIP,
    USERINFO,
    CERTS,
    DISCOVERY,
];

/// The issuer of every ID token, whatever host the simulator runs on.
const ISSUER: &str = "https://access.line.me";

/// The dialect's public routes, nested under [`PREFIX`].
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route("/oauth2/v2.1/authorize", get(authorize::authorize))
        .route(authorize::DECISION_PATH, post(authorize::decide))
        .route("/oauth2/v2.1/token", post(token::token))
        .route(
            "/oauth2/v2.1/verify",
            get(token::verify_access_token).post(token::verify_id_token),
        )
        .route("/oauth2/v2.1/revoke", post(token::revoke))
        .route("/oauth2/v2.1/certs", get(api::certs))
        .route(
            "/oauth2/v2.1/userinfo",
            get(api::userinfo).post(api::userinfo),
        )
        .route("/v2/profile", get(api::profile))
        .route("/friendship/v1/status", get(api::friendship))
        .route("/.well-known/openid-configuration", get(api::discovery))
        .layer(middleware::map_response(line_messaging::with_request_id))
}

/// The dialect's admin routes, nested under `/_sim/line`.
pub(crate) fn admin_router() -> Router<Sim> {
    Router::new()
        .route("/options", get(get_options).put(put_options))
        .route("/channels/{client_id}", get(get_channel).put(put_channel))
}

// ---------------------------------------------------------------------------
// Options

/// Behaviour switches, where LINE's documents are silent or disagree.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Options {
    /// `expires_in` of access tokens (30 days).
    pub(crate) access_token_ttl_secs: u64,
    /// Refresh tokens live this long from the code exchange; refreshing never extends it.
    pub(crate) refresh_token_ttl_secs: u64,
    pub(crate) code_ttl_secs: u64,
    /// ID token `exp - iat`; the Login docs give no number, LIFF's say one hour.
    pub(crate) id_token_ttl_secs: u64,
    /// Authorize error codes: documented upper case (`ACCESS_DENIED`) or the
    /// RFC's lower case that third-party notes show (providers.md §8.4).
    pub(crate) error_case: ErrorCase,
    /// Whether token and verify responses' `scope` lists `openid` (it never lists
    /// `email`). Off by default, as in the official example, which shows only
    /// `profile` next to an `id_token` (§8.6): clients must not infer the ID token from it.
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

/// `PUT /_sim/line/options`: absent fields keep their value;
/// `"auto_approve_user_id": null` turns auto-approval off.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsPatch {
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_secs: Option<u64>,
    code_ttl_secs: Option<u64>,
    id_token_ttl_secs: Option<u64>,
    error_case: Option<ErrorCase>,
    scope_lists_openid: Option<bool>,
    already_friend_result: Option<AlreadyFriend>,
    add_friend_prechecked: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    auto_approve_user_id: Option<Option<u64>>,
    auto_add_friend: Option<bool>,
    refresh_revokes_old_access_token: Option<bool>,
    discovery_lists_hs256: Option<bool>,
}

/// Tells "field absent" (`None`) from "field is null" (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

async fn get_options(State(sim): State<Sim>) -> Json<Options> {
    Json(sim.with(|world| world.line_login.options.clone()))
}

async fn put_options(State(sim): State<Sim>, Json(patch): Json<OptionsPatch>) -> Json<Options> {
    Json(sim.with(|world| {
        let options = &mut world.line_login.options;
        let OptionsPatch {
            access_token_ttl_secs,
            refresh_token_ttl_secs,
            code_ttl_secs,
            id_token_ttl_secs,
            error_case,
            scope_lists_openid,
            already_friend_result,
            add_friend_prechecked,
            auto_approve_user_id,
            auto_add_friend,
            refresh_revokes_old_access_token,
            discovery_lists_hs256,
        } = patch;
        set(&mut options.access_token_ttl_secs, access_token_ttl_secs);
        set(&mut options.refresh_token_ttl_secs, refresh_token_ttl_secs);
        set(&mut options.code_ttl_secs, code_ttl_secs);
        set(&mut options.id_token_ttl_secs, id_token_ttl_secs);
        set(&mut options.error_case, error_case);
        set(&mut options.scope_lists_openid, scope_lists_openid);
        set(&mut options.already_friend_result, already_friend_result);
        set(&mut options.add_friend_prechecked, add_friend_prechecked);
        set(&mut options.auto_approve_user_id, auto_approve_user_id);
        set(&mut options.auto_add_friend, auto_add_friend);
        set(
            &mut options.refresh_revokes_old_access_token,
            refresh_revokes_old_access_token,
        );
        set(&mut options.discovery_lists_hs256, discovery_lists_hs256);
        options.clone()
    }))
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

// ---------------------------------------------------------------------------
// Channels

/// The console's "App type": web channels sign ID tokens with HS256 and need
/// the secret on refresh and revoke; native (SDK) channels get ES256 and do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AppType {
    #[default]
    Web,
    Native,
}

/// A LINE Login channel's settings beyond its credentials.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ChannelConfig {
    app_type: AppType,
    /// The Messaging API channel whose official account is linked (for `bot_prompt`).
    linked_bot_channel_id: Option<String>,
}

/// `PUT /_sim/line/channels/{client_id}`: absent fields keep their value;
/// `"linked_bot_channel_id": null` unlinks the official account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelPatch {
    app_type: Option<AppType>,
    #[serde(default, deserialize_with = "present")]
    linked_bot_channel_id: Option<Option<String>>,
}

async fn get_channel(
    State(sim): State<Sim>,
    Path(client_id): Path<String>,
) -> Result<Json<ChannelConfig>, AdminError> {
    sim.with(|world| {
        if world.clients.get(Dialect::LineLogin, &client_id).is_none() {
            return Err(AdminError::not_found(format!(
                "no LINE Login channel {client_id:?}"
            )));
        }
        Ok(Json(world.line_login.channel(&client_id)))
    })
}

async fn put_channel(
    State(sim): State<Sim>,
    Path(client_id): Path<String>,
    Json(patch): Json<ChannelPatch>,
) -> Result<Json<ChannelConfig>, AdminError> {
    sim.with(|world| {
        if world.clients.get(Dialect::LineLogin, &client_id).is_none() {
            return Err(AdminError::not_found(format!(
                "no LINE Login channel {client_id:?}"
            )));
        }
        if let Some(Some(bot)) = &patch.linked_bot_channel_id
            && world.clients.get(Dialect::LineMessaging, bot).is_none()
        {
            return Err(AdminError::bad_request(format!(
                "no Messaging API channel {bot:?}"
            )));
        }
        let config = world.line_login.channels.entry(client_id).or_default();
        set(&mut config.app_type, patch.app_type);
        set(
            &mut config.linked_bot_channel_id,
            patch.linked_bot_channel_id,
        );
        Ok(Json(config.clone()))
    })
}

// ---------------------------------------------------------------------------
// Scopes

/// The granted subset of `openid`, `profile` and `email`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Scopes {
    openid: bool,
    profile: bool,
    email: bool,
}

impl Scopes {
    /// A space-separated list; `Err` carries the first unknown scope.
    fn parse(raw: &str) -> Result<Self, String> {
        let mut scopes = Self::default();
        for scope in raw.split(' ').filter(|scope| !scope.is_empty()) {
            match scope {
                "openid" => scopes.openid = true,
                "profile" => scopes.profile = true,
                "email" => scopes.email = true,
                unknown => return Err(unknown.to_owned()),
            }
        }
        Ok(scopes)
    }

    fn contains(self, other: Self) -> bool {
        (self.openid || !other.openid)
            && (self.profile || !other.profile)
            && (self.email || !other.email)
    }

    fn union(self, other: Self) -> Self {
        Self {
            openid: self.openid || other.openid,
            profile: self.profile || other.profile,
            email: self.email || other.email,
        }
    }

    /// The `scope` of token and verify responses: never `email` (documented),
    /// `openid` only if the option says so.
    fn reported(self, list_openid: bool) -> String {
        let names = [
            (self.profile, "profile"),
            (self.openid && list_openid, "openid"),
        ];
        let granted: Vec<&str> = names
            .iter()
            .filter(|(granted, _)| *granted)
            .map(|(_, name)| *name)
            .collect();
        granted.join(" ")
    }

    fn permissions(self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.profile {
            words.push("Your profile: display name, profile picture and status message");
        }
        if self.openid {
            words.push("Your internal LINE user identifier (OpenID Connect)");
        }
        if self.email {
            words.push("Your email address");
        }
        words
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.profile, "profile"),
            (self.openid, "openid"),
            (self.email, "email"),
        ];
        let granted: Vec<&str> = names
            .iter()
            .filter(|(granted, _)| *granted)
            .map(|(_, name)| *name)
            .collect();
        f.write_str(&granted.join(" "))
    }
}

// ---------------------------------------------------------------------------
// Grants

/// Codes and tokens this dialect has issued, and the channels' settings.
///
/// A code starts a "grant" (an id shared by the code and every token issued
/// from it), so revoking or replaying can invalidate the lot.
pub(crate) struct DialectState {
    pub(crate) options: Options,
    channels: HashMap<String, ChannelConfig>,
    codes: HashMap<String, CodeGrant>,
    access_tokens: HashMap<String, AccessGrant>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// Channels each user approved (and for which scopes), for `prompt=none`.
    consents: HashMap<(String, u64), Scopes>,
    /// Grants revoked as a whole.
    revoked_grants: HashSet<u64>,
    next_grant_id: u64,
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

impl Default for DialectState {
    fn default() -> Self {
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
        }
    }
}

impl DialectState {
    /// Back to the seeded state, keeping channel settings (they are configuration,
    /// like registered clients).
    pub(crate) fn reset(&mut self) {
        let channels = std::mem::take(&mut self.channels);
        *self = Self::default();
        self.channels.extend(channels);
    }

    fn channel(&self, client_id: &str) -> ChannelConfig {
        self.channels.get(client_id).cloned().unwrap_or_default()
    }

    fn grant_revoked(&self, grant_id: u64) -> bool {
        self.revoked_grants.contains(&grant_id)
    }

    /// Revokes the grant behind an access token, as if the user had unlinked
    /// the channel (`POST /_sim/tokens/revoke`); `false` if the token is unknown.
    pub(crate) fn revoke_access_token(&mut self, token: &str) -> bool {
        let Some(grant_id) = self.access_tokens.get(token).map(|grant| grant.grant_id) else {
            return false;
        };
        self.revoked_grants.insert(grant_id);
        true
    }

    /// Revokes the grant behind a refresh token; `false` if the token is unknown.
    pub(crate) fn revoke_refresh_token(&mut self, token: &str) -> bool {
        let Some(grant_id) = self.refresh_tokens.get(token).map(|grant| grant.grant_id) else {
            return false;
        };
        self.revoked_grants.insert(grant_id);
        true
    }

    /// Revokes every grant of a user; returns how many were still live.
    pub(crate) fn revoke_user(&mut self, user_id: u64) -> usize {
        let grants: HashSet<u64> = self
            .refresh_tokens
            .values()
            .filter(|grant| grant.user_id == user_id)
            .map(|grant| grant.grant_id)
            .collect();
        grants
            .into_iter()
            .filter(|grant_id| self.revoked_grants.insert(*grant_id))
            .count()
    }
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    user_id: u64,
    scopes: Scopes,
    challenge: Option<String>,
    nonce: Option<String>,
    /// Set when the request had `max_age`, so the ID token carries `auth_time`.
    auth_time: Option<u64>,
    amr: &'static str,
    expires_at: u64,
    grant_id: u64,
    redeemed: bool,
}

#[derive(Clone)]
struct AccessGrant {
    client_id: String,
    user_id: u64,
    scopes: Scopes,
    expires_at: u64,
    grant_id: u64,
    revoked: bool,
}

struct RefreshGrant {
    client_id: String,
    user_id: u64,
    scopes: Scopes,
    grant_id: u64,
    /// Fixed at the code exchange: refreshing does not extend it.
    expires_at: u64,
    /// The access token issued last with it.
    access_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_report() {
        let all = Scopes::parse("openid  profile email").expect("valid");
        assert_eq!(all.to_string(), "profile openid email");
        assert_eq!(all.reported(true), "profile openid");
        assert_eq!(all.reported(false), "profile");
        assert_eq!(Scopes::parse("profile chat"), Err("chat".to_owned()));
        let profile = Scopes::parse("profile").expect("valid");
        assert!(all.contains(profile));
        assert!(!profile.contains(all));
        assert_eq!(profile.union(all), all);
    }

    #[test]
    fn reset_keeps_channel_settings() {
        let mut state = DialectState::default();
        state.channels.insert(
            "42".to_owned(),
            ChannelConfig {
                app_type: AppType::Native,
                linked_bot_channel_id: None,
            },
        );
        state.next_grant_id = 7;
        state.reset();
        assert_eq!(state.next_grant_id, 0);
        assert_eq!(state.channel("42").app_type, AppType::Native);
        assert_eq!(
            state.channel(dev::LINE_LOGIN_NATIVE_CHANNEL_ID).app_type,
            AppType::Native
        );
    }
}
