//! Token exchange and the metered API: `POST /oauth/token`, `/api/notify`, `/api/status`, `/api/revoke`.

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::{Form, RawQuery, State, rejection::FormRejection},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{
    Ctx, DialectState, Meter, NAME, NOTIFY, Notification, REVOKE, STATUS, TOKEN, ended,
    notify_error,
};
use crate::{
    flow::token::{self, TokenParams},
    grants::{CodeFailure, CodeRules, Owner, Redeem, Revoker},
    net::Conn,
    oauth::{self, non_empty},
    state::World,
};

/// `POST /oauth/token`: `{"status":200,"message":"access_token is issued","access_token":…}`.
/// The error messages are [I]: only their `{status, message}` shape is reported.
pub(super) async fn token(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<TokenParams>, FormRejection>,
) -> Response {
    ctx.call(&conn, TOKEN, |world, dialect| {
        if let Some(response) = ended(dialect) {
            return response;
        }
        let Ok(Form(form)) = form else {
            return notify_error(StatusCode::BAD_REQUEST, "the body must be a form");
        };
        match exchange(world, dialect, &form) {
            Ok(token) => {
                let message = "access_token is issued";
                let body = json!({ "status": 200, "message": message, "access_token": token });
                (oauth::no_store_headers(), Json(body)).into_response()
            }
            Err(error) => error.into_response(),
        }
    })
    .await
}

/// A `{status, message}` error, with the rate-limit headers when a budget applies.
#[derive(Debug)]
struct NotifyError {
    status: StatusCode,
    message: String,
    usage: Option<Usage>,
}

impl NotifyError {
    fn new(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            message: message.to_owned(),
            usage: None,
        }
    }
}

impl IntoResponse for NotifyError {
    fn into_response(self) -> Response {
        let response = notify_error(self.status, &self.message);
        match self.usage {
            Some(usage) => usage.apply(response),
            None => response,
        }
    }
}

fn exchange(
    world: &mut World,
    dialect: &mut DialectState,
    form: &TokenParams,
) -> Result<String, NotifyError> {
    let bad = |message: &str| NotifyError::new(StatusCode::BAD_REQUEST, message);
    for (value, name) in [
        (&form.grant_type, "grant_type"),
        (&form.code, "code"),
        (&form.redirect_uri, "redirect_uri"),
        (&form.client_id, "client_id"),
        (&form.client_secret, "client_secret"),
    ] {
        if non_empty(value).is_none() {
            return Err(bad(&format!("{name} is required")));
        }
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return Err(bad("grant_type must be authorization_code"));
    }
    let client_id = form.client_id.as_deref().unwrap_or_default();
    let secret = form.client_secret.as_deref().unwrap_or_default();
    if token::verify(world, NAME, client_id, secret).is_err() {
        return Err(NotifyError::new(
            StatusCode::UNAUTHORIZED,
            "invalid client_id or client_secret",
        ));
    }
    let claim = Redeem {
        code: form.code.as_deref().unwrap_or_default(),
        client_id,
        now: world.clock.now(),
        redirect_uri: form.redirect_uri.as_deref(),
        verifier: None,
    };
    let code = dialect
        .grants
        .redeem(&claim, CODE_RULES)
        .map_err(|failure| {
            bad(match failure {
                CodeFailure::RedirectMismatch => "redirect_uri does not match",
                _ => "invalid authorization code",
            })
        })?;
    // Real tokens are 43 characters of base64url.
    let token = oauth::random_token(32);
    let owner = Owner::new(client_id, code.user_id, code.grant_id);
    let meter = Meter {
        target: code.extra,
        window_reset: 0,
        calls: 0,
        images: 0,
    };
    dialect.grants.add_access(&token, owner, u64::MAX, meter);
    Ok(token)
}

/// Single use, short-lived, bound to the redirect URI; no PKCE.
const CODE_RULES: CodeRules = CodeRules {
    used_first: false,
    replay_revokes: false,
    redirect: true,
    pkce: false,
};

/// A token's hourly budget after a call, for the five `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
struct Usage {
    limit: u32,
    remaining: u32,
    image_limit: u32,
    image_remaining: u32,
    reset: u64,
}

