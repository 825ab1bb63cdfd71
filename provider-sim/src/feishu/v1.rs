//! Feishu's legacy v1 login (seed 003): index page, access_token, refresh_access_token, user_info.
//!
//! Every error is HTTP 200 with `{"code": <non-zero>, "msg"}` (gateway errors
//! follow the `gateway_error_status` option). The code-related error numbers
//! are those of the v2 table (20003 unknown, 20004 expired, 20065 used);
//! v1's own table lists only the generic ones.

use super::DialectState;
use crate::feishu::{Ctx, NAME};
use crate::oauth::non_empty;
use axum::{
    Json, Router,
    extract::{
        Form, Query, State,
        rejection::{FormRejection, JsonRejection, QueryRejection},
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::Value;

use super::{
    ACCESS_TOKEN, AUTHORIZE, DECISION, PREFIX, REFRESH, USER_INFO,
    app_token::app_of_token,
    envelope::{ApiError, success, user_fields},
    grants::{CodeGrant, Generation, Issued, RefreshStatus},
};
use crate::{
    consent::{self, ConsentPage},
    net::Conn,
    oauth,
    state::World,
};

const INDEX_PATH: &str = "/open-apis/authen/v1/index";
const DECISION_PATH: &str = "/open-apis/authen/v1/index/decision";

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route(INDEX_PATH, get(index))
        .route(DECISION_PATH, post(decide))
        .route("/open-apis/authen/v1/access_token", post(access_token))
        .route(
            "/open-apis/authen/v1/refresh_access_token",
            post(refresh_access_token),
        )
        .route("/open-apis/authen/v1/user_info", get(user_info))
}

// ---------------------------------------------------------------------------
// Authorize page

/// Query of `GET /open-apis/authen/v1/index`, also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
struct IndexParams {
    app_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    #[serde(flatten)]
    params: IndexParams,
    user_id: Option<String>,
    decision: Option<String>,
}

#[derive(Debug)]
struct ValidRequest {
    app_id: String,
    app_name: String,
    redirect_uri: String,
    state: Option<String>,
}

/// Only an untrusted app or redirect URI can fail here; both get a page
/// (`Err` holds its title and message).
fn validate(
    world: &World,
    params: &IndexParams,
) -> Result<ValidRequest, (&'static str, &'static str)> {
    let app_id =
        non_empty(&params.app_id).ok_or(("Missing app_id", "The login link has no app_id."))?;
    let client = world.clients.get(NAME, app_id).ok_or((
        "Unknown application",
        "No app is registered with this app_id.",
    ))?;
    let redirect_uri = non_empty(&params.redirect_uri).ok_or((
        "Missing redirect_uri",
        "The login link has no redirect_uri.",
    ))?;
    if redirect_uri != client.redirect_uri {
        return Err((
            "Redirect URI mismatch",
            "The redirect_uri is not in this app's redirect URL list (error 20029).",
        ));
    }
    Ok(ValidRequest {
        app_id: client.client_id.clone(),
        app_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: non_empty(&params.state).map(str::to_owned),
    })
}

/// The consent page both login generations show.
pub(super) fn consent_page(
    world: &World,
    dialect: &DialectState,
    app_name: &str,
    action: &str,
    hidden: &[(&str, &str)],
) -> Response {
    let mut permissions = vec!["Your name, English name and avatar", "Your Feishu user ids"];
    if dialect.options.include_contact_fields {
        permissions.push("Your email address and mobile number");
    }
    ConsentPage {
        provider: "Feishu",
        client_name: app_name,
        permissions: &permissions,
        users: &world.users,
        action,
        hidden,
    }
    .render()
}

/// The user the consent form chose, if it names a known one.
pub(super) fn chosen_user(world: &World, user_id: Option<&str>) -> Option<u64> {
    user_id
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|id| world.user(*id).is_some())
}

/// The auto-approve user, if that option is on and names a known user.
pub(super) fn auto_user(world: &World, dialect: &DialectState) -> Option<u64> {
    dialect
        .options
        .auto_approve_user_id
        .filter(|id| world.user(*id).is_some())
}

