//! Checks of a LINE Login authorization request, and how a refused one is answered (page or error redirect).

use super::DialectState;
use crate::line_login::NAME;
use crate::oauth::non_empty;
use axum::response::Response;
use serde::Deserialize;

use super::{options::ErrorCase, page, scopes::Scopes};
use crate::{consent, line_messaging, oauth, state::World};

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
    pub(super) fn pairs(&self) -> Vec<(&'static str, &str)> {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseMode {
    Query,
    FormPost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BotPrompt {
    Normal,
    Aggressive,
}

/// An authorization request that passed every check.
#[derive(Debug)]
pub(super) struct ValidRequest {
    pub(super) client_id: String,
    pub(super) client_name: String,
    pub(super) redirect_uri: String,
    pub(super) state: String,
    pub(super) scopes: Scopes,
    pub(super) nonce: Option<String>,
    pub(super) max_age: Option<u64>,
    pub(super) prompt_none: bool,
    pub(super) bot_prompt: Option<BotPrompt>,
    pub(super) challenge: Option<String>,
    pub(super) mode: ResponseMode,
    /// The linked official account: (Messaging API channel id, account name).
    pub(super) linked_bot: Option<(String, String)>,
}

/// Why an authorization request was refused.
#[derive(Debug)]
pub(super) enum Rejection {
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
pub(super) fn respond(redirect_uri: &str, mode: ResponseMode, params: &[(&str, &str)]) -> Response {
    match mode {
        ResponseMode::Query => oauth::redirect_with(redirect_uri, params),
        ResponseMode::FormPost => page::form_post(redirect_uri, params),
    }
}

pub(super) fn reject(dialect: &DialectState, rejection: Rejection) -> Response {
    match rejection {
        Rejection::Page(title, message) => consent::error_page(title, message),
        Rejection::Redirect {
            redirect_uri,
            mode,
            state,
            error,
            description,
        } => {
            let error = match dialect.options.error_case {
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
pub(super) fn validate(
    world: &World,
    dialect: &DialectState,
    params: &AuthorizeParams,
) -> Result<ValidRequest, Rejection> {
    let client = non_empty(&params.client_id)
        .and_then(|id| world.clients.get(NAME, id))
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
    let linked_bot = dialect
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
