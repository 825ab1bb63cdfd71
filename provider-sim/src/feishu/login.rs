//! Feishu's two authorize pages as hooks of the shared flow: the v1 index (seed 003) and the v2 authorize page with PKCE.
//!
//! Both show the same consent page and issue codes into the same store. A v1
//! code is bound to no redirect URI or PKCE challenge: v1's token call sends
//! neither. v2 sends RFC 6749 error redirects; v1 fails only on an untrusted
//! app or redirect URI, which get a page.

use axum::{
    Router,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{AUTHORIZE, Ctx, DECISION, DialectState, PREFIX, V2_AUTHORIZE, V2_DECISION};
use crate::{
    consent::ConsentPage,
    flow::{
        AuthorizeFlow, ClientPages, Http, Verified,
        authorize::{PkcePolicy, PkceRefusal, authorize, decide, known_user},
    },
    grants::Code,
    oauth::non_empty,
    state::World,
};

const INDEX_PATH: &str = "/open-apis/authen/v1/index";
const INDEX_DECISION_PATH: &str = "/open-apis/authen/v1/index/decision";
const AUTHORIZE_PATH: &str = "/open-apis/authen/v1/authorize";
const DECISION_PATH: &str = "/open-apis/authen/v1/authorize/decision";

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route(INDEX_PATH, get(authorize::<V1>))
        .route(INDEX_DECISION_PATH, post(decide::<V1>))
        .route(AUTHORIZE_PATH, get(authorize::<V2>))
        .route(DECISION_PATH, post(decide::<V2>))
}

/// Feishu's `redirect_uri` plus both generations' parameters (v1 names the
/// client `app_id`), also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginParams {
    app_id: Option<String>,
    client_id: Option<String>,
    response_type: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// A request that passed every check.
#[derive(Debug)]
pub(super) struct ValidRequest {
    base: Verified,
    /// v2 only: the scope (space-separated, deduplicated by nothing) and PKCE.
    v2: Option<(String, Option<(String, bool)>)>,
}

/// `GET /open-apis/authen/v1/index?redirect_uri&app_id&state`.
pub(super) struct V1;

/// `GET /open-apis/authen/v1/authorize` (on `accounts.feishu.cn` for real).
pub(super) struct V2;

/// The hooks both generations share.
macro_rules! shared_hooks {
    () => {
        fn auto_user(world: &World, dialect: &DialectState) -> Option<u64> {
            known_user(world, dialect.options.auto_approve_user_id)
        }

        fn approve(
            world: &mut World,
            dialect: &mut DialectState,
            request: &ValidRequest,
            user_id: u64,
        ) -> Response {
            approve(world, dialect, request, user_id)
        }

        /// `?error=access_denied&state=…` and nothing else.
        fn deny(_dialect: &DialectState, request: &ValidRequest) -> Response {
            request.base.redirect(&[("error", "access_denied")])
        }
    };
}

impl AuthorizeFlow for V1 {
    type Dialect = DialectState;
    type Params = LoginParams;
    type Request = ValidRequest;
    const AUTHORIZE: &'static str = AUTHORIZE;
    const DECISION: &'static str = DECISION;
    const UNPARSABLE: &'static str = "The login link cannot be parsed.";
    const PAGES: ClientPages = ClientPages {
        missing_client: ("Missing app_id", "The login link has no app_id."),
        unknown_client: (
            "Unknown application",
            "No app is registered with this app_id.",
        ),
        missing_redirect: (
            "Missing redirect_uri",
            "The login link has no redirect_uri.",
        ),
        redirect_mismatch: (
            "Redirect URI mismatch",
            "The redirect_uri is not in this app's redirect URL list (error 20029).",
        ),
    };

    fn client(params: &LoginParams) -> [&Option<String>; 3] {
        [&params.app_id, &params.redirect_uri, &params.state]
    }

    /// Nothing to check beyond the app and redirect URI.
    fn validate(
        _dialect: &DialectState,
        base: Verified,
        _params: &LoginParams,
        _http: &Http,
    ) -> Result<ValidRequest, Box<Response>> {
        Ok(ValidRequest { base, v2: None })
    }

