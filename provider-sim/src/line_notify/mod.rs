//! The LINE Notify dialect (docs/providers.md): authorize with a chosen target, token, notify, status, revoke.
//!
//! LINE Notify ended on 2025-03-31, so this simulator is the only place a client of it
//! can still run. `notify-bot.line.me` and `notify-api.line.me` both live under
//! [`PREFIX`] with their real paths below it. Much of Notify's wire format is known only
//! from third-party notes; the guesses are marked below ([V3], [I]: see docs/providers.md).

mod api;
mod authorize;

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    dev,
    dialect::{self, Dialect},
    flow::authorize::{authorize, decide},
    grants::{Grants, Revoker},
};

type Ctx = dialect::Ctx<DialectState>;

const NAME: &str = "line_notify";
const PREFIX: &str = "/line-notify";

const AUTHORIZE: &str = "line-notify.authorize";
const DECISION: &str = "line-notify.decision";
const TOKEN: &str = "line-notify.token";
const NOTIFY: &str = "line-notify.notify";
const STATUS: &str = "line-notify.status";
const REVOKE: &str = "line-notify.revoke";

impl Dialect for DialectState {
    const NAME: &'static str = NAME;
    const PREFIX: &'static str = PREFIX;
    const TITLE: (&'static str, &'static str) = ("LINE Notify", "/oauth/…");
    const ENDPOINTS: &'static [&'static str] =
        &[AUTHORIZE, DECISION, TOKEN, NOTIFY, STATUS, REVOKE];
    type Options = Options;
    const DEV_CLIENT: (&'static str, &'static str, &'static str) = (
        dev::LINE_NOTIFY_CLIENT_ID,
        dev::LINE_NOTIFY_CLIENT_SECRET,
        dev::LINE_NOTIFY_REDIRECT_PATH,
    );

    fn options(&mut self) -> &mut Options {
        &mut self.options
    }

    fn routes() -> Router<Ctx> {
        Router::new()
            .route("/oauth/authorize", get(authorize::<authorize::Flow>))
            .route(authorize::DECISION_PATH, post(decide::<authorize::Flow>))
            .route("/oauth/token", post(api::token))
            .route("/api/notify", post(api::notify))
            .route("/api/status", get(api::status))
            .route("/api/revoke", post(api::revoke))
    }

    fn admin_routes() -> Router<Ctx> {
        Router::new()
            .route("/_sim/line-notify/messages", get(list_messages))
            .route("/_sim/line-notify/groups", get(list_groups))
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    /// As if the user had disconnected the service.
    fn revoker(&mut self) -> Option<&mut dyn Revoker> {
        Some(&mut self.grants)
    }
}

/// Notify's error and status body: `{"status", "message"}`, `status` mirroring HTTP.
fn notify_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "status": status.as_u16(), "message": message });
    (status, Json(body)).into_response()
}

/// With the `service_ended` option, every path answers 410 as the shut-down service would.
fn ended(dialect: &DialectState) -> Option<Response> {
    dialect.options.service_ended.then(|| {
        notify_error(
            StatusCode::GONE,
            "LINE Notify ended its service on 2025-03-31",
        )
    })
}

crate::dialect::options! {
    /// Behaviour switches for this dialect.
    struct Options {
        /// API calls per access token per hour (`X-RateLimit-Limit`).
        rate_limit_per_hour: u32 = 1000,
        /// Image uploads per token per hour (`X-RateLimit-ImageLimit`).
        image_limit_per_hour: u32 = 50,
        code_ttl_secs: u64 = 600,
        /// Skip the consent page: this user, notifying their 1:1 chat.
        auto_approve_user_id: Option<u64> = None,
        /// Answer 410 everywhere, as after the shutdown on 2025-04-01.
        service_ended: bool = false,
    }
}

/// A group chat the LINE Notify bot was invited to, offered as a target.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Group {
    id: String,
    name: &'static str,
}

fn seeded_groups() -> Vec<Group> {
    ["Keyhole 開發者", "ครอบครัว (Family)", "스터디 모임"]
        .into_iter()
        .enumerate()
        .map(|(index, name)| {
            let digest = Sha256::digest(format!("line-notify-group:{index}").as_bytes());
            let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
            Group {
                id: format!("C{}", &hex[..32]),
                name,
            }
        })
        .collect()
}

/// Where a token's notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// The user's 1:1 chat with LINE Notify.
    User,
    /// A group, by id.
    Group(String),
}

/// Codes, tokens and delivered notifications.
#[derive(Debug)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    groups: Vec<Group>,
    /// Codes carry the chosen chat; tokens carry it and their hourly budget.
    grants: Grants<Target, Meter>,
    messages: Vec<Notification>,
}

impl Default for DialectState {
    fn default() -> Self {
        Self {
            options: Options::default(),
            groups: seeded_groups(),
            grants: Grants::default(),
            messages: Vec::new(),
        }
    }
}

impl DialectState {
    /// `(targetType, target)` as `/api/status` reports them.
    fn describe(&self, target: &Target, user_name: Option<&str>) -> (&'static str, Option<String>) {
        match target {
            Target::User => ("USER", user_name.map(str::to_owned)),
            Target::Group(id) => (
                "GROUP",
                self.groups
                    .iter()
                    .find(|group| &group.id == id)
                    .map(|group| group.name.to_owned()),
            ),
        }
    }
}

/// A token's chat and budget. A token never expires; it works until revoked.
/// Calls are counted per clock hour ([I]: LINE does not say whether the
/// window is fixed or rolling).
#[derive(Debug, Clone)]
struct Meter {
    target: Target,
    window_reset: u64,
    calls: u32,
    images: u32,
}

/// A delivered notification, as the admin API lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Notification {
    client_id: String,
    user_id: u64,
    /// `USER` or `GROUP`.
    target_type: &'static str,
    /// The user's or group's name.
    target: Option<String>,
    message: String,
    sticker_package_id: Option<u64>,
    sticker_id: Option<u64>,
    image_thumbnail: Option<String>,
    image_fullsize: Option<String>,
    notification_disabled: bool,
    /// Simulated Unix time, seconds.
    time: u64,
}

async fn list_messages(State(ctx): State<Ctx>) -> Json<Vec<Notification>> {
    Json(ctx.with(|_, dialect| dialect.messages.clone()))
}

async fn list_groups(State(ctx): State<Ctx>) -> Json<Vec<Group>> {
    Json(ctx.with(|_, dialect| dialect.groups.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_have_stable_line_ids() {
        let groups = seeded_groups();
        assert_eq!(groups.len(), 3);
        assert!(
            groups
                .iter()
                .all(|group| group.id.len() == 33 && group.id.starts_with('C'))
        );
        assert_eq!(groups[0].id, seeded_groups()[0].id);
        let state = DialectState::default();
        let group = Target::Group(groups[1].id.clone());
        assert_eq!(
            state.describe(&group, None),
            ("GROUP", Some("ครอบครัว (Family)".to_owned()))
        );
        assert_eq!(
            state.describe(&Target::User, Some("Alice")),
            ("USER", Some("Alice".to_owned()))
        );
    }
}
