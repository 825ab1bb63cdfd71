//! The Feishu (Lark) dialect (docs/providers.md): app_access_token, the legacy v1 login, and the v2 OAuth token endpoint.
//!
//! The real service spreads these over `open.feishu.cn` and `accounts.feishu.cn`;
//! here everything lives under [`PREFIX`], with the real paths below it.

mod app_token;
mod envelope;
mod grants;
mod login;
mod options;
mod v1;
mod v2;

use axum::{Router, routing::post};
use serde_json::{Map, Value};

use crate::{
    dev,
    dialect::{self, Dialect},
    grants::Revoker,
    users::User,
};

pub(crate) use grants::DialectState;

type Ctx = dialect::Ctx<DialectState>;

const NAME: &str = "feishu";
const PREFIX: &str = "/feishu";

const APP_TOKEN: &str = "feishu.app_access_token";
const AUTHORIZE: &str = "feishu.authorize";
const DECISION: &str = "feishu.decision";
const ACCESS_TOKEN: &str = "feishu.access_token";
const REFRESH: &str = "feishu.refresh_access_token";
const USER_INFO: &str = "feishu.user_info";
const V2_AUTHORIZE: &str = "feishu.v2.authorize";
const V2_DECISION: &str = "feishu.v2.decision";
const V2_TOKEN: &str = "feishu.v2.token";
const V2_TOKEN_CODE: &str = "feishu.v2.token.authorization_code";
const V2_TOKEN_REFRESH: &str = "feishu.v2.token.refresh_token";

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) = ("Feishu", "/open-apis/…");
    const ENDPOINTS: &'static [&'static str] = &[
        APP_TOKEN,
        AUTHORIZE,
        DECISION,
        ACCESS_TOKEN,
        REFRESH,
        USER_INFO,
        V2_AUTHORIZE,
        V2_DECISION,
        V2_TOKEN,
    ];
    const COUNTERS: &'static [&'static str] = &[V2_TOKEN_CODE, V2_TOKEN_REFRESH];
    type Options = options::Options;
    /// Feishu calls the client id `app_id` and the secret `app_secret`.
    const DEV_CLIENT: (&'static str, &'static str, &'static str) = (
        dev::FEISHU_APP_ID,
        dev::FEISHU_APP_SECRET,
        dev::FEISHU_REDIRECT_PATH,
    );

    fn options(&mut self) -> &mut options::Options {
        &mut self.options
    }

    fn check_options(options: &options::Options) -> Result<(), String> {
        options.check()
    }

    fn routes() -> Router<Ctx> {
        Router::new()
            .route(
                "/open-apis/auth/v3/app_access_token/internal",
                post(app_token::app_access_token),
            )
            .merge(login::router())
            .merge(v1::router())
            .route("/open-apis/authen/v2/oauth/token", post(v2::token))
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    fn revoker(&mut self) -> Option<&mut dyn Revoker> {
        Some(&mut self.grants)
    }

    fn describe_user(&self, user: &User, view: &mut Map<String, Value>) {
        view.insert("feishu_open_id".to_owned(), user.feishu.open_id.into());
    }
}
