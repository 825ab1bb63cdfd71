//! LINE Login's hooks of the shared authorize flow: the add-friend option, `prompt=none` and the SSO cookie (checks in `validate`).

use axum::response::Response;

use super::{
    AUTHORIZE, DECISION, DialectState, Granted, PREFIX,
    options::AlreadyFriend,
    page,
    validate::{AuthorizeParams, BotPrompt, ValidRequest, check, respond},
};
use crate::{
    consent::{ConsentPage, ENGLISH},
    flow::{AuthorizeFlow, ClientPages, Http, Verified, authorize::known_user},
    grants::Code,
    line_messaging::Friendship,
    oauth,
    state::{World, lock},
};

/// Where the consent form posts (below [`PREFIX`]).
pub(super) const DECISION_PATH: &str = "/oauth2/v2.1/authorize/decision";
/// Remembers who signed in, as LINE's SSO cookie on access.line.me does; it
/// makes `prompt=none` possible.
const USER_COOKIE: &str = "keyhole_sim_line_user";

const INVALID_CLIENT: (&str, &str) = (
    "400 Bad Request",
    "Invalid client_id. Check the channel ID in the LINE Developers Console.",
);
const INVALID_REDIRECT: (&str, &str) = (
    "400 Bad Request",
    "400 Bad request with invalid redirect_uri value. \
     Check if it is registered in a LINE developers site.",
);

/// What the user did with the add-friend option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FriendChoice {
    /// The option was not displayed.
    NotShown,
    Declined,
    Accepted,
}

/// LINE Login's one authorization flow.
pub(super) struct Flow;

impl AuthorizeFlow for Flow {
    type Dialect = DialectState;
    type Params = AuthorizeParams;
    type Request = ValidRequest;
    const AUTHORIZE: &'static str = AUTHORIZE;
    const DECISION: &'static str = DECISION;
    const PAGES: ClientPages = ClientPages {
        missing_client: INVALID_CLIENT,
        unknown_client: INVALID_CLIENT,
        missing_redirect: INVALID_REDIRECT,
        redirect_mismatch: INVALID_REDIRECT,
    };

    fn client(params: &AuthorizeParams) -> [&Option<String>; 3] {
        [&params.client_id, &params.redirect_uri, &params.state]
    }

    fn validate(
        dialect: &DialectState,
        base: Verified,
        params: &AuthorizeParams,
        _http: &Http,
    ) -> Result<ValidRequest, Box<Response>> {
        check(dialect, base, params)
    }

    fn auto_user(world: &World, dialect: &DialectState) -> Option<u64> {
        known_user(world, dialect.options.auto_approve_user_id)
    }

    /// The auto-approve option first; then `prompt=none`, which answers at
    /// once for a remembered user who already consented to these scopes;
    /// else the consent page.
    fn show(
        world: &mut World,
        dialect: &mut DialectState,
        request: ValidRequest,
        _params: &AuthorizeParams,
        http: &Http,
    ) -> Response {
        if let Some(user_id) = Self::auto_user(world, dialect) {
            return Self::approve(world, dialect, &request, user_id);
        }
        if !request.prompt_none {
            return Self::consent(world, dialect, &request, http);
        }
        let remembered = oauth::cookie(&http.headers, USER_COOKIE).and_then(|id| id.parse().ok());
        let Some(user_id) = known_user(world, remembered) else {
            return request.error(dialect, "LOGIN_REQUIRED", "The user is not logged in.");
        };
        let consented = dialect
            .consents
            .get(&(request.base.client_id.clone(), user_id))
            .is_some_and(|granted| granted.contains(request.scopes));
        if !consented {
            let description = "The user has not consented to this channel yet.";
            return request.error(dialect, "INTERACTION_REQUIRED", description);
        }
        issue(
            world,
            dialect,
            &request,
            user_id,
            FriendChoice::NotShown,
            "linesso",
        )
    }

    fn consent(
        world: &World,
        dialect: &DialectState,
        request: &ValidRequest,
        http: &Http,
    ) -> Response {
        let linked = dialect.linked_bot(world, &request.base.client_id);
        let extra = match (request.bot_prompt, linked) {
            (Some(BotPrompt::Normal), Some((_, account))) => {
                page::add_friend_checkbox(&account, dialect.options.add_friend_prechecked)
            }
            _ => String::new(),
        };
        ConsentPage {
            provider: "LINE",
            client_name: &request.base.client_name,
            permissions: &request.scopes.permissions(),
            users: &world.users,
            action: &format!("{PREFIX}{DECISION_PATH}"),
            hidden: &http.hidden(),
        }
        .render_in(&ENGLISH, &extra)
    }

