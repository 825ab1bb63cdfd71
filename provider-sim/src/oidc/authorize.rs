//! The OIDC authorization endpoint: validation, consent, `prompt`/`max_age`, and the session cookie.
//!
//! Every request that is not `prompt=none` shows the consent page (which doubles
//! as the login page), so browser tests always see the same steps. Choosing
//! "Allow" starts a session: a cookie naming the user, and a record of the login
//! time and of the consent, which `prompt=none` needs.

use super::DialectState;
use crate::oauth::non_empty;
use crate::oidc::{Ctx, NAME};
use axum::{
    Router,
    extract::{
        Form, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, header},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{AUTHORIZE, CodeGrant, DECISION, PREFIX, Scopes, issuer};
use crate::{
    consent::{self, ConsentPage},
    net::Conn,
    oauth,
    state::World,
};

const DECISION_PATH: &str = "/authorize/decision";
/// Names the signed-in user. Cookies ignore ports, so the name is specific.
const SESSION_COOKIE: &str = "keyhole_sim_oidc_user";

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route("/authorize", get(authorize))
        .route(DECISION_PATH, post(decide))
}

/// Query of `GET /authorize`, also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
    max_age: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
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
    state: Option<String>,
    nonce: Option<String>,
    scopes: Scopes,
    challenge: Option<(String, bool)>,
    prompt_none: bool,
    max_age: Option<u64>,
}

/// Where authorization errors go: the verified redirect URI, with `state` and
/// (RFC 9207) `iss`.
struct Reply<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
    iss: Option<&'a str>,
}

impl Reply<'_> {
    fn error(&self, error: &str, description: &str) -> Response {
        self.finish(vec![("error", error), ("error_description", description)])
    }

    fn refuse(&self, error: &str, description: &str) -> Box<Response> {
        Box::new(self.error(error, description))
    }

    fn code(&self, code: &str) -> Response {
        self.finish(vec![("code", code)])
    }

    fn finish<'s>(&'s self, mut params: Vec<(&'s str, &'s str)>) -> Response {
        if let Some(state) = self.state {
            params.push(("state", state));
        }
        if let Some(iss) = self.iss {
            params.push(("iss", iss));
        }
        oauth::redirect_with(self.redirect_uri, &params)
    }
}

/// Checks a request. Untrusted client or redirect URI: an error page; the
/// rest: an error redirect (OIDC Core §3.1.2.6).
fn validate(
    world: &World,
    dialect: &DialectState,
    params: &AuthorizeParams,
    iss: &str,
) -> Result<ValidRequest, Box<Response>> {
    let page = |title, message| Box::new(consent::error_page(title, message));
    let client_id = non_empty(&params.client_id).ok_or_else(|| {
        page(
            "Missing client_id",
            "The authorization request has no client_id.",
        )
    })?;
    let client = world.clients.get(NAME, client_id).ok_or_else(|| {
        page(
            "Unknown client",
            "No client is registered with this client_id.",
        )
    })?;
    let redirect_uri = non_empty(&params.redirect_uri)
        .filter(|uri| *uri == client.redirect_uri)
        .ok_or_else(|| {
            page(
                "Redirect URI mismatch",
                "The redirect_uri does not exactly match the registered one.",
            )
        })?;
    let options = &dialect.options;
    let state = non_empty(&params.state);
    let reply = Reply {
        redirect_uri,
        state,
        iss: options.authorization_response_iss.then_some(iss),
    };
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => {
            return Err(reply.refuse("invalid_request", "missing parameter: response_type"));
        }
        Some(_) => {
            return Err(reply.refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
    }
    let scopes = Scopes::parse(params.scope.as_deref().unwrap_or(""));
    if !scopes.openid {
        return Err(reply.refuse("invalid_scope", "the scope must include openid"));
    }
    let challenge = match non_empty(&params.code_challenge) {
        None if options.require_pkce => {
            return Err(reply.refuse("invalid_request", "code_challenge is required"));
        }
        None => None,
        Some(challenge) => {
            // RFC 7636 §4.3: the method defaults to plain.
            let method = non_empty(&params.code_challenge_method).unwrap_or("plain");
            let (valid, s256) = match method {
                "S256" => (oauth::is_valid_s256_challenge(challenge), true),
                "plain" if options.allow_plain_pkce => (oauth::is_valid_verifier(challenge), false),
                _ => {
                    return Err(
                        reply.refuse("invalid_request", "unsupported code_challenge_method")
                    );
                }
            };
            if !valid {
                return Err(reply.refuse("invalid_request", "malformed code_challenge"));
            }
            Some((challenge.to_owned(), s256))
        }
    };
    let prompts: Vec<&str> = params
        .prompt
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|prompt| !prompt.is_empty())
        .collect();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(reply.refuse(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        ));
    }
    let max_age = match non_empty(&params.max_age) {
        None => None,
        Some(raw) => Some(
            raw.parse::<u64>()
                .map_err(|_| reply.refuse("invalid_request", "max_age must be a number"))?,
        ),
    };
    Ok(ValidRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        nonce: non_empty(&params.nonce).map(str::to_owned),
        scopes,
        challenge,
        prompt_none,
        max_age,
    })
}

