//! The LINE Login v2.1 dialect (docs/providers.md): authorize with add-friend, tokens, ID tokens, profile.
//!
//! `access.line.me` and `api.line.me` both live under [`PREFIX`], with their real paths
//! below it. A LINE Login channel is a registered client of dialect `line_login`
//! (`client_id` = channel id, `client_secret` = channel secret). What the client
//! registry cannot hold (the channel's app type and its linked official account)
//! is per-channel configuration here, which survives a reset like clients do.

mod api;
mod authorize;
mod channel_api;
mod channels;
mod id_token;
mod options;
pub(crate) mod page;
mod scopes;
mod token;
mod validate;
mod verify;

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router, middleware,
    routing::{get, post},
};
use serde_json::{Map, Value};

use self::{
    channels::{AppType, ChannelConfig},
    options::Options,
    scopes::Scopes,
};
use crate::{
    clients::Client,
    dev,
    dialect::{self, Dialect},
    flow::authorize::{authorize, decide},
    grants::{Grants, RefreshStatus, Revoker},
    line_messaging,
    state::{Shared, World},
    users::User,
};

type Ctx = dialect::Ctx<DialectState>;

const NAME: &str = "line_login";
const PREFIX: &str = "/line";

const AUTHORIZE: &str = "line.authorize";
const DECISION: &str = "line.decision";
const TOKEN: &str = "line.token";
const TOKEN_CODE: &str = "line.token.authorization_code";
const TOKEN_REFRESH: &str = "line.token.refresh_token";
/// A v2.1 channel access token, asked of `/oauth2/v2.1/token` like user tokens.
const TOKEN_CHANNEL: &str = "line.token.client_credentials";
const STATELESS: &str = "line.token.stateless";
const KIDS: &str = "line.kids";
const DEAUTHORIZE: &str = "line.deauthorize";
const VERIFY_ACCESS_TOKEN: &str = "line.verify.access_token";
const VERIFY_ID_TOKEN: &str = "line.verify.id_token";
const REVOKE: &str = "line.revoke";
const PROFILE: &str = "line.profile";
const FRIENDSHIP: &str = "line.friendship";
const USERINFO: &str = "line.userinfo";
const CERTS: &str = "line.certs";
const DISCOVERY: &str = "line.discovery";

/// The issuer of every ID token, whatever host the simulator runs on.
const ISSUER: &str = "https://access.line.me";

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) = ("LINE Login", "/oauth2/v2.1/…");
    const ENDPOINTS: &'static [&'static str] = &[
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
        STATELESS,
        KIDS,
        DEAUTHORIZE,
    ];
    const COUNTERS: &'static [&'static str] = &[TOKEN_CODE, TOKEN_REFRESH, TOKEN_CHANNEL];
    type Options = Options;

    fn options(&mut self) -> &mut Options {
        &mut self.options
    }

    fn routes() -> Router<Ctx> {
        Router::new()
            .route("/oauth2/v2.1/authorize", get(authorize::<authorize::Flow>))
            .route(authorize::DECISION_PATH, post(decide::<authorize::Flow>))
            .route("/oauth2/v2.1/token", post(token::token))
            .route(
                "/oauth2/v2.1/verify",
                get(verify::verify_access_token).post(verify::verify_id_token),
            )
            .route("/oauth2/v2.1/revoke", post(verify::revoke))
            .merge(channel_api::routes())
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

    fn admin_routes() -> Router<Ctx> {
        Router::new()
            .route(
                "/_sim/line/channels/{client_id}",
                get(channels::channel).put(channels::channel),
            )
            .route(
                "/_sim/line/channels/{client_id}/assertion-keys",
                post(channel_api::register_key),
            )
    }

    fn dev_clients(app_url: &str) -> Vec<Client> {
        let uri = format!("{app_url}{}", dev::LINE_LOGIN_REDIRECT_PATH);
        [
            (dev::LINE_LOGIN_CHANNEL_ID, dev::LINE_LOGIN_CHANNEL_SECRET),
            (
                dev::LINE_LOGIN_NATIVE_CHANNEL_ID,
                dev::LINE_LOGIN_NATIVE_CHANNEL_SECRET,
            ),
        ]
        .into_iter()
        .map(|(id, secret)| dialect::dev_client::<Self>(id, secret, uri.clone()))
        .collect()
    }

    /// Back to the seeded state, keeping the channels' settings: they are
    /// configuration, like registered clients.
    fn reset(&mut self) {
        let channels = std::mem::take(&mut self.channels);
        *self = Self::new(Arc::clone(&self.bot));
        self.channels.extend(channels);
    }

    fn revoker(&mut self) -> Option<&mut dyn Revoker> {
        Some(&mut self.grants)
    }
    /// Revokes the grant behind an access token, as if the user had unlinked
    /// the channel; `false` if the token is unknown.
    fn revoke_access_token(&mut self, token: &str) -> bool {
        self.grants.revoke_token_grant(token)
    }
    fn revoke_refresh_token(&mut self, token: &str) -> bool {
        self.grants.revoke_token_grant(token)
    }
    /// Revokes every grant of a user; returns how many were still live (one
    /// refresh token per grant: LINE never rotates them).
    fn revoke_user(&mut self, user_id: u64) -> usize {
        let live = self.grants.refresh.values();
        let live = live.filter(|g| g.user_id == user_id && g.status == RefreshStatus::Active);
        let count = live.count();
        self.grants.revoke_user(user_id);
        count
    }

    fn describe_user(&self, user: &User, view: &mut Map<String, Value>) {
        view.insert("line_user_id".to_owned(), user.line_user_id.into());
    }
}