/// Stores a code and redirects back with it (and the state, if any).
pub(super) fn approve(
    world: &mut World,
    dialect: &mut DialectState,
    app_id: &str,
    user_id: u64,
    redirect_uri: &str,
    state: Option<&str>,
    v2: Option<super::v2::CodeRequest>,
) -> Response {
    let now = world.clock.now();
    let grant_id = dialect.next_grant();
    // `[A-Za-z0-9-_]`, as documented.
    let code = oauth::random_token(32);
    dialect.codes.insert(
        code.clone(),
        CodeGrant {
            app_id: app_id.to_owned(),
            user_id,
            expires_at: now.saturating_add(dialect.options.code_ttl_secs),
            grant_id,
            redeemed: false,
            v2,
        },
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = state {
        params.push(("state", state));
    }
    oauth::redirect_with(redirect_uri, &params)
}

/// Denial: `?error=access_denied&state=…` and nothing else.
pub(super) fn deny(redirect_uri: &str, state: Option<&str>) -> Response {
    let mut params = vec![("error", "access_denied")];
    if let Some(state) = state {
        params.push(("state", state));
    }
    oauth::redirect_with(redirect_uri, &params)
}

/// `GET /open-apis/authen/v1/index?redirect_uri&app_id&state`.
async fn index(
    State(ctx): State<Ctx>,
    conn: Conn,
    query: Result<Query<IndexParams>, QueryRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, AUTHORIZE, None).await {
        return response;
    }
    let Ok(Query(params)) = query else {
        return consent::error_page("Bad request", "The login link cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let request = match validate(world, &params) {
            Ok(request) => request,
            Err((title, message)) => return consent::error_page(title, message),
        };
        if let Some(user_id) = auto_user(world, dialect) {
            let (app_id, uri) = (&request.app_id, &request.redirect_uri);
            return approve(
                world,
                dialect,
                app_id,
                user_id,
                uri,
                request.state.as_deref(),
                None,
            );
        }
        let mut hidden = vec![
            ("app_id", request.app_id.as_str()),
            ("redirect_uri", request.redirect_uri.as_str()),
        ];
        if let Some(state) = &request.state {
            hidden.push(("state", state));
        }
        let action = format!("{PREFIX}{DECISION_PATH}");
        consent_page(world, dialect, &request.app_name, &action, &hidden)
    })
}

/// `POST /open-apis/authen/v1/index/decision`: the consent form.
async fn decide(
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
            Err((title, message)) => return consent::error_page(title, message),
        };
        let state = request.state.as_deref();
        match form.decision.as_deref() {
            Some("allow") => match chosen_user(world, form.user_id.as_deref()) {
                Some(user_id) => approve(
                    world,
                    dialect,
                    &request.app_id,
                    user_id,
                    &request.redirect_uri,
                    state,
                    None,
                ),
                None => consent::error_page("No account chosen", "Choose an account."),
            },
            Some("deny") => deny(&request.redirect_uri, state),
            _ => consent::error_page("Bad request", "Choose Allow or Deny."),
        }
    })
}

// ---------------------------------------------------------------------------
// Tokens

/// JSON body of both v1 token calls. `app_access_token` in the body is the 2020
/// client's way (the seed's); the current docs want `Authorization: Bearer`.
/// Both are accepted; the header wins when both are sent.
#[derive(Debug, Deserialize)]
struct TokenBody {
    grant_type: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
    app_access_token: Option<String>,
}

/// `data` of a v1 token response: token fields plus the user's profile.
fn token_data(
    world: &World,
    dialect: &DialectState,
    issued: &Issued,
    user_id: u64,
    base_url: &str,
) -> Value {
    let contact = dialect.options.include_contact_fields;
    let mut data = world
        .user(user_id)
        .map(|user| user_fields(user, base_url, contact))
        .unwrap_or_default();
    data.insert(
        "access_token".to_owned(),
        issued.access_token.clone().into(),
    );
    data.insert("token_type".to_owned(), "Bearer".into());
    data.insert("expires_in".to_owned(), issued.expires_in.into());
    data.insert(
        "refresh_token".to_owned(),
        issued.refresh_token.clone().into(),
    );
    data.insert(
        "refresh_expires_in".to_owned(),
        issued.refresh_expires_in.into(),
    );
    Value::Object(data)
}

/// Parses the body and authenticates the app; the app id and the body.
fn authenticate(
    world: &World,
    dialect: &DialectState,
    headers: &HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(String, TokenBody), ApiError> {
    let Ok(Json(body)) = body else {
        return Err(ApiError::invalid_param("the body must be a JSON object"));
    };
    let token = oauth::bearer(headers).or(non_empty(&body.app_access_token));
    let app_id = app_of_token(world, dialect, token)?;
    Ok((app_id, body))
}

/// `POST /open-apis/authen/v1/access_token`: code → user_access_token and profile.
async fn access_token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, ACCESS_TOKEN, None).await {
        return response;
    }
    let base_url = ctx.base_url(&headers);
    ctx.with(
        |world, dialect| match redeem(world, dialect, &headers, body) {
            Ok((issued, user_id)) => success(
                "success",
                token_data(world, dialect, &issued, user_id, &base_url),
            ),
            Err(error) => error.into_response(),
        },
    )
}

