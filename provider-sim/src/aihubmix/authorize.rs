//! `GET /api/oauth2/authorize`, the consent page and its decision: AIHubMix's hooks of the shared flow.

use axum::response::Response;
use serde::Deserialize;

use super::{AUTHORIZE, DECISION, DECISION_PATH, DialectState, PREFIX, Scopes};
use crate::{
    consent::{self, ConsentPage},
    flow::{
        AuthorizeFlow, ClientPages, Http, Verified,
        authorize::{PkcePolicy, PkceRefusal, chosen_user},
    },
    grants::Code,
    oauth::{self, non_empty},
    state::World,
};

/// Remembers the account chosen on the consent page, so a later
/// `auto_authorize=true` signs the same person in, as the real "one-click login"
/// does for whoever is logged in to AIHubMix. The name is long and the path
/// narrow because cookies ignore ports: on 127.0.0.1 Keyhole sees it too.
const USER_COOKIE: &str = "keyhole_sim_aihubmix_user";

/// PKCE is undocumented for AIHubMix; accepting it costs nothing and lets
/// Keyhole send it to every provider. Only S256 is worth supporting.
const PKCE: PkcePolicy = PkcePolicy {
    plain_by_default: false,
    allow_plain: false,
    strict_method: true,
};

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

/// An authorization request that passed every check.
#[derive(Debug)]
pub(super) struct ValidRequest {
    /// Its `state` is always there: AIHubMix requires one.
    base: Verified,
    scopes: Scopes,
    challenge: Option<String>,
}

/// AIHubMix's one authorization flow.
pub(super) struct Flow;

impl AuthorizeFlow for Flow {
    type Dialect = DialectState;
    type Params = AuthorizeParams;
    type Request = ValidRequest;
    const AUTHORIZE: &'static str = AUTHORIZE;
    const DECISION: &'static str = DECISION;
    const PAGES: ClientPages = ClientPages::standard(
        "The redirect_uri does not exactly match the one registered for this application.",
    );

    fn client(params: &AuthorizeParams) -> [&Option<String>; 3] {
        [&params.client_id, &params.redirect_uri, &params.state]
    }

    /// Checks a request in the order RFC 6749 §4.1.2.1 implies: first whether
    /// redirecting is safe at all (done), then everything else.
    fn validate(
        _dialect: &DialectState,
        base: Verified,
        params: &AuthorizeParams,
        _http: &Http,
    ) -> Result<ValidRequest, Box<Response>> {
        let fail = |error, description: &str| Box::new(base.error(error, description));
        match params.response_type.as_deref() {
            Some("code") => {}
            None | Some("") => {
                return Err(fail("invalid_request", "missing parameter: response_type"));
            }
            Some(_) => {
                let description = "only response_type=code is supported";
                return Err(fail("unsupported_response_type", description));
            }
        }
        if base.state.is_none() {
            return Err(fail("invalid_request", "missing parameter: state"));
        }
        let scopes = Scopes::parse_requested(params.scope.as_deref())
            .map_err(|unknown| fail("invalid_scope", &format!("unknown scope: {unknown}")))?;
        let method = non_empty(&params.code_challenge_method);
        let challenge = PKCE
            .challenge(non_empty(&params.code_challenge), method)
            .map_err(|refusal| {
                fail(
                    "invalid_request",
                    match refusal {
                        PkceRefusal::MethodWithoutChallenge => {
                            "code_challenge_method without code_challenge"
                        }
                        PkceRefusal::Malformed => "code_challenge is not a valid S256 challenge",
                        PkceRefusal::UnsupportedMethod => {
                            "only code_challenge_method=S256 is supported"
                        }
                    },
                )
            })?;
        Ok(ValidRequest {
            base,
            scopes,
            challenge: challenge.map(|(challenge, _)| challenge),
        })
    }

    /// No auto-approve option: `auto_authorize=true` (see [`Flow::show`]).
    fn auto_user(_world: &World, _dialect: &DialectState) -> Option<u64> {
        None
    }

    /// The consent page or, with `auto_authorize=true`, approval straight away.
    fn show(
        world: &mut World,
        dialect: &mut DialectState,
        request: ValidRequest,
        params: &AuthorizeParams,
        http: &Http,
    ) -> Response {
        let auto = params
            .auto_authorize
            .as_deref()
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        if !auto {
            return Self::consent(world, dialect, &request, http);
        }
        let remembered = oauth::cookie(&http.headers, USER_COOKIE);
        let user_id =
            chosen_user(world, remembered).or_else(|| world.users.first().map(|user| user.id));
        match user_id {
            Some(user_id) => Self::approve(world, dialect, &request, user_id),
            None => consent::error_page("No accounts", "The simulator has no users."),
        }
    }

    fn consent(
        world: &World,
        _dialect: &DialectState,
        request: &ValidRequest,
        http: &Http,
    ) -> Response {
        let base = &request.base;
        ConsentPage {
            provider: "AIHubMix",
            client_name: &base.client_name,
            permissions: &request.scopes.permissions(),
            users: &world.users,
            action: &format!("{PREFIX}{DECISION_PATH}"),
            hidden: &http.hidden(),
        }
        .render()
    }

    /// Issues a code for `user_id` and redirects back to the client with it.
    fn approve(
        world: &mut World,
        dialect: &mut DialectState,
        request: &ValidRequest,
        user_id: u64,
    ) -> Response {
        let expires_at = world.clock.after(dialect.options.code_ttl_secs);
        let code = Code {
            challenge: request.challenge.clone().map(|challenge| (challenge, true)),
            ..request.base.code(user_id, expires_at, request.scopes)
        };
        let code = dialect.grants.add_code(32, code);
        request.base.redirect(&[("code", &code)])
    }

    /// Also remembers the account for a later `auto_authorize=true`.
    fn allow(
        world: &mut World,
        dialect: &mut DialectState,
        request: ValidRequest,
        _params: &AuthorizeParams,
        _http: &Http,
        user_id: u64,
    ) -> Response {
        let mut response = Self::approve(world, dialect, &request, user_id);
        let cookie = format!(
            "{USER_COOKIE}={user_id}; Path={PREFIX}; Max-Age=31536000; HttpOnly; SameSite=Lax"
        );
        oauth::set_cookie(&mut response, cookie);
        response
    }

    fn deny(_dialect: &DialectState, request: &ValidRequest) -> Response {
        let base = &request.base;
        base.error("access_denied", "The user denied the request")
    }
}
