//! The v2 authorize page (`GET /open-apis/authen/v1/authorize`) and its consent form.

use crate::feishu::{Ctx, NAME};
use crate::oauth::non_empty;
use axum::{
    extract::{
        Form, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    response::Response,
};
use serde::Deserialize;

use super::{CodeRequest, DECISION_PATH};
use crate::{
    consent,
    feishu::{
        PREFIX, V2_AUTHORIZE, V2_DECISION,
        v1::{approve, auto_user, chosen_user, consent_page, deny},
    },
    net::Conn,
    oauth,
    state::World,
};

#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    client_id: Option<String>,
    response_type: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct DecisionForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    user_id: Option<String>,
    decision: Option<String>,
}

struct ValidRequest {
    client_id: String,
    app_name: String,
    state: Option<String>,
    code: CodeRequest,
}

/// Checks an authorization request: pages for an untrusted client or redirect
/// URI, RFC 6749 error redirects for the rest.
fn validate(world: &World, params: &AuthorizeParams) -> Result<ValidRequest, Box<Response>> {
    let page = |title, message| Box::new(consent::error_page(title, message));
    let client_id = non_empty(&params.client_id).ok_or_else(|| {
        page(
            "Missing client_id",
            "The authorization link has no client_id.",
        )
    })?;
    let client = world.clients.get(NAME, client_id).ok_or_else(|| {
        page(
            "Unknown application",
            "No app is registered with this App ID.",
        )
    })?;
    let redirect_uri = non_empty(&params.redirect_uri)
        .filter(|uri| *uri == client.redirect_uri)
        .ok_or_else(|| {
            page(
                "Redirect URI mismatch",
                "The redirect_uri is not in this app's redirect URL list.",
            )
        })?;
    let state = non_empty(&params.state);
    let fail = |error, description: &str| {
        Box::new(oauth::error_redirect(
            redirect_uri,
            error,
            description,
            state,
        ))
    };
    if params.response_type.as_deref() != Some("code") {
        return Err(fail(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let challenge = match non_empty(&params.code_challenge) {
        None => None,
        Some(challenge) => {
            let s256 = match non_empty(&params.code_challenge_method) {
                None | Some("plain") => false,
                Some("S256") => true,
                Some(_) => {
                    return Err(fail(
                        "invalid_request",
                        "code_challenge_method must be S256 or plain",
                    ));
                }
            };
            let valid = if s256 {
                oauth::is_valid_s256_challenge(challenge)
            } else {
                oauth::is_valid_verifier(challenge)
            };
            if !valid {
                return Err(fail("invalid_request", "malformed code_challenge"));
            }
            Some((challenge.to_owned(), s256))
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
        client_id: client.client_id.clone(),
        app_name: client.name.clone(),
        state: state.map(str::to_owned),
        code: CodeRequest {
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.join(" "),
            challenge,
        },
    })
}

/// `GET /open-apis/authen/v1/authorize` (on `accounts.feishu.cn` for real).
pub(super) async fn authorize(
    State(ctx): State<Ctx>,
    conn: Conn,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, V2_AUTHORIZE, None).await {
        return response;
    }
    let Ok(Query(params)) = query else {
        return consent::error_page("Bad request", "The authorization link cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let request = match validate(world, &params) {
            Ok(request) => request,
            Err(response) => return *response,
        };
        if let Some(user_id) = auto_user(world, dialect) {
            let uri = request.code.redirect_uri.clone();
            let state = request.state.as_deref();
            let code = Some(request.code.clone());
            return approve(
                world,
                dialect,
                &request.client_id,
                user_id,
                &uri,
                state,
                code,
            );
        }
        let method = match &request.code.challenge {
            Some((_, true)) => "S256",
            _ => "plain",
        };
        let mut hidden = vec![
            ("client_id", request.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", request.code.redirect_uri.as_str()),
            ("scope", request.code.scope.as_str()),
        ];
        if let Some(state) = &request.state {
            hidden.push(("state", state));
        }
        if let Some((challenge, _)) = &request.code.challenge {
            hidden.push(("code_challenge", challenge));
            hidden.push(("code_challenge_method", method));
        }
        let action = format!("{PREFIX}{DECISION_PATH}");
        consent_page(world, dialect, &request.app_name, &action, &hidden)
    })
}

/// `POST /open-apis/authen/v1/authorize/decision`: the consent form.
pub(super) async fn decide(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, V2_DECISION, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return consent::error_page("Bad request", "The consent form cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let request = match validate(world, &form.params) {
            Ok(request) => request,
            Err(response) => return *response,
        };
        let uri = request.code.redirect_uri.clone();
        let state = request.state.as_deref();
        match form.decision.as_deref() {
            Some("allow") => match chosen_user(world, form.user_id.as_deref()) {
                Some(user_id) => {
                    let code = Some(request.code.clone());
                    approve(
                        world,
                        dialect,
                        &request.client_id,
                        user_id,
                        &uri,
                        state,
                        code,
                    )
                }
                None => consent::error_page("No account chosen", "Choose an account."),
            },
            Some("deny") => deny(&uri, state),
            _ => consent::error_page("Bad request", "Choose Allow or Deny."),
        }
    })
}
