//! Credentials of the clients the simulator registers at start-up, so that
//! `dev/keyhole.dev.toml`, the server's tests and `cargo xtask dev` can share them.
//!
//! Constants only, no dependencies: `xtask` compiles this same file into
//! itself (`xtask::sim_dev`) so that it needs none of the simulator's web stack.

/// Client id of the pre-registered AIHubMix client.
pub const AIHUBMIX_CLIENT_ID: &str = "keyhole-dev-aihubmix";
/// Client secret of the pre-registered AIHubMix client.
pub const AIHUBMIX_CLIENT_SECRET: &str = "sim-secret-aihubmix";
/// Path (on the app's origin) of the AIHubMix dev client's only redirect URI.
pub const AIHUBMIX_REDIRECT_PATH: &str = "/api/auth/aihubmix/callback";
/// The developer token `POST /aihubmix/api/oauth_apps` accepts (as
/// `Authorization: Bearer …`), for `keyhole aihubmix register-app`.
pub const AIHUBMIX_DEVELOPER_TOKEN: &str = "sim-developer-token-aihubmix";

/// Client id of the pre-registered Elice client.
pub const ELICE_CLIENT_ID: &str = "keyhole-dev-elice";
/// Client secret of the pre-registered Elice client.
pub const ELICE_CLIENT_SECRET: &str = "sim-secret-elice";
/// Path (on the app's origin) of the Elice dev client's redirect URI.
pub const ELICE_REDIRECT_PATH: &str = "/api/auth/elice/callback";

/// `app_id` of the pre-registered Feishu app (real ones are `cli_` and 16 hex digits).
pub const FEISHU_APP_ID: &str = "cli_a1b2c3d4e5f60718";
/// `app_secret` of the pre-registered Feishu app.
pub const FEISHU_APP_SECRET: &str = "sim-secret-feishu";
/// Path (on the app's origin) of the Feishu dev app's redirect URI.
pub const FEISHU_REDIRECT_PATH: &str = "/api/auth/feishu/callback";

/// Client id of the pre-registered generic OpenID Connect client.
pub const OIDC_CLIENT_ID: &str = "keyhole-dev-oidc";
/// Client secret of the pre-registered OpenID Connect client.
pub const OIDC_CLIENT_SECRET: &str = "sim-secret-oidc";
/// Path (on the app's origin) of the OpenID Connect dev client's redirect URI.
pub const OIDC_REDIRECT_PATH: &str = "/api/auth/oidc/callback";

/// Channel id of the pre-registered LINE Login channel (a web app: HS256 ID tokens).
pub const LINE_LOGIN_CHANNEL_ID: &str = "1234567890";
/// Channel secret of the LINE Login channel (also the HS256 key of its ID tokens).
pub const LINE_LOGIN_CHANNEL_SECRET: &str = "c51fa0f0107111422a50d8a5197ec5e5";
/// Path (on the app's origin) of both LINE Login dev channels' callback URL.
pub const LINE_LOGIN_REDIRECT_PATH: &str = "/api/auth/line/callback";
/// Channel id of a second LINE Login channel of app type "native": ES256 ID tokens
/// (keys at `/line/oauth2/v2.1/certs`), no secret needed on refresh and revoke.
pub const LINE_LOGIN_NATIVE_CHANNEL_ID: &str = "1234567891";
/// Channel secret of the native LINE Login channel.
pub const LINE_LOGIN_NATIVE_CHANNEL_SECRET: &str = "d148f07a290a3571b713c4ddc696115c";

/// Client id of the pre-registered LINE Notify service.
pub const LINE_NOTIFY_CLIENT_ID: &str = "9UKEy4NafbbgApUHd4feZO";
/// Client secret of the LINE Notify service.
pub const LINE_NOTIFY_CLIENT_SECRET: &str = "KrWMwYU-30edw1gJ3_1tH8TOrrA5vHXfg_RktlQlPoo";
/// Path (on the app's origin) of the LINE Notify service's callback URL.
pub const LINE_NOTIFY_REDIRECT_PATH: &str = "/api/auth/line-notify/callback";

/// Channel id of the pre-registered Messaging API channel, linked to both LINE
/// Login dev channels for `bot_prompt`.
pub const LINE_BOT_CHANNEL_ID: &str = "2345678901";
/// Channel secret of the Messaging API channel (the webhook signature key).
pub const LINE_BOT_CHANNEL_SECRET: &str = "e900b510dd7ebb0713ed93dacdf20e56";
/// Name of the channel's LINE Official Account, shown by the add-friend option.
pub const LINE_BOT_OFFICIAL_ACCOUNT_NAME: &str = "Keyhole 通知 (dev)";
/// The bot's user id: the `destination` of its webhooks.
pub const LINE_BOT_USER_ID: &str = "U429af05f382fba3f36488b61ce5b1983";
/// Path (on the app's origin) the channel's webhooks go to by default.
pub const LINE_BOT_WEBHOOK_PATH: &str = "/api/webhooks/line-bot";
