//! The OIDC authorization endpoint: validation, consent, `prompt`/`max_age`, and the session cookie.
//!
//! Every request that is not `prompt=none` shows the consent page (which doubles
//! as the login page), so browser tests always see the same steps. Choosing
//! "Allow" starts a session: a cookie naming the user, and a record of the login
//! time and of the consent, which `prompt=none` needs.

use axum::{
    Router,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{AUTHORIZE, Ctx, DECISION, DialectState, Granted, Options, PREFIX, Scopes};
use crate::{
    consent::ConsentPage,
    flow::{
        AuthorizeFlow, ClientPages, Http, Verified,
        authorize::{PkcePolicy, PkceRefusal, authorize, decide, known_user},
    },
    grants::Code,
    oauth::{self, non_empty},
    state::World,
};

const DECISION_PATH: &str = "/authorize/decision";
/// Names the signed-in user. Cookies ignore ports, so the name is specific.
const SESSION_COOKIE: &str = "keyhole_sim_oidc_user";

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route("/authorize", get(authorize::<Flow>))
        .route(DECISION_PATH, post(decide::<Flow>))
}

/// Query of `GET /authorize`, also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
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

/// An authorization request that passed every check.
#[derive(Debug)]
pub(super) struct ValidRequest {
    base: Verified,
    nonce: Option<String>,
    checked: Checked,
}

/// What [`check`] reads from a request beyond its client.
#[derive(Debug)]
struct Checked {
    scopes: Scopes,
    challenge: Option<(String, bool)>,
    prompt_none: bool,
    max_age: Option<u64>,
}

const MISMATCH: (&str, &str) = (
    "Redirect URI mismatch",
    "The redirect_uri does not exactly match the registered one.",
);

/// The provider's one authorization flow.
pub(super) struct Flow;

impl AuthorizeFlow for Flow {
    type Dialect = DialectState;
    type Params = AuthorizeParams;
    type Request = ValidRequest;
    const AUTHORIZE: &'static str = AUTHORIZE;
    const DECISION: &'static str = DECISION;
    const PAGES: ClientPages = ClientPages {
        unknown_client: (
            "Unknown client",
            "No client is registered with this client_id.",
        ),
        missing_redirect: MISMATCH,
        redirect_mismatch: MISMATCH,
        ..ClientPages::standard("")
    };

    fn client(params: &AuthorizeParams) -> [&Option<String>; 3] {
        [&params.client_id, &params.redirect_uri, &params.state]
    }

    /// The rest is refused with an error redirect (OIDC Core §3.1.2.6).
    fn validate(
        dialect: &DialectState,
        base: Verified,
        params: &AuthorizeParams,
        http: &Http,
    ) -> Result<ValidRequest, Box<Response>> {
        let options = &dialect.options;
        let mut base = base;
        base.iss =
            (options.authorization_response_iss).then(|| format!("{}{PREFIX}", http.base_url));
        let checked = check(options, params, &base)?;
        Ok(ValidRequest {
            base,
            nonce: non_empty(&params.nonce).map(str::to_owned),
            checked,
        })
    }

    fn auto_user(world: &World, dialect: &DialectState) -> Option<u64> {
        known_user(world, dialect.options.auto_approve_user_id)
    }

    /// `prompt=none` answers silently; otherwise the consent page (which
    /// doubles as the login page), unless a user is auto-approved.
    fn show(
        world: &mut World,
        dialect: &mut DialectState,
        request: ValidRequest,
        _params: &AuthorizeParams,
        http: &Http,
    ) -> Response {
        if request.checked.prompt_none {
            let session = oauth::cookie(&http.headers, SESSION_COOKIE);
            let session = session.and_then(|id| id.parse::<u64>().ok());
            return silent(world, dialect, &request, session);
        }
        match Self::auto_user(world, dialect) {
            Some(user_id) => Self::approve(world, dialect, &request, user_id),
            None => Self::consent(world, dialect, &request, http),
        }
    }

    fn consent(
        world: &World,
        _dialect: &DialectState,
        request: &ValidRequest,
        http: &Http,
    ) -> Response {
        ConsentPage {
            provider: "OpenID Connect",
            client_name: &request.base.client_name,
            permissions: &request.checked.scopes.permissions(),
            users: &world.users,
            action: &format!("{PREFIX}{DECISION_PATH}"),
            hidden: &http.hidden(),
        }
        .render()
    }