    fn consent(
        world: &World,
        dialect: &DialectState,
        request: &ValidRequest,
        http: &Http,
    ) -> Response {
        consent(world, dialect, request, INDEX_DECISION_PATH, &http.hidden())
    }

    shared_hooks!();
}

impl AuthorizeFlow for V2 {
    type Dialect = DialectState;
    type Params = LoginParams;
    type Request = ValidRequest;
    const AUTHORIZE: &'static str = V2_AUTHORIZE;
    const DECISION: &'static str = V2_DECISION;
    const UNPARSABLE: &'static str = "The authorization link cannot be parsed.";
    const PAGES: ClientPages = ClientPages {
        missing_client: (
            "Missing client_id",
            "The authorization link has no client_id.",
        ),
        unknown_client: (
            "Unknown application",
            "No app is registered with this App ID.",
        ),
        missing_redirect: V2_MISMATCH,
        redirect_mismatch: V2_MISMATCH,
    };

    fn client(params: &LoginParams) -> [&Option<String>; 3] {
        [&params.client_id, &params.redirect_uri, &params.state]
    }

    /// RFC 6749 error redirects for the rest.
    fn validate(
        _dialect: &DialectState,
        base: Verified,
        params: &LoginParams,
        _http: &Http,
    ) -> Result<ValidRequest, Box<Response>> {
        /// `plain` is Feishu's default method.
        const PKCE: PkcePolicy = PkcePolicy {
            plain_by_default: true,
            allow_plain: true,
            strict_method: false,
        };
        let fail = |error, description: &str| Box::new(base.error(error, description));
        if params.response_type.as_deref() != Some("code") {
            return Err(fail(
                "unsupported_response_type",
                "response_type must be code",
            ));
        }
        let method = non_empty(&params.code_challenge_method);
        let challenge = match PKCE.challenge(non_empty(&params.code_challenge), method) {
            Ok(challenge) => challenge,
            Err(PkceRefusal::Malformed) => {
                return Err(fail("invalid_request", "malformed code_challenge"));
            }
            Err(_) => {
                let description = "code_challenge_method must be S256 or plain";
                return Err(fail("invalid_request", description));
            }
        };
        let scope: Vec<&str> = params
            .scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|scope| !scope.is_empty())
            .collect();
        if scope.len() > 50 {
            return Err(fail("invalid_scope", "at most 50 scopes"));
        }
        Ok(ValidRequest {
            base,
            v2: Some((scope.join(" "), challenge)),
        })
    }

    fn consent(
        world: &World,
        dialect: &DialectState,
        request: &ValidRequest,
        http: &Http,
    ) -> Response {
        consent(world, dialect, request, DECISION_PATH, &http.hidden())
    }

    shared_hooks!();
}

const V2_MISMATCH: (&str, &str) = (
    "Redirect URI mismatch",
    "The redirect_uri is not in this app's redirect URL list.",
);

/// The consent page both generations show.
fn consent(
    world: &World,
    dialect: &DialectState,
    request: &ValidRequest,
    path: &str,
    hidden: &[(&str, &str)],
) -> Response {
    let mut permissions = vec!["Your name, English name and avatar", "Your Feishu user ids"];
    if dialect.options.include_contact_fields {
        permissions.push("Your email address and mobile number");
    }
    ConsentPage {
        provider: "Feishu",
        client_name: &request.base.client_name,
        permissions: &permissions,
        users: &world.users,
        action: &format!("{PREFIX}{path}"),
        hidden,
    }
    .render()
}

/// Stores a code and redirects back with it (and the state, if any).
fn approve(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
) -> Response {
    let expires_at = world.clock.after(dialect.options.code_ttl_secs);
    let (scope, challenge) = request.v2.clone().unzip();
    let base = &request.base;
    let code = Code {
        redirect_uri: request.v2.is_some().then(|| base.redirect_uri.clone()),
        challenge: challenge.flatten(),
        ..base.code(user_id, expires_at, scope.unwrap_or_default())
    };
    // `[A-Za-z0-9-_]`, as documented.
    let code = dialect.grants.add_code(32, code);
    base.redirect(&[("code", &code)])
}
