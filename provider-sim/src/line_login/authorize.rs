//! `GET /oauth2/v2.1/authorize` and its consent form: add-friend option, callbacks (checks in `validate`).

use super::DialectState;
use crate::line_login::Ctx;
use axum::{
    extract::{
        Form, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};
use serde::Deserialize;

use super::{
    AUTHORIZE, DECISION, PREFIX,
    grants::CodeGrant,
    options::AlreadyFriend,
    page::{self, LinePage},
    validate::{AuthorizeParams, BotPrompt, Rejection, ValidRequest, reject, respond, validate},
};
use crate::{
    consent,
    line_messaging::Friendship,
    net::Conn,
    oauth,
    state::{World, lock},
};

/// Where the consent form posts (below [`PREFIX`]).
pub(super) const DECISION_PATH: &str = "/oauth2/v2.1/authorize/decision";
/// Remembers who signed in, as LINE's SSO cookie on access.line.me does; it
/// makes `prompt=none` possible.
const USER_COOKIE: &str = "keyhole_sim_line_user";

/// The consent forms: the original parameters plus the user's choices.
#[derive(Debug, Deserialize)]
pub(super) struct DecisionForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    user_id: Option<String>,
    decision: Option<String>,
    /// `yes` from the checkbox (normal) or the add-friend step (aggressive).
    add_friend: Option<String>,
    /// `friend` when the form is the add-friend step.
    step: Option<String>,
}

/// What the user did with the add-friend option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FriendChoice {
    /// The option was not displayed.
    NotShown,
    Declined,
    Accepted,
}

/// `friendship_status_changed`, if the add-friend option applied; accepting it
/// makes the user a friend (unblocking them if they had blocked the account).
fn friendship_result(
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
    choice: FriendChoice,
) -> Option<&'static str> {
    let (bot, _) = request.linked_bot.as_ref()?;
    if request.bot_prompt.is_none() || choice == FriendChoice::NotShown {
        return None;
    }
    if lock(&dialect.bot).friendship(bot, user_id) == Friendship::Friend {
        return match dialect.options.already_friend_result {
            AlreadyFriend::False => Some("false"),
            AlreadyFriend::Absent => None,
        };
    }
    if choice == FriendChoice::Accepted {
        lock(&dialect.bot).set_friendship(bot, user_id, Friendship::Friend);
        Some("true")
    } else {
        Some("false")
    }
}

/// Issues a code for `user_id` and sends the browser back with it.
fn approve(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
    choice: FriendChoice,
    amr: &'static str,
) -> Response {
    let friendship = friendship_result(dialect, request, user_id, choice);
    let now = world.clock.now();
    dialect.next_grant_id += 1;
    let code = oauth::random_token(15);
    dialect.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user_id,
            scopes: request.scopes,
            challenge: request.challenge.clone(),
            nonce: request.nonce.clone(),
            auth_time: request.max_age.map(|_| now),
            amr,
            expires_at: now.saturating_add(dialect.options.code_ttl_secs),
            grant_id: dialect.next_grant_id,
            redeemed: false,
        },
    );
    let consent = dialect
        .consents
        .entry((request.client_id.clone(), user_id))
        .or_default();
    *consent = consent.union(request.scopes);
    let mut params = vec![("code", code.as_str()), ("state", request.state.as_str())];
    if let Some(changed) = friendship {
        params.push(("friendship_status_changed", changed));
    }
    respond(&request.redirect_uri, request.mode, &params)
}

