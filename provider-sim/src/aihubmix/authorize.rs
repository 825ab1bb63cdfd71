//! `GET /api/oauth2/authorize`, the consent page and its decision.

use super::DialectState;
use crate::aihubmix::{Ctx, NAME};
use crate::oauth::non_empty;
use axum::{
    extract::{
        Form, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{AUTHORIZE, CodeGrant, DECISION, DECISION_PATH, PREFIX, Scopes};
use crate::{
    consent::{self, ConsentPage},
    net::Conn,
    oauth,
    state::World,
};

/// Remembers the account chosen on the consent page, so a later
/// `auto_authorize=true` signs the same person in, as the real "one-click login"
/// does for whoever is logged in to AIHubMix. The name is long and the path
/// narrow because cookies ignore ports: on 127.0.0.1 Keyhole sees it too.
const USER_COOKIE: &str = "keyhole_sim_aihubmix_user";

/// Query of `GET /api/oauth2/authorize`, also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    auto_authorize: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The consent form: the original parameters plus the user's choices.
#[derive(Debug, Deserialize)]
pub(super) struct DecisionForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    user_id: Option<String>,
    decision: Option<String>,
}

/// An authorization request that passed every check.
#[derive(Debug)]
struct ValidRequest {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    state: String,
    scopes: Scopes,
    challenge: Option<String>,
}
/// Why an authorization request was refused.
#[derive(Debug)]
enum Rejection {
    /// The client or redirect URI cannot be trusted: show a page, never redirect.
    Page {
        title: &'static str,
        message: &'static str,
    },
    /// Anything else goes back to the (verified) redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::Page { title, message } => consent::error_page(title, message),
            Self::Redirect {
                redirect_uri,
                state,
                error,
                description,
            } => oauth::error_redirect(&redirect_uri, error, &description, state.as_deref()),
        }
    }
}

/// Checks an authorization request, in the order RFC 6749 §4.1.2.1 implies:
/// first whether redirecting is safe at all, then everything else.
fn validate(world: &World, params: &AuthorizeParams) -> Result<ValidRequest, Rejection> {
    let page = |title, message| Rejection::Page { title, message };
    let client_id = non_empty(&params.client_id).ok_or(page(
        "Missing client_id",
        "The authorization request has no client_id.",
    ))?;
    let client = world.clients.get(NAME, client_id).ok_or(page(
        "Unknown application",
        "No application is registered with this client_id.",
    ))?;
    let redirect_uri = non_empty(&params.redirect_uri).ok_or(page(
        "Missing redirect_uri",
        "The authorization request has no redirect_uri.",
    ))?;
    // Exact string comparison, as registration promises: no prefix or
    // normalisation games (mix-up and open-redirect defence).
    if redirect_uri != client.redirect_uri {
        return Err(page(
            "Redirect URI mismatch",
            "The redirect_uri does not exactly match the one registered for this application.",
        ));
    }
    let state = non_empty(&params.state);
    let fail = |error, description: &str| Rejection::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        error,
        description: description.to_owned(),
    };
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => return Err(fail("invalid_request", "missing parameter: response_type")),
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
    }
    let Some(state) = state else {
        return Err(fail("invalid_request", "missing parameter: state"));
    };
    let scopes = Scopes::parse_requested(params.scope.as_deref())
        .map_err(|unknown| fail("invalid_scope", &format!("unknown scope: {unknown}")))?;
    // PKCE is undocumented for AIHubMix; accepting it costs nothing and lets
    // Keyhole send it to every provider. Only S256 is worth supporting.
    let challenge = match (
        non_empty(&params.code_challenge),
        non_empty(&params.code_challenge_method),
    ) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method without code_challenge",
            ));
        }
        (Some(challenge), Some("S256")) if oauth::is_valid_s256_challenge(challenge) => {
            Some(challenge.to_owned())
        }
        (Some(_), Some("S256")) => {
            return Err(fail(
                "invalid_request",
                "code_challenge is not a valid S256 challenge",
            ));
        }
        (Some(_), _) => {
            return Err(fail(
                "invalid_request",
                "only code_challenge_method=S256 is supported",
            ));
        }
    };
    Ok(ValidRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        scopes,
        challenge,
    })
}

/// Issues a code for `user_id` and redirects back to the client with it.
fn approve(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
) -> Response {
    let now = world.clock.now();
    dialect.next_grant_id += 1;
    let code = oauth::random_token(32);
    dialect.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user_id,
            scopes: request.scopes,
            challenge: request.challenge.clone(),
            expires_at: now.saturating_add(dialect.options.code_ttl_secs),
            grant_id: dialect.next_grant_id,
            redeemed: false,
        },
    );
    oauth::redirect_with(
        &request.redirect_uri,
        &[("code", &code), ("state", &request.state)],
    )
}

/// `GET /api/oauth2/authorize`: validate, then show the consent page or, with
/// `auto_authorize=true`, approve straight away.
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
        return consent::error_page("Bad request", "The authorization request cannot be parsed.");
    };
    let remembered = oauth::cookie(&headers, USER_COOKIE).and_then(|id| id.parse::<u64>().ok());
    ctx.with(|world, dialect| {
        let request = match validate(world, &params) {
            Ok(request) => request,
            Err(rejection) => return rejection.into_response(),
        };
        let auto = params
            .auto_authorize
            .as_deref()
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        if auto {
            let user_id = remembered
                .filter(|id| world.user(*id).is_some())
                .or_else(|| world.users.first().map(|user| user.id));
            return match user_id {
                Some(user_id) => approve(world, dialect, &request, user_id),
                None => consent::error_page("No accounts", "The simulator has no users."),
            };
        }
        consent_page(world, &request)
    })
}

fn consent_page(world: &World, request: &ValidRequest) -> Response {
    let scope = request.scopes.to_string();
    let mut hidden = vec![
        ("client_id", request.client_id.as_str()),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", scope.as_str()),
        ("state", request.state.as_str()),
    ];
    if let Some(challenge) = &request.challenge {
        hidden.push(("code_challenge", challenge));
        hidden.push(("code_challenge_method", "S256"));
    }
    let action = format!("{PREFIX}{DECISION_PATH}");
    ConsentPage {
        provider: "AIHubMix",
        client_name: &request.client_name,
        permissions: &request.scopes.permissions(),
        users: &world.users,
        action: &action,
        hidden: &hidden,
    }
    .render()
}

/// `POST /api/oauth2/authorize/decision`: the consent form. Everything is
/// validated again, because the hidden fields came back through the browser.
pub(super) async fn decide(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, DECISION, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return consent::error_page("Bad request", "The consent form cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let request = match validate(world, &form.params) {
            Ok(request) => request,
            Err(rejection) => return rejection.into_response(),
        };
        match form.decision.as_deref() {
            Some("allow") => {
                let user_id = form
                    .user_id
                    .as_deref()
                    .and_then(|id| id.parse::<u64>().ok())
                    .filter(|id| world.user(*id).is_some());
                let Some(user_id) = user_id else {
                    return consent::error_page("No account chosen", "Choose an account.");
                };
                let mut response = approve(world, dialect, &request, user_id);
                let cookie = format!(
                    "{USER_COOKIE}={user_id}; Path={PREFIX}; Max-Age=31536000; HttpOnly; SameSite=Lax"
                );
                if let Ok(cookie) = HeaderValue::try_from(cookie) {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
                response
            }
            Some("deny") => oauth::error_redirect(
                &request.redirect_uri,
                "access_denied",
                "The user denied the request",
                Some(&request.state),
            ),
            _ => consent::error_page("Bad request", "Choose Allow or Deny."),
        }
    })
}
