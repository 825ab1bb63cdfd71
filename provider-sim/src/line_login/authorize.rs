//! `GET /oauth2/v2.1/authorize` and its consent form: validation, add-friend option, callbacks.

use crate::oauth::non_empty;
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
    options::{AlreadyFriend, ErrorCase},
    page::{self, LinePage},
    scopes::Scopes,
};
use crate::{
    clients::Dialect,
    consent,
    line_messaging::{self, Friendship},
    net::Conn,
    oauth,
    state::{Sim, World},
};

/// Where the consent form posts (below [`PREFIX`]).
pub(super) const DECISION_PATH: &str = "/oauth2/v2.1/authorize/decision";
/// Remembers who signed in, as LINE's SSO cookie on access.line.me does; it
/// makes `prompt=none` possible.
const USER_COOKIE: &str = "keyhole_sim_line_user";

/// Query of the authorize request, also carried through the consent forms.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    nonce: Option<String>,
    prompt: Option<String>,
    max_age: Option<String>,
    ui_locales: Option<String>,
    bot_prompt: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    response_mode: Option<String>,
    initial_amr_display: Option<String>,
    switch_amr: Option<String>,
    disable_auto_login: Option<String>,
    disable_ios_auto_login: Option<String>,
}

impl AuthorizeParams {
    /// Every parameter that was given, for hidden form fields.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let all = [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", &self.state),
            ("scope", &self.scope),
            ("nonce", &self.nonce),
            ("prompt", &self.prompt),
            ("max_age", &self.max_age),
            ("ui_locales", &self.ui_locales),
            ("bot_prompt", &self.bot_prompt),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("response_mode", &self.response_mode),
            ("initial_amr_display", &self.initial_amr_display),
            ("switch_amr", &self.switch_amr),
            ("disable_auto_login", &self.disable_auto_login),
            ("disable_ios_auto_login", &self.disable_ios_auto_login),
        ];
        all.into_iter()
            .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
            .collect()
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseMode {
    Query,
    FormPost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BotPrompt {
    Normal,
    Aggressive,
}

/// What the user did with the add-friend option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FriendChoice {
    /// The option was not displayed.
    NotShown,
    Declined,
    Accepted,
}

/// An authorization request that passed every check.
#[derive(Debug)]
struct ValidRequest {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    state: String,
    scopes: Scopes,
    nonce: Option<String>,
    max_age: Option<u64>,
    prompt_none: bool,
    bot_prompt: Option<BotPrompt>,
    challenge: Option<String>,
    mode: ResponseMode,
    /// The linked official account: (Messaging API channel id, account name).
    linked_bot: Option<(String, String)>,
}