fn redeem(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(Issued, u64), ApiError> {
    let (app_id, body) = authenticate(world, dialect, headers, body)?;
    if body.grant_type.as_deref() != Some("authorization_code") {
        return Err(ApiError::invalid_param(
            "grant_type must be authorization_code",
        ));
    }
    let code = non_empty(&body.code).ok_or_else(|| ApiError::invalid_param("missing code"))?;
    let now = world.clock.now();
    let grant = dialect
        .codes
        .get_mut(code)
        .ok_or_else(|| ApiError::new(20003, "code not found"))?;
    if grant.redeemed {
        return Err(ApiError::new(20065, "code already used"));
    }
    if grant.app_id != app_id {
        return Err(ApiError::new(
            20024,
            "the code was issued to another app than the app_access_token's",
        ));
    }
    if now >= grant.expires_at {
        return Err(ApiError::new(20004, "code expired"));
    }
    grant.redeemed = true;
    let (user_id, grant_id) = (grant.user_id, grant.grant_id);
    let issued = dialect.issue(now, &app_id, user_id, grant_id, Generation::V1, "");
    Ok((issued, user_id))
}

/// `POST /open-apis/authen/v1/refresh_access_token`: rotates the refresh token.
async fn refresh_access_token(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, REFRESH, None).await {
        return response;
    }
    let base_url = ctx.base_url(&headers);
    ctx.with(
        |world, dialect| match refresh(world, dialect, &headers, body) {
            Ok((issued, user_id)) => success(
                "success",
                token_data(world, dialect, &issued, user_id, &base_url),
            ),
            Err(error) => error.into_response(),
        },
    )
}

fn refresh(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
    body: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(Issued, u64), ApiError> {
    let (app_id, body) = authenticate(world, dialect, headers, body)?;
    if body.grant_type.as_deref() != Some("refresh_token") {
        return Err(ApiError::invalid_param("grant_type must be refresh_token"));
    }
    let token = non_empty(&body.refresh_token)
        .ok_or_else(|| ApiError::invalid_param("missing refresh_token"))?;
    let now = world.clock.now();
    let reuse_code = dialect.options.refresh_reuse_code;
    let grant = dialect
        .refresh_tokens
        .get_mut(token)
        .filter(|grant| grant.generation == Generation::V1)
        .ok_or_else(|| ApiError::new(20026, "refresh token invalid"))?;
    if grant.app_id != app_id {
        return Err(ApiError::new(
            20024,
            "the refresh token was issued to another app than the app_access_token's",
        ));
    }
    match grant.status {
        RefreshStatus::Active => {}
        RefreshStatus::Used => return Err(ApiError::new(reuse_code, "refresh token already used")),
        RefreshStatus::Revoked => return Err(ApiError::new(20064, "refresh token revoked")),
    }
    if now >= grant.expires_at {
        return Err(ApiError::new(20037, "refresh token expired"));
    }
    grant.status = RefreshStatus::Used;
    let (user_id, grant_id, old) = (grant.user_id, grant.grant_id, grant.access_token.clone());
    dialect.retire_access_token(&old, now);
    let issued = dialect.issue(now, &app_id, user_id, grant_id, Generation::V1, "");
    Ok((issued, user_id))
}

// ---------------------------------------------------------------------------
// user_info

/// `GET /open-apis/authen/v1/user_info` with a user_access_token (either generation's).
async fn user_info(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    if let Some(response) = ctx.begin(&conn, USER_INFO, None).await {
        return response;
    }
    let base_url = ctx.base_url(&headers);
    ctx.with(
        |world, dialect| match user_of_token(world, dialect, oauth::bearer(&headers)) {
            Ok(user_id) => {
                let contact = dialect.options.include_contact_fields;
                let Some(user) = world.user(user_id) else {
                    return ApiError::new(20008, "user not exist").into_response();
                };
                let mut data = user_fields(user, &base_url, contact);
                if contact {
                    data.insert("employee_no".to_owned(), format!("E{}", user.id).into());
                }
                success("success", Value::Object(data))
            }
            Err(error) => error.into_response(),
        },
    )
}

/// The user behind a user_access_token, or the gateway error for it.
fn user_of_token(
    world: &World,
    dialect: &DialectState,
    token: Option<&str>,
) -> Result<u64, ApiError> {
    let Some(token) = token else {
        return Err(ApiError::gateway(
            dialect,
            99_991_661,
            "Missing access token for authorization. Please make a request with token attached.",
        ));
    };
    // v1 tokens start with `u-`, v2 tokens are JWS (`eyJ…`).
    if !token.starts_with("u-") && !token.starts_with("eyJ") {
        return Err(ApiError::gateway(
            dialect,
            99_991_671,
            "Invalid token format: a user_access_token starts with u-.",
        ));
    }
    let invalid = || {
        ApiError::gateway(
            dialect,
            99_991_668,
            "Invalid access token for authorization. Please make a request with token attached.",
        )
    };
    let grant = dialect.user_tokens.get(token).ok_or_else(invalid)?;
    if grant.revoked {
        return Err(invalid());
    }
    if world.clock.now() >= grant.expires_at {
        let code = dialect.options.expired_user_token_code;
        return Err(ApiError::gateway(
            dialect,
            code,
            "user access token expired",
        ));
    }
    Ok(grant.user_id)
}