/// Codes and tokens this dialect has issued, consents, and the channels' settings.
#[derive(Debug)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    channels: HashMap<String, ChannelConfig>,
    /// Access tokens carry their scopes.
    grants: Grants<Granted, Scopes, Refreshing>,
    /// Channels each user approved (and for which scopes), for `prompt=none`.
    consents: HashMap<(String, u64), Scopes>,
    /// The Messaging API's state: the friendships `bot_prompt` reads and changes.
    bot: Shared<line_messaging::DialectState>,
}

/// What a code carries into the ID token.
#[derive(Debug, Clone)]
struct Granted {
    scopes: Scopes,
    nonce: Option<String>,
    /// Set when the request had `max_age`, so the ID token carries `auth_time`.
    auth_time: Option<u64>,
    amr: &'static str,
}

/// What a refresh token keeps: its scopes and the access token issued last
/// with it (its expiry is fixed at the code exchange).
#[derive(Debug, Clone)]
struct Refreshing {
    scopes: Scopes,
    access_token: String,
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
            grants: Grants::default(),
            consents: HashMap::new(),
            bot,
        }
    }

    fn channel(&self, client_id: &str) -> ChannelConfig {
        self.channels.get(client_id).cloned().unwrap_or_default()
    }

    /// The channel's linked official account, if its Messaging API channel
    /// exists: (channel id, account name).
    fn linked_bot(&self, world: &World, client_id: &str) -> Option<(String, String)> {
        let bot = self.channel(client_id).linked_bot_channel_id?;
        let name = line_messaging::official_account_name(world, &bot)?;
        Some((bot, name))
    }

    /// Revokes everything `user_id` granted channel `client_id` (unused codes
    /// included) and forgets the consent, as `POST /user/v1/deauthorize` does.
    fn deauthorize(&mut self, client_id: &str, user_id: u64) {
        let of_user = |client: &str, user: u64| client == client_id && user == user_id;
        let grants = &mut self.grants;
        grants
            .codes
            .retain(|_, code| !of_user(&code.client_id, code.user_id));
        for access in grants.access.values_mut() {
            access.revoked |= of_user(&access.client_id, access.user_id);
        }
        let refresh = grants.refresh.values_mut();
        for refresh in refresh.filter(|g| of_user(&g.client_id, g.user_id)) {
            refresh.status = RefreshStatus::Revoked;
        }
        self.consents.remove(&(client_id.to_owned(), user_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grants::Refresh;

    #[test]
    fn reset_keeps_channel_settings() {
        let mut state = DialectState::new(Shared::default());
        let native = ChannelConfig {
            app_type: AppType::Native,
            linked_bot_channel_id: None,
        };
        state.channels.insert("42".to_owned(), native);
        state
            .consents
            .insert(("42".to_owned(), 1), Scopes::default());
        state.reset();
        assert!(state.consents.is_empty());
        assert_eq!(state.channel("42").app_type, AppType::Native);
        assert_eq!(
            state.channel(dev::LINE_LOGIN_NATIVE_CHANNEL_ID).app_type,
            AppType::Native
        );
    }

    #[test]
    fn deauthorize_revokes_the_channels_grants_of_the_user_only() {
        let mut state = DialectState::new(Shared::default());
        let refresh = |client_id: &str, user_id, grant_id| Refresh {
            client_id: client_id.to_owned(),
            user_id,
            expires_at: None,
            grant_id,
            status: RefreshStatus::Active,
            extra: Refreshing {
                scopes: Scopes::default(),
                access_token: String::new(),
            },
        };
        let tokens = &mut state.grants.refresh;
        tokens.insert("a".to_owned(), refresh("c", 1, 10));
        tokens.insert("b".to_owned(), refresh("c", 2, 20));
        tokens.insert("d".to_owned(), refresh("other", 1, 30));
        for client in ["c", "other"] {
            state
                .consents
                .insert((client.to_owned(), 1), Scopes::default());
        }
        state.deauthorize("c", 1);
        let status = |token: &str| state.grants.refresh[token].status;
        assert_eq!(status("a"), RefreshStatus::Revoked);
        assert!(status("b") == RefreshStatus::Active && status("d") == RefreshStatus::Active);
        assert!(!state.consents.contains_key(&("c".to_owned(), 1)));
        assert!(state.consents.contains_key(&("other".to_owned(), 1)));
    }
}