/// Why an authorization request was refused.
#[derive(Debug)]
enum Rejection {
    /// Bad client or redirect URI: a page, never a redirect.
    Page(&'static str, &'static str),
    /// Anything else goes back to the verified redirect URI.
    Redirect {
        redirect_uri: String,
        mode: ResponseMode,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// Sends `params` to the client, as a 302 or an auto-submitting form.
fn respond(redirect_uri: &str, mode: ResponseMode, params: &[(&str, &str)]) -> Response {
    match mode {
        ResponseMode::Query => oauth::redirect_with(redirect_uri, params),
        ResponseMode::FormPost => page::form_post(redirect_uri, params),
    }
}

fn reject(world: &World, rejection: Rejection) -> Response {
    match rejection {
        Rejection::Page(title, message) => consent::error_page(title, message),
        Rejection::Redirect {
            redirect_uri,
            mode,
            state,
            error,
            description,
        } => {
            let error = match world.line_login.options.error_case {
                ErrorCase::Upper => error.to_owned(),
                ErrorCase::Lower => error.to_ascii_lowercase(),
            };
            let mut params = vec![
                ("error", error.as_str()),
                ("error_description", description.as_str()),
            ];
            if let Some(state) = &state {
                params.push(("state", state));
            }
            respond(&redirect_uri, mode, &params)
        }
    }
}

/// Checks a request: first whether redirecting is safe at all, then the rest.
fn validate(world: &World, params: &AuthorizeParams) -> Result<ValidRequest, Rejection> {
    let client = non_empty(&params.client_id)
        .and_then(|id| world.clients.get(Dialect::LineLogin, id))
        .ok_or(Rejection::Page(
            "400 Bad Request",
            "Invalid client_id. Check the channel ID in the LINE Developers Console.",
        ))?;
    let redirect_uri = non_empty(&params.redirect_uri)
        .filter(|uri| *uri == client.redirect_uri)
        .ok_or(Rejection::Page(
            "400 Bad Request",
            "400 Bad request with invalid redirect_uri value. \
             Check if it is registered in a LINE developers site.",
        ))?;
    let state = non_empty(&params.state);
    let mode = match params.response_mode.as_deref() {
        None | Some("") | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(_) => Err(()),
    };
    // An unsupported mode's own error still needs a way back: the default one.
    let error_mode = mode.unwrap_or(ResponseMode::Query);
    let fail = |error, description: &str| Rejection::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        mode: error_mode,
        state: state.map(str::to_owned),
        error,
        description: description.to_owned(),
    };
    let Ok(mode) = mode else {
        // The JWT modes (JARM) are real but not simulated.
        return Err(fail(
            "INVALID_REQUEST",
            "response_mode must be query or form_post in the simulator",
        ));
    };
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => return Err(fail("INVALID_REQUEST", "response_type is required")),
        Some(_) => {
            return Err(fail(
                "UNSUPPORTED_RESPONSE_TYPE",
                "response_type must be code",
            ));
        }
    }
    let Some(state) = state else {
        return Err(fail("INVALID_REQUEST", "state is required"));
    };
    let Some(raw_scope) = non_empty(&params.scope) else {
        return Err(fail("INVALID_REQUEST", "scope is required"));
    };
    let scopes = Scopes::parse(raw_scope)
        .map_err(|unknown| fail("INVALID_SCOPE", &format!("unknown scope: {unknown}")))?;
    if !scopes.profile && !scopes.openid {
        return Err(fail(
            "INVALID_SCOPE",
            "scope must include profile or openid",
        ));
    }
    if scopes.email && !scopes.openid {
        return Err(fail("INVALID_SCOPE", "the email scope requires openid"));
    }
    let prompt_none = match params.prompt.as_deref() {
        None | Some("") | Some("consent") | Some("login") => false,
        Some("none") => true,
        Some(_) => {
            return Err(fail(
                "INVALID_REQUEST",
                "prompt must be consent, none or login",
            ));
        }
    };
    let max_age = match non_empty(&params.max_age) {
        None => None,
        Some(raw) => Some(
            raw.parse::<u64>()
                .map_err(|_| fail("INVALID_REQUEST", "max_age must be a number of seconds"))?,
        ),
    };
    let bot_prompt = match params.bot_prompt.as_deref() {
        None | Some("") => None,
        Some("normal") => Some(BotPrompt::Normal),
        Some("aggressive") => Some(BotPrompt::Aggressive),
        Some(_) => {
            return Err(fail(
                "INVALID_REQUEST",
                "bot_prompt must be normal or aggressive",
            ));
        }
    };
    let challenge = match (
        non_empty(&params.code_challenge),
        non_empty(&params.code_challenge_method),
    ) {
        (None, None) => None,
        (Some(challenge), Some("S256")) if oauth::is_valid_s256_challenge(challenge) => {
            Some(challenge.to_owned())
        }
        (Some(_), Some("S256")) => {
            return Err(fail(
                "INVALID_REQUEST",
                "code_challenge is not a valid S256 challenge",
            ));
        }
        (None, Some(_)) => {
            return Err(fail(
                "INVALID_REQUEST",
                "code_challenge_method without code_challenge",
            ));
        }
        // LINE supports S256 only: `plain`, and a challenge without a method
        // (which would mean plain), are refused.
        (Some(_), _) => {
            return Err(fail(
                "INVALID_REQUEST",
                "code_challenge_method must be S256 (plain is not supported)",
            ));
        }
    };
    let linked_bot = world
        .line_login
        .channel(&client.client_id)
        .linked_bot_channel_id
        .and_then(|bot| line_messaging::official_account_name(world, &bot).map(|name| (bot, name)));
    Ok(ValidRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        scopes,
        nonce: non_empty(&params.nonce).map(str::to_owned),
        max_age,
        prompt_none,
        bot_prompt,
        challenge,
        mode,
        linked_bot,
    })
}

