//! `GET /oauth/authorize` and its consent form, where the user picks the chat to notify: LINE Notify's hooks of the shared flow.

use axum::response::Response;
use serde::Deserialize;

use super::{AUTHORIZE, DECISION, DialectState, PREFIX, Target, ended};
use crate::{
    consent::{self, ConsentPage, ENGLISH, esc},
    flow::{AuthorizeFlow, ClientPages, Http, Verified, authorize::known_user},
    line_login::page,
    state::World,
};

/// Where the consent form posts (below [`PREFIX`]).
pub(super) const DECISION_PATH: &str = "/oauth/authorize/decision";

/// Query of the authorize request, also carried through the consent form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    response_mode: Option<String>,
    /// The consent form's chosen chat: `user` or a group id.
    target: Option<String>,
}

/// A request that passed every check.
#[derive(Debug)]
pub(super) struct ValidRequest {
    /// Its `state` is always there: Notify requires one.
    base: Verified,
    form_post: bool,
    /// The chat to notify: the user's own until the form picks another.
    target: Target,
}

const INVALID_CLIENT: (&str, &str) = (
    "Invalid client_id",
    "No LINE Notify service has this client_id.",
);
const INVALID_REDIRECT: (&str, &str) = (
    "Invalid redirect_uri",
    "The redirect_uri is not one of the service's registered Callback URLs.",
);

/// LINE Notify's one authorization flow. Errors after the client checks are
/// query redirects: Notify documents that failures "redirect".
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

    fn gate(dialect: &DialectState) -> Option<Response> {
        ended(dialect)
    }

    fn validate(
        _dialect: &DialectState,
        base: Verified,
        params: &AuthorizeParams,
        _http: &Http,
    ) -> Result<ValidRequest, Box<Response>> {
        let fail = |error, description| Box::new(base.error(error, description));
        match params.response_type.as_deref() {
            Some("code") => {}
            None | Some("") => return Err(fail("invalid_request", "response_type is required")),
            Some(_) => {
                let description = "response_type must be code";
                return Err(fail("unsupported_response_type", description));
            }
        }
        if params.scope.as_deref() != Some("notify") {
            return Err(fail("invalid_scope", "scope must be notify"));
        }
        if base.state.is_none() {
            return Err(fail("invalid_request", "state is required"));
        }
        let form_post = match params.response_mode.as_deref() {
            None | Some("") => false,
            Some("form_post") => true,
            Some(_) => return Err(fail("invalid_request", "response_mode must be form_post")),
        };
        Ok(ValidRequest {
            base,
            form_post,
            target: Target::User,
        })
    }

    fn auto_user(world: &World, dialect: &DialectState) -> Option<u64> {
        known_user(world, dialect.options.auto_approve_user_id)
    }

    /// The consent page, where the user also picks the chat to notify.
    fn consent(
        world: &World,
        dialect: &DialectState,
        request: &ValidRequest,
        http: &Http,
    ) -> Response {
        let mut extra = String::from(
            "<fieldset>\n<legend>Select a chat to send notifications to</legend>\n\
             <label><input type=\"radio\" name=\"target\" value=\"user\" checked> \
             1:1 chat with LINE Notify</label>\n",
        );
        for group in &dialect.groups {
            extra.push_str(&format!(
                "<label><input type=\"radio\" name=\"target\" value=\"{}\"> {}</label>\n",
                esc(&group.id),
                esc(group.name)
            ));
        }
        extra.push_str("</fieldset>\n");
        ConsentPage {
            provider: "LINE Notify",
            client_name: &request.base.client_name,
            permissions: &["Send notifications to the chat you choose"],
            users: &world.users,
            action: &format!("{PREFIX}{DECISION_PATH}"),
            hidden: &http.hidden(),
        }
        .render_in(&ENGLISH, &extra)
    }

    fn approve(
        world: &mut World,
        dialect: &mut DialectState,
        request: &ValidRequest,
        user_id: u64,
    ) -> Response {
        let expires_at = world.clock.after(dialect.options.code_ttl_secs);
        let code = request
            .base
            .code(user_id, expires_at, request.target.clone());
        let code = dialect.grants.add_code(16, code);
        if request.form_post {
            let state = request.base.state.as_deref().unwrap_or_default();
            page::form_post(
                &request.base.redirect_uri,
                &[("code", &code), ("state", state)],
            )
        } else {
            request.base.redirect(&[("code", &code)])
        }
    }

    /// With the chat the form picked.
    fn allow(
        world: &mut World,
        dialect: &mut DialectState,
        mut request: ValidRequest,
        params: &AuthorizeParams,
        _http: &Http,
        user_id: u64,
    ) -> Response {
        request.target = match params.target.as_deref() {
            None | Some("user") => Target::User,
            Some(id) if dialect.groups.iter().any(|group| group.id == id) => {
                Target::Group(id.to_owned())
            }
            Some(_) => return consent::error_page("Unknown chat", "Choose a listed chat."),
        };
        Self::approve(world, dialect, &request, user_id)
    }

    fn deny(_dialect: &DialectState, request: &ValidRequest) -> Response {
        let base = &request.base;
        base.error("access_denied", "The user denied the request")
    }
}
