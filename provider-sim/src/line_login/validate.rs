//! Checks of a LINE Login authorization request after its client's, and how an answer goes back (redirect or form_post).

use axum::response::Response;
use serde::Deserialize;

use super::{DialectState, options::ErrorCase, page, scopes::Scopes};
use crate::{
    flow::{
        Verified,
        authorize::{PkcePolicy, PkceRefusal},
    },
    oauth::{self, non_empty},
};

/// Query of the authorize request, also carried through the consent forms.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    response_type: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) redirect_uri: Option<String>,
    pub(super) state: Option<String>,
    scope: Option<String>,
    nonce: Option<String>,
    prompt: Option<String>,
    max_age: Option<String>,
    bot_prompt: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    response_mode: Option<String>,
    /// The consent forms' `yes` from the checkbox (normal) or the add-friend
    /// step (aggressive).
    pub(super) add_friend: Option<String>,
    /// `friend` when the form is the add-friend step.
    pub(super) step: Option<String>,
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

/// An authorization request that passed every check; its `state` is always there.
#[derive(Debug)]
pub(super) struct ValidRequest {
    pub(super) base: Verified,
    pub(super) scopes: Scopes,
    pub(super) nonce: Option<String>,
    pub(super) max_age: Option<u64>,
    pub(super) prompt_none: bool,
    pub(super) bot_prompt: Option<BotPrompt>,
    pub(super) challenge: Option<(String, bool)>,
    pub(super) mode: ResponseMode,
}

impl ValidRequest {
    /// LINE's error answer, in the request's response mode.
    pub(super) fn error(&self, dialect: &DialectState, error: &str, description: &str) -> Response {
        error_answer(dialect, &self.base, self.mode, error, description)
    }
}

/// Sends `params` to the client, as a 302 or an auto-submitting form.
pub(super) fn respond(redirect_uri: &str, mode: ResponseMode, params: &[(&str, &str)]) -> Response {
    match mode {
        ResponseMode::Query => oauth::redirect_with(redirect_uri, params),
        ResponseMode::FormPost => page::form_post(redirect_uri, params),
    }
}

/// An error sent back to the verified redirect URI, its code in the case the
/// options choose.
fn error_answer(
    dialect: &DialectState,
    base: &Verified,
    mode: ResponseMode,
    error: &str,
    description: &str,
) -> Response {
    let error = match dialect.options.error_case {
        ErrorCase::Upper => error.to_owned(),
        ErrorCase::Lower => error.to_ascii_lowercase(),
    };
    let mut params = vec![
        ("error", error.as_str()),
        ("error_description", description),
    ];
    params.extend(base.state.as_deref().map(|state| ("state", state)));
    respond(&base.redirect_uri, mode, &params)
}

/// LINE accepts S256 only: `plain`, and a challenge without a method (which
/// would mean plain), are refused.
const PKCE: PkcePolicy = PkcePolicy {
    plain_by_default: false,
    allow_plain: false,
    strict_method: true,
};

/// The checks after the client's, in LINE's order; errors go back to the
/// verified redirect URI.
pub(super) fn check(
    dialect: &DialectState,
    base: Verified,
    params: &AuthorizeParams,
) -> Result<ValidRequest, Box<Response>> {
    let mode = match params.response_mode.as_deref() {
        None | Some("" | "query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(_) => Err(()),
    };
    // An unsupported mode's own error still needs a way back: the default one.
    let error_mode = mode.unwrap_or(ResponseMode::Query);
    let fail = |error, description: &str| {
        Box::new(error_answer(dialect, &base, error_mode, error, description))
    };
    let Ok(mode) = mode else {
        // The JWT modes (JARM) are real but not simulated.
        let description = "response_mode must be query or form_post in the simulator";
        return Err(fail("INVALID_REQUEST", description));
    };
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => return Err(fail("INVALID_REQUEST", "response_type is required")),
        Some(_) => {
            let description = "response_type must be code";
            return Err(fail("UNSUPPORTED_RESPONSE_TYPE", description));
        }
    }
    if base.state.is_none() {
        return Err(fail("INVALID_REQUEST", "state is required"));
    }
    let Some(raw_scope) = non_empty(&params.scope) else {
        return Err(fail("INVALID_REQUEST", "scope is required"));
    };
    let scopes = Scopes::parse(raw_scope)
        .map_err(|unknown| fail("INVALID_SCOPE", &format!("unknown scope: {unknown}")))?;
    if !scopes.profile && !scopes.openid {
        let description = "scope must include profile or openid";
        return Err(fail("INVALID_SCOPE", description));
    }
    if scopes.email && !scopes.openid {
        return Err(fail("INVALID_SCOPE", "the email scope requires openid"));
    }
    let prompt_none = match params.prompt.as_deref() {
        None | Some("" | "consent" | "login") => false,
        Some("none") => true,
        Some(_) => {
            let description = "prompt must be consent, none or login";
            return Err(fail("INVALID_REQUEST", description));
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
            let description = "bot_prompt must be normal or aggressive";
            return Err(fail("INVALID_REQUEST", description));
        }
    };
    let challenge = non_empty(&params.code_challenge);
    let method = non_empty(&params.code_challenge_method);
    let challenge = PKCE.challenge(challenge, method).map_err(|refusal| {
        fail(
            "INVALID_REQUEST",
            match refusal {
                PkceRefusal::Malformed => "code_challenge is not a valid S256 challenge",
                PkceRefusal::MethodWithoutChallenge => {
                    "code_challenge_method without code_challenge"
                }
                PkceRefusal::UnsupportedMethod => {
                    "code_challenge_method must be S256 (plain is not supported)"
                }
            },
        )
    })?;
    Ok(ValidRequest {
        base,
        scopes,
        nonce: non_empty(&params.nonce).map(str::to_owned),
        max_age,
        prompt_none,
        bot_prompt,
        challenge,
        mode,
    })
}