/// `friendship_status_changed`, if the add-friend option applied; accepting it
/// makes the user a friend (unblocking them if they had blocked the account).
fn friendship_result(
    world: &mut World,
    request: &ValidRequest,
    user_id: u64,
    choice: FriendChoice,
) -> Option<&'static str> {
    let (bot, _) = request.linked_bot.as_ref()?;
    if request.bot_prompt.is_none() || choice == FriendChoice::NotShown {
        return None;
    }
    if world.line_bot.friendship(bot, user_id) == Friendship::Friend {
        return match world.line_login.options.already_friend_result {
            AlreadyFriend::False => Some("false"),
            AlreadyFriend::Absent => None,
        };
    }
    if choice == FriendChoice::Accepted {
        world
            .line_bot
            .set_friendship(bot, user_id, Friendship::Friend);
        Some("true")
    } else {
        Some("false")
    }
}

/// Issues a code for `user_id` and sends the browser back with it.
fn approve(
    world: &mut World,
    request: &ValidRequest,
    user_id: u64,
    choice: FriendChoice,
    amr: &'static str,
) -> Response {
    let friendship = friendship_result(world, request, user_id, choice);
    let now = world.clock.now();
    let dialect = &mut world.line_login;
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
    State(sim): State<Sim>,
    conn: Conn,
    headers: HeaderMap,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    if let Some(response) = sim.begin(&conn, AUTHORIZE, None).await {
        return response;
    }
    let Ok(Query(params)) = query else {
        return consent::error_page(
            "400 Bad Request",
            "The authorization request cannot be parsed.",
        );
    };
    let remembered = oauth::cookie(&headers, USER_COOKIE).and_then(|id| id.parse::<u64>().ok());
    sim.with(|world| {
        let request = match validate(world, &params) {
            Ok(request) => request,
            Err(rejection) => return reject(world, rejection),
        };
        let options = &world.line_login.options;
        if let Some(user_id) = options
            .auto_approve_user_id
            .filter(|id| world.user(*id).is_some())
        {
            let choice = if options.auto_add_friend {
                FriendChoice::Accepted
            } else {
                FriendChoice::Declined
            };
            return approve(world, &request, user_id, choice, "pwd");
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
                return reject(world, fail("LOGIN_REQUIRED", "The user is not logged in."));
            };
            let consented = world
                .line_login
                .consents
                .get(&(request.client_id.clone(), user_id))
                .is_some_and(|granted| granted.contains(request.scopes));
            if !consented {
                let description = "The user has not consented to this channel yet.";
                return reject(world, fail("INTERACTION_REQUIRED", description));
            }
            return approve(world, &request, user_id, FriendChoice::NotShown, "linesso");
        }
        consent_page(world, &request, &params)
    })
}

fn consent_page(world: &World, request: &ValidRequest, params: &AuthorizeParams) -> Response {
    let extra = match (&request.bot_prompt, &request.linked_bot) {
        (Some(BotPrompt::Normal), Some((_, account))) => {
            page::add_friend_checkbox(account, world.line_login.options.add_friend_prechecked)
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
    State(sim): State<Sim>,
    conn: Conn,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = sim.begin(&conn, DECISION, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return consent::error_page("400 Bad Request", "The consent form cannot be parsed.");
    };
    sim.with(|world| {
        let request = match validate(world, &form.params) {
            Ok(request) => request,
            Err(rejection) => return reject(world, rejection),
        };
        match form.decision.as_deref() {
            Some("allow") => allow(world, &request, &form),
            Some("deny") => {
                let denied = Rejection::Redirect {
                    redirect_uri: request.redirect_uri.clone(),
                    mode: request.mode,
                    state: Some(request.state.clone()),
                    error: "ACCESS_DENIED",
                    description: "The resource owner denied the request.".to_owned(),
                };
                reject(world, denied)
            }
            _ => consent::error_page("400 Bad Request", "Choose Allow or Deny."),
        }
    })
}

fn allow(world: &mut World, request: &ValidRequest, form: &DecisionForm) -> Response {
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
            if world.line_bot.friendship(bot, user_id) != Friendship::Friend {
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
    let mut response = approve(world, request, user_id, choice, "pwd");
    let cookie =
        format!("{USER_COOKIE}={user_id}; Path={PREFIX}; Max-Age=31536000; HttpOnly; SameSite=Lax");
    if let Ok(cookie) = HeaderValue::try_from(cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