impl Usage {
    fn apply(self, mut response: Response) -> Response {
        let headers = [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-imagelimit", self.image_limit.to_string()),
            (
                "x-ratelimit-imageremaining",
                self.image_remaining.to_string(),
            ),
            ("x-ratelimit-reset", self.reset.to_string()),
        ];
        for (name, value) in headers {
            if let Ok(value) = HeaderValue::try_from(value) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

/// Authenticates the bearer token and takes one call from its budget. `Err` is
/// the response to send: 401 for an unknown or revoked token (no budget to
/// report), 429 once the hour's calls are used up.
fn metered(
    world: &mut World,
    dialect: &mut DialectState,
    headers: &HeaderMap,
) -> Result<(String, Usage), NotifyError> {
    let unauthorized = || NotifyError::new(StatusCode::UNAUTHORIZED, "Invalid access token");
    let token = oauth::bearer(headers).ok_or_else(unauthorized)?;
    let now = world.clock.now();
    let options = dialect.options.clone();
    let held = dialect
        .grants
        .access
        .get_mut(token)
        .filter(|held| !held.revoked)
        .map(|held| &mut held.extra)
        .ok_or_else(unauthorized)?;
    if now >= held.window_reset {
        held.calls = 0;
        held.images = 0;
        held.window_reset = (now / 3600 + 1) * 3600;
    }
    let over = held.calls >= options.rate_limit_per_hour;
    if !over {
        held.calls += 1;
    }
    let usage = Usage {
        limit: options.rate_limit_per_hour,
        remaining: options.rate_limit_per_hour.saturating_sub(held.calls),
        image_limit: options.image_limit_per_hour,
        image_remaining: options.image_limit_per_hour.saturating_sub(held.images),
        reset: held.window_reset,
    };
    if over {
        let mut error = NotifyError::new(StatusCode::TOO_MANY_REQUESTS, "API rate limit exceeded");
        error.usage = Some(usage);
        return Err(error);
    }
    Ok((token.to_owned(), usage))
}

/// `POST /api/notify`: form fields, which (a known quirk) may also come in the query.
pub(super) async fn notify(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let answer = |world: &mut World, dialect: &mut DialectState, token: &str| match send(
        world,
        dialect,
        token,
        &headers,
        query.as_deref(),
        &body,
    ) {
        Ok(()) => Json(json!({ "status": 200, "message": "ok" })).into_response(),
        Err(message) => notify_error(StatusCode::BAD_REQUEST, &message),
    };
    metered_call(&ctx, &conn, NOTIFY, &headers, answer).await
}

/// A metered API call: the service is up, the bearer token is known and its
/// budget allows one more call; `answer` answers it, with the budget's headers.
async fn metered_call(
    ctx: &Ctx,
    conn: &Conn,
    endpoint: &str,
    headers: &HeaderMap,
    answer: impl FnOnce(&mut World, &mut DialectState, &str) -> Response,
) -> Response {
    ctx.call(conn, endpoint, |world, dialect| {
        if let Some(response) = ended(dialect) {
            return response;
        }
        match metered(world, dialect, headers) {
            Ok((token, usage)) => usage.apply(answer(world, dialect, &token)),
            Err(error) => error.into_response(),
        }
    })
    .await
}

fn send(
    world: &mut World,
    dialect: &mut DialectState,
    token: &str,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("multipart/") {
        return Err("multipart/form-data (imageFile) is not supported by the simulator".to_owned());
    }
    let mut fields: HashMap<String, String> = HashMap::new();
    if let Some(query) = query {
        fields.extend(url::form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    // Body fields win over query fields.
    fields.extend(url::form_urlencoded::parse(body).into_owned());
    let field = |name: &str| {
        fields
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let message = field("message").ok_or("message: must not be empty")?;
    if message.chars().count() > 1000 {
        return Err("message: length must be less than or equal to 1000".to_owned());
    }
    let number = |name: &str| -> Result<Option<u64>, String> {
        field(name)
            .map(|value| {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{name}: must be a number"))
            })
            .transpose()
    };
    let (sticker_package_id, sticker_id) = (number("stickerPackageId")?, number("stickerId")?);
    if sticker_package_id.is_some() != sticker_id.is_some() {
        return Err("stickerPackageId and stickerId must be given together".to_owned());
    }
    let (thumbnail, fullsize) = (field("imageThumbnail"), field("imageFullsize"));
    if thumbnail.is_some() != fullsize.is_some() {
        return Err("imageThumbnail and imageFullsize must be given together".to_owned());
    }
    // HTTP image URLs are refused since 2023-11-17.
    if [thumbnail, fullsize]
        .into_iter()
        .flatten()
        .any(|url| !url.starts_with("https://"))
    {
        return Err("imageThumbnail and imageFullsize must be HTTPS URLs".to_owned());
    }
    let notification_disabled = match field("notificationDisabled") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err("notificationDisabled: must be true or false".to_owned()),
    };
    let now = world.clock.now();
    let Some(held) = dialect.grants.access.get(token) else {
        return Err("Invalid access token".to_owned());
    };
    let user_name = world.user(held.user_id).map(|user| user.display_name);
    let (target_type, target) = dialect.describe(&held.extra.target, user_name);
    let notification = Notification {
        client_id: held.client_id.clone(),
        user_id: held.user_id,
        target_type,
        target,
        message: message.to_owned(),
        sticker_package_id,
        sticker_id,
        image_thumbnail: thumbnail.map(str::to_owned),
        image_fullsize: fullsize.map(str::to_owned),
        notification_disabled,
        time: now,
    };
    dialect.messages.push(notification);
    Ok(())
}

/// `GET /api/status`: `{status, message, targetType, target}`; counts against the limit.
pub(super) async fn status(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let answer = |world: &mut World, dialect: &mut DialectState, token: &str| {
        let Some(held) = dialect.grants.access.get(token) else {
            return notify_error(StatusCode::UNAUTHORIZED, "Invalid access token");
        };
        let user_name = world.user(held.user_id).map(|user| user.display_name);
        let (target_type, target) = dialect.describe(&held.extra.target, user_name);
        let body =
            json!({ "status": 200, "message": "ok", "targetType": target_type, "target": target });
        Json(body).into_response()
    };
    metered_call(&ctx, &conn, STATUS, &headers, answer).await
}

/// `POST /api/revoke`: the token stops working; a second revoke is 401.
pub(super) async fn revoke(State(ctx): State<Ctx>, conn: Conn, headers: HeaderMap) -> Response {
    let answer = |_: &mut World, dialect: &mut DialectState, token: &str| {
        dialect.grants.revoke_access(token);
        Json(json!({ "status": 200, "message": "ok" })).into_response()
    };
    metered_call(&ctx, &conn, REVOKE, &headers, answer).await
}