    /// The auto-approve option: the user adds the friend if the options say so.
    fn approve(
        world: &mut World,
        dialect: &mut DialectState,
        request: &ValidRequest,
        user_id: u64,
    ) -> Response {
        let choice = if dialect.options.auto_add_friend {
            FriendChoice::Accepted
        } else {
            FriendChoice::Declined
        };
        issue(world, dialect, request, user_id, choice, "pwd")
    }

    /// "Allow" on the consent page or the add-friend step (which
    /// `bot_prompt=aggressive` shows first); the code comes with the SSO cookie.
    fn allow(
        world: &mut World,
        dialect: &mut DialectState,
        request: ValidRequest,
        params: &AuthorizeParams,
        http: &Http,
        user_id: u64,
    ) -> Response {
        let accepted = params.add_friend.as_deref() == Some("yes");
        let linked = dialect.linked_bot(world, &request.base.client_id);
        let choice = match (request.bot_prompt, linked) {
            (Some(BotPrompt::Aggressive), Some((bot, account)))
                if params.step.as_deref() != Some("friend") =>
            {
                // The separate screen appears only to users who are not friends yet.
                if lock(&dialect.bot).friendship(&bot, user_id) != Friendship::Friend {
                    let user = user_id.to_string();
                    let mut hidden = http.hidden();
                    hidden.extend([
                        ("user_id", user.as_str()),
                        ("decision", "allow"),
                        ("step", "friend"),
                    ]);
                    let action = format!("{PREFIX}{DECISION_PATH}");
                    return page::friend_step(&account, &action, &hidden);
                }
                FriendChoice::Declined
            }
            (Some(_), Some(_)) if accepted => FriendChoice::Accepted,
            (Some(_), Some(_)) => FriendChoice::Declined,
            _ => FriendChoice::NotShown,
        };
        let mut response = issue(world, dialect, &request, user_id, choice, "pwd");
        let cookie = format!(
            "{USER_COOKIE}={user_id}; Path={PREFIX}; Max-Age=31536000; HttpOnly; SameSite=Lax"
        );
        oauth::set_cookie(&mut response, cookie);
        response
    }

    fn deny(dialect: &DialectState, request: &ValidRequest) -> Response {
        let description = "The resource owner denied the request.";
        request.error(dialect, "ACCESS_DENIED", description)
    }
}

/// `friendship_status_changed`, if the add-friend option applied; accepting it
/// makes the user a friend (unblocking them if they had blocked the account).
fn friendship_result(
    world: &World,
    dialect: &DialectState,
    request: &ValidRequest,
    user_id: u64,
    choice: FriendChoice,
) -> Option<&'static str> {
    let (bot, _) = dialect.linked_bot(world, &request.base.client_id)?;
    if request.bot_prompt.is_none() || choice == FriendChoice::NotShown {
        return None;
    }
    let mut friendships = lock(&dialect.bot);
    if friendships.friendship(&bot, user_id) == Friendship::Friend {
        return match dialect.options.already_friend_result {
            AlreadyFriend::False => Some("false"),
            AlreadyFriend::Absent => None,
        };
    }
    if choice == FriendChoice::Accepted {
        friendships.set_friendship(&bot, user_id, Friendship::Friend);
        return Some("true");
    }
    Some("false")
}

/// Issues a code for `user_id` (remembering the consent) and sends the
/// browser back with it.
fn issue(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
    choice: FriendChoice,
    amr: &'static str,
) -> Response {
    let friendship = friendship_result(world, dialect, request, user_id, choice);
    let now = world.clock.now();
    let granted = Granted {
        scopes: request.scopes,
        nonce: request.nonce.clone(),
        auth_time: request.max_age.map(|_| now),
        amr,
    };
    let expires_at = now.saturating_add(dialect.options.code_ttl_secs);
    let code = Code {
        challenge: request.challenge.clone(),
        ..request.base.code(user_id, expires_at, granted)
    };
    let code = dialect.grants.add_code(15, code);
    let consent = (request.base.client_id.clone(), user_id);
    let consent = dialect.consents.entry(consent).or_default();
    *consent = consent.union(request.scopes);
    let state = request.base.state.as_deref().unwrap_or_default();
    let mut params = vec![("code", code.as_str()), ("state", state)];
    params.extend(friendship.map(|changed| ("friendship_status_changed", changed)));
    respond(&request.base.redirect_uri, request.mode, &params)
}
