//! `GET /oauth/authorize` and its consent form, where the user picks the chat to notify.

use super::DialectState;
use crate::line_notify::{Ctx, NAME};
use crate::oauth::non_empty;
use axum::{
    extract::{
        Form, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{AUTHORIZE, DECISION, NotifyCode, PREFIX, Target, ended};
use crate::{
    consent::{self, esc},
    line_login::page::{self, LinePage},
    net::Conn,
    oauth,
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
}

impl AuthorizeParams {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("response_mode", &self.response_mode),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
        .collect()
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct DecisionForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    user_id: Option<String>,
    /// `user` or a group id.
    target: Option<String>,
    decision: Option<String>,
}

/// A request that passed every check.
#[derive(Debug)]
struct ValidRequest {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    state: String,
    form_post: bool,
}

/// Why a request was refused: a page for an untrusted client or redirect URI,
/// otherwise an error redirect (always a query redirect: Notify documents that
/// failures "redirect").
#[derive(Debug)]
enum Rejection {
    Page(&'static str, &'static str),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: &'static str,
    },
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::Page(title, message) => consent::error_page(title, message),
            Self::Redirect {
                redirect_uri,
                state,
                error,
                description,
            } => oauth::error_redirect(&redirect_uri, error, description, state.as_deref()),
        }
    }
}

/// Checks a request, first whether redirecting is safe at all.
fn validate(world: &World, params: &AuthorizeParams) -> Result<ValidRequest, Rejection> {
    let client = non_empty(&params.client_id)
        .and_then(|id| world.clients.get(NAME, id))
        .ok_or(Rejection::Page(
            "Invalid client_id",
            "No LINE Notify service has this client_id.",
        ))?;
    let redirect_uri = non_empty(&params.redirect_uri)
        .filter(|uri| *uri == client.redirect_uri)
        .ok_or(Rejection::Page(
            "Invalid redirect_uri",
            "The redirect_uri is not one of the service's registered Callback URLs.",
        ))?;
    let state = non_empty(&params.state);
    let fail = |error, description| Rejection::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        error,
        description,
    };
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => return Err(fail("invalid_request", "response_type is required")),
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "response_type must be code",
            ));
        }
    }
    if params.scope.as_deref() != Some("notify") {
        return Err(fail("invalid_scope", "scope must be notify"));
    }
    let Some(state) = state else {
        return Err(fail("invalid_request", "state is required"));
    };
    let form_post = match params.response_mode.as_deref() {
        None | Some("") => false,
        Some("form_post") => true,
        Some(_) => return Err(fail("invalid_request", "response_mode must be form_post")),
    };
    Ok(ValidRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        form_post,
    })
}

fn approve(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
    target: Target,
) -> Response {
    let now = world.clock.now();
    let code = oauth::random_token(16);
    dialect.codes.insert(
        code.clone(),
        NotifyCode {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user_id,
            target,
            expires_at: now.saturating_add(dialect.options.code_ttl_secs),
            redeemed: false,
        },
    );
    let params = [("code", code.as_str()), ("state", request.state.as_str())];
    if request.form_post {
        page::form_post(&request.redirect_uri, &params)
    } else {
        oauth::redirect_with(&request.redirect_uri, &params)
    }
}

/// `GET /oauth/authorize`.
pub(super) async fn authorize(
    State(ctx): State<Ctx>,
    conn: Conn,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, AUTHORIZE, None).await {
        return response;
    }
    if let Some(response) = ended(&ctx) {
        return response;
    }
    let Ok(Query(params)) = query else {
        return consent::error_page("Bad request", "The authorization request cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let request = match validate(world, &params) {
            Ok(request) => request,
            Err(rejection) => return rejection.into_response(),
        };
        let auto = dialect.options.auto_approve_user_id;
        if let Some(user_id) = auto.filter(|id| world.user(*id).is_some()) {
            return approve(world, dialect, &request, user_id, Target::User);
        }
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
        let action = format!("{PREFIX}{DECISION_PATH}");
        LinePage {
            provider: "LINE Notify",
            client_name: &request.client_name,
            permissions: &["Send notifications to the chat you choose"],
            users: &world.users,
            action: &action,
            hidden: &params.pairs(),
            extra: &extra,
        }
        .render()
    })
}

/// `POST /oauth/authorize/decision`: the consent form, validated again.
pub(super) async fn decide(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, DECISION, None).await {
        return response;
    }
    if let Some(response) = ended(&ctx) {
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
                let target = match form.target.as_deref() {
                    None | Some("user") => Target::User,
                    Some(id) if dialect.groups.iter().any(|group| group.id == id) => {
                        Target::Group(id.to_owned())
                    }
                    Some(_) => return consent::error_page("Unknown chat", "Choose a listed chat."),
                };
                approve(world, dialect, &request, user_id, target)
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