/// `GET /oauth2/v2.1/authorize`: validate, then the consent page, or an
/// immediate answer for `prompt=none` and the auto-approve option.
pub(super) async fn authorize(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, AUTHORIZE, None).await {
        return response;
    }
    let Ok(Query(params)) = query else {
        return consent::error_page(
            "400 Bad Request",
            "The authorization request cannot be parsed.",
        );
    };
    let remembered = oauth::cookie(&headers, USER_COOKIE).and_then(|id| id.parse::<u64>().ok());
    ctx.with(|world, dialect| {
        let request = match validate(world, dialect, &params) {
            Ok(request) => request,
            Err(rejection) => return reject(dialect, rejection),
        };
        let options = &dialect.options;
        if let Some(user_id) = options
            .auto_approve_user_id
            .filter(|id| world.user(*id).is_some())
        {
            let choice = if options.auto_add_friend {
                FriendChoice::Accepted
            } else {
                FriendChoice::Declined
            };
            return approve(world, dialect, &request, user_id, choice, "pwd");
        }
        if request.prompt_none {
            let fail = |error, description: &str| Rejection::Redirect {
                redirect_uri: request.redirect_uri.clone(),
                mode: request.mode,
                state: Some(request.state.clone()),
                error,
                description: description.to_owned(),
            };
            let Some(user_id) = remembered.filter(|id| world.user(*id).is_some()) else {
                return reject(
                    dialect,
                    fail("LOGIN_REQUIRED", "The user is not logged in."),
                );
            };
            let consented = dialect
                .consents
                .get(&(request.client_id.clone(), user_id))
                .is_some_and(|granted| granted.contains(request.scopes));
            if !consented {
                let description = "The user has not consented to this channel yet.";
                return reject(dialect, fail("INTERACTION_REQUIRED", description));
            }
            return approve(
                world,
                dialect,
                &request,
                user_id,
                FriendChoice::NotShown,
                "linesso",
            );
        }
        consent_page(world, dialect, &request, &params)
    })
}

fn consent_page(
    world: &World,
    dialect: &DialectState,
    request: &ValidRequest,
    params: &AuthorizeParams,
) -> Response {
    let extra = match (&request.bot_prompt, &request.linked_bot) {
        (Some(BotPrompt::Normal), Some((_, account))) => {
            page::add_friend_checkbox(account, dialect.options.add_friend_prechecked)
        }
        _ => String::new(),
    };
    let action = format!("{PREFIX}{DECISION_PATH}");
    LinePage {
        provider: "LINE",
        client_name: &request.client_name,
        permissions: &request.scopes.permissions(),
        users: &world.users,
        action: &action,
        hidden: &params.pairs(),
        extra: &extra,
    }
    .render()
}

/// `POST …/authorize/decision`: the consent form and the add-friend step.
/// Everything is validated again: the hidden fields came back through the browser.
pub(super) async fn decide(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, DECISION, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return consent::error_page("400 Bad Request", "The consent form cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let request = match validate(world, dialect, &form.params) {
            Ok(request) => request,
            Err(rejection) => return reject(dialect, rejection),
        };
        match form.decision.as_deref() {
            Some("allow") => allow(world, dialect, &request, &form),
            Some("deny") => {
                let denied = Rejection::Redirect {
                    redirect_uri: request.redirect_uri.clone(),
                    mode: request.mode,
                    state: Some(request.state.clone()),
                    error: "ACCESS_DENIED",
                    description: "The resource owner denied the request.".to_owned(),
                };
                reject(dialect, denied)
            }
            _ => consent::error_page("400 Bad Request", "Choose Allow or Deny."),
        }
    })
}

fn allow(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    form: &DecisionForm,
) -> Response {
    let user_id = form
        .user_id
        .as_deref()
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|id| world.user(*id).is_some());
    let Some(user_id) = user_id else {
        return consent::error_page("No account chosen", "Choose an account.");
    };
    let accepted = form.add_friend.as_deref() == Some("yes");
    let choice = match (&request.bot_prompt, &request.linked_bot) {
        (Some(BotPrompt::Normal), Some(_)) if accepted => FriendChoice::Accepted,
        (Some(BotPrompt::Normal), Some(_)) => FriendChoice::Declined,
        (Some(BotPrompt::Aggressive), Some(_)) if form.step.as_deref() == Some("friend") => {
            if accepted {
                FriendChoice::Accepted
            } else {
                FriendChoice::Declined
            }
        }
        (Some(BotPrompt::Aggressive), Some((bot, account))) => {
            // The separate screen appears only to users who are not friends yet.
            if lock(&dialect.bot).friendship(bot, user_id) != Friendship::Friend {
                let user = user_id.to_string();
                let mut hidden = form.params.pairs();
                hidden.extend([
                    ("user_id", user.as_str()),
                    ("decision", "allow"),
                    ("step", "friend"),
                ]);
                let action = format!("{PREFIX}{DECISION_PATH}");
                return page::friend_step(account, &action, &hidden);
            }
            FriendChoice::Declined
        }
        _ => FriendChoice::NotShown,
    };
    let mut response = approve(world, dialect, request, user_id, choice, "pwd");
    let cookie =
        format!("{USER_COOKIE}={user_id}; Path={PREFIX}; Max-Age=31536000; HttpOnly; SameSite=Lax");
    if let Ok(cookie) = HeaderValue::try_from(cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