impl ValidRequest {
    fn reply<'a>(&'a self, dialect: &DialectState, iss: &'a str) -> Reply<'a> {
        Reply {
            redirect_uri: &self.redirect_uri,
            state: self.state.as_deref(),
            iss: dialect.options.authorization_response_iss.then_some(iss),
        }
    }
}

/// Issues a code for `user_id` (signed in at `auth_time`) and redirects with it.
fn approve(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    iss: &str,
    user_id: u64,
    auth_time: u64,
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
            nonce: request.nonce.clone(),
            challenge: request.challenge.clone(),
            auth_time,
            expires_at: now.saturating_add(dialect.options.code_ttl_secs),
            grant_id: dialect.next_grant_id,
            redeemed: false,
        },
    );
    request.reply(dialect, iss).code(&code)
}

/// `prompt=none`: succeed silently for a signed-in user who already consented
/// (and signed in recently enough for `max_age`), else `login_required` /
/// `consent_required`.
fn silent(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    iss: &str,
    session: Option<u64>,
) -> Response {
    let now = world.clock.now();
    let login = session.and_then(|user_id| Some((user_id, *dialect.logins.get(&user_id)?)));
    let fresh = login.filter(|(_, auth_time)| {
        request
            .max_age
            .is_none_or(|max_age| now.saturating_sub(*auth_time) <= max_age)
    });
    let Some((user_id, auth_time)) = fresh else {
        return request
            .reply(dialect, iss)
            .error("login_required", "the user is not signed in");
    };
    let consented = dialect
        .consents
        .contains(&(request.client_id.clone(), user_id));
    if !consented {
        return request
            .reply(dialect, iss)
            .error("consent_required", "the user has not consented");
    }
    approve(world, dialect, request, iss, user_id, auth_time)
}

/// `GET /authorize`.
async fn authorize(
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
    let iss = issuer(&ctx, &headers);
    let session = oauth::cookie(&headers, SESSION_COOKIE).and_then(|id| id.parse::<u64>().ok());
    ctx.with(|world, dialect| {
        let request = match validate(world, dialect, &params, &iss) {
            Ok(request) => request,
            Err(response) => return *response,
        };
        if request.prompt_none {
            return silent(world, dialect, &request, &iss, session);
        }
        let auto = dialect
            .options
            .auto_approve_user_id
            .filter(|id| world.user(*id).is_some());
        if let Some(user_id) = auto {
            let now = world.clock.now();
            return approve(world, dialect, &request, &iss, user_id, now);
        }
        consent_page(world, &request, &params)
    })
}

fn consent_page(world: &World, request: &ValidRequest, params: &AuthorizeParams) -> Response {
    let scope = request.scopes.to_string();
    let mut hidden = vec![
        ("client_id", request.client_id.as_str()),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", scope.as_str()),
    ];
    let optional = [
        ("state", &params.state),
        ("nonce", &params.nonce),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
        ("max_age", &params.max_age),
    ];
    for (name, value) in optional {
        if let Some(value) = non_empty(value) {
            hidden.push((name, value));
        }
    }
    let action = format!("{PREFIX}{DECISION_PATH}");
    ConsentPage {
        provider: "OpenID Connect",
        client_name: &request.client_name,
        permissions: &request.scopes.permissions(),
        users: &world.users,
        action: &action,
        hidden: &hidden,
    }
    .render()
}

/// `POST /authorize/decision`: the consent form, validated again.
async fn decide(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, DECISION, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return consent::error_page("Bad request", "The consent form cannot be parsed.");
    };
    let iss = issuer(&ctx, &headers);
    ctx.with(|world, dialect| {
        let request = match validate(world, dialect, &form.params, &iss) {
            Ok(request) => request,
            Err(response) => return *response,
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
                let now = world.clock.now();
                dialect.logins.insert(user_id, now);
                dialect
                    .consents
                    .insert((request.client_id.clone(), user_id));
                let mut response = approve(world, dialect, &request, &iss, user_id, now);
                let cookie =
                    format!("{SESSION_COOKIE}={user_id}; Path={PREFIX}; HttpOnly; SameSite=Lax");
                if let Ok(cookie) = HeaderValue::try_from(cookie) {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
                response
            }
            Some("deny") => request
                .reply(dialect, &iss)
                .error("access_denied", "The user denied the request"),
            _ => consent::error_page("Bad request", "Choose Allow or Deny."),
        }
    })
}