    /// A code for a user signed in now (auto-approve; the form's "Allow").
    fn approve(
        world: &mut World,
        dialect: &mut DialectState,
        request: &ValidRequest,
        user_id: u64,
    ) -> Response {
        let now = world.clock.now();
        issue_code(world, dialect, request, user_id, now)
    }

    /// Starts a session: a cookie naming the user, and a record of the login
    /// time and of the consent, which `prompt=none` needs.
    fn allow(
        world: &mut World,
        dialect: &mut DialectState,
        request: ValidRequest,
        _params: &AuthorizeParams,
        _http: &Http,
        user_id: u64,
    ) -> Response {
        let now = world.clock.now();
        dialect.logins.insert(user_id, now);
        let consent = (request.base.client_id.clone(), user_id);
        dialect.consents.insert(consent);
        let mut response = Self::approve(world, dialect, &request, user_id);
        let cookie = format!("{SESSION_COOKIE}={user_id}; Path={PREFIX}; HttpOnly; SameSite=Lax");
        oauth::set_cookie(&mut response, cookie);
        response
    }

    fn deny(_dialect: &DialectState, request: &ValidRequest) -> Response {
        request
            .base
            .error("access_denied", "The user denied the request")
    }
}

/// The checks after the client's: response type, scope, PKCE, prompt, max_age.
fn check(
    options: &Options,
    params: &AuthorizeParams,
    base: &Verified,
) -> Result<Checked, Box<Response>> {
    let refuse = |error, description: &str| Box::new(base.error(error, description));
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => {
            return Err(refuse(
                "invalid_request",
                "missing parameter: response_type",
            ));
        }
        Some(_) => {
            let description = "only response_type=code is supported";
            return Err(refuse("unsupported_response_type", description));
        }
    }
    let scopes = Scopes::known(params.scope.as_deref().unwrap_or(""));
    if !scopes.openid {
        return Err(refuse("invalid_scope", "the scope must include openid"));
    }
    let pkce = PkcePolicy {
        plain_by_default: true,
        allow_plain: options.allow_plain_pkce,
        strict_method: false,
    };
    let challenge = non_empty(&params.code_challenge);
    if challenge.is_none() && options.require_pkce {
        return Err(refuse("invalid_request", "code_challenge is required"));
    }
    let method = non_empty(&params.code_challenge_method);
    let challenge = pkce.challenge(challenge, method).map_err(|refusal| {
        let description = match refusal {
            PkceRefusal::Malformed => "malformed code_challenge",
            _ => "unsupported code_challenge_method",
        };
        refuse("invalid_request", description)
    })?;
    let prompts: Vec<&str> = params
        .prompt
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|prompt| !prompt.is_empty())
        .collect();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        let description = "prompt=none cannot be combined with other values";
        return Err(refuse("invalid_request", description));
    }
    let max_age = match non_empty(&params.max_age) {
        None => None,
        Some(raw) => Some(
            raw.parse::<u64>()
                .map_err(|_| refuse("invalid_request", "max_age must be a number"))?,
        ),
    };
    Ok(Checked {
        scopes,
        challenge,
        prompt_none,
        max_age,
    })
}

/// Issues a code for `user_id` (signed in at `auth_time`) and redirects with it.
fn issue_code(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
    auth_time: u64,
) -> Response {
    let expires_at = world.clock.after(dialect.options.code_ttl_secs);
    let granted = Granted {
        scopes: request.checked.scopes,
        auth_time,
        nonce: request.nonce.clone(),
    };
    let code = Code {
        challenge: request.checked.challenge.clone(),
        ..request.base.code(user_id, expires_at, granted)
    };
    let code = dialect.grants.add_code(32, code);
    request.base.redirect(&[("code", &code)])
}

/// `prompt=none`: succeed silently for a signed-in user who already consented
/// (and signed in recently enough for `max_age`), else `login_required` /
/// `consent_required`.
fn silent(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    session: Option<u64>,
) -> Response {
    let now = world.clock.now();
    let login = session.and_then(|user_id| Some((user_id, *dialect.logins.get(&user_id)?)));
    let fresh = login.filter(|(_, auth_time)| {
        request
            .checked
            .max_age
            .is_none_or(|max_age| now.saturating_sub(*auth_time) <= max_age)
    });
    let Some((user_id, auth_time)) = fresh else {
        return request
            .base
            .error("login_required", "the user is not signed in");
    };
    let consent = (request.base.client_id.clone(), user_id);
    if !dialect.consents.contains(&consent) {
        return request
            .base
            .error("consent_required", "the user has not consented");
    }
    issue_code(world, dialect, request, user_id, auth_time)
}
