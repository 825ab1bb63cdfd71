//! `POST /api/oauth_apps`: a developer registers an OAuth app (docs/providers.md, AIHubMix).
//!
//! The answer is one-api's envelope `{success, message, data}`. Only the success
//! body is documented (seed 004); the failures follow one-api's habits: 401 for a
//! missing or wrong developer token, HTTP 200 with `success: false` for anything
//! wrong with the app itself.

use crate::aihubmix::{Ctx, NAME};
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::APPS;
use crate::{clients::Client, dev, net::Conn, oauth};

/// Longest app name accepted, in characters (undocumented; one-api's token
/// names stop at 30, app names get some more room).
const MAX_NAME: usize = 64;
/// Longest description accepted, in characters.
const MAX_DESCRIPTION: usize = 500;

/// The request body; every field optional so a missing one gets the envelope,
/// not a framework rejection.
#[derive(Debug, Default, Deserialize)]
struct NewApp {
    name: Option<String>,
    description: Option<String>,
    redirect_uri: Option<String>,
}

/// One-api's response envelope.
#[derive(Debug, Serialize)]
struct Envelope<T> {
    success: bool,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

/// `data` of a successful registration, as in the seed.
#[derive(Debug, Serialize)]
struct AppView {
    id: usize,
    name: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    created_time: u64,
}

/// An app that passed every check.
struct ValidApp {
    name: String,
    redirect_uri: String,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    let body: Envelope<()> = Envelope {
        success: false,
        message: message.into(),
        data: None,
    };
    (status, Json(body)).into_response()
}

/// `POST /api/oauth_apps`: checks the developer token and the app, refuses a
/// name already taken, and registers a client that can sign in at once.
pub(super) async fn create(
    State(ctx): State<Ctx>,
    conn: Conn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = ctx.begin(&conn, APPS, None).await {
        return response;
    }
    match oauth::bearer(&headers) {
        None => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "not signed in and no developer token given (Authorization: Bearer …)",
            );
        }
        Some(token) if !oauth::secrets_match(dev::AIHUBMIX_DEVELOPER_TOKEN, token) => {
            return refuse(StatusCode::UNAUTHORIZED, "the developer token is invalid");
        }
        Some(_) => {}
    }
    let app = match validate(&body) {
        Ok(app) => app,
        Err(message) => return refuse(StatusCode::OK, message),
    };
    ctx.with(|world, _| {
        if world.clients.names(NAME).any(|name| name == app.name) {
            return refuse(
                StatusCode::OK,
                format!("an app named \"{}\" already exists", app.name),
            );
        }
        let client = Client {
            dialect: NAME,
            client_id: format!("client_{}", oauth::random_token(16)),
            client_secret: format!("secret_{}", oauth::random_token(32)),
            redirect_uri: app.redirect_uri,
            name: app.name,
        };
        let view = AppView {
            id: 0,
            name: client.name.clone(),
            client_id: client.client_id.clone(),
            client_secret: client.client_secret.clone(),
            redirect_uri: client.redirect_uri.clone(),
            created_time: world.clock.now(),
        };
        world.clients.upsert(client);
        let id = world.clients.names(NAME).count();
        Json(Envelope {
            success: true,
            // The seed's message, word for word.
            message: "應用建立成功".to_owned(),
            data: Some(AppView { id, ..view }),
        })
        .into_response()
    })
}

/// The app in `body`, or the message saying what is wrong with it (the first
/// problem only, as one-api answers).
fn validate(body: &[u8]) -> Result<ValidApp, String> {
    // Through `Value`: serde would also read a struct from a JSON array.
    let app = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(serde_json::Value::is_object)
        .and_then(|value| serde_json::from_value::<NewApp>(value).ok())
        .ok_or_else(|| "the body is not a JSON object with string fields".to_owned())?;
    let name = app.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err("name is required".to_owned());
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!(
            "name must be at most {MAX_NAME} characters, without control characters"
        ));
    }
    if app
        .description
        .as_deref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return Err(format!(
            "description must be at most {MAX_DESCRIPTION} characters"
        ));
    }
    let redirect_uri = app
        .redirect_uri
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    if redirect_uri.is_empty() {
        return Err("redirect_uri is required".to_owned());
    }
    match Url::parse(redirect_uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => {}
        _ => {
            return Err(
                "redirect_uri must be an absolute http(s) URL without a fragment".to_owned(),
            );
        }
    }
    Ok(ValidApp {
        name: name.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_first_problem() {
        let check = |body: &str| validate(body.as_bytes()).err().unwrap_or_default();
        for bad in [
            "[]",
            r#"["app","d","http://a/cb"]"#,
            r#"{"name":1}"#,
            "nope",
        ] {
            assert!(check(bad).starts_with("the body is not"), "{bad}");
        }
        assert_eq!(
            check(r#"{"redirect_uri":"http://a/cb"}"#),
            "name is required"
        );
        assert_eq!(check(r#"{"name":"  "}"#), "name is required");
        assert!(check(r#"{"name":"a\u0007b","redirect_uri":"http://a/cb"}"#).contains("control"));
        assert_eq!(check(r#"{"name":"app"}"#), "redirect_uri is required");
        for bad in ["/cb", "javascript:alert(1)", "http://a/cb#frag"] {
            let body = serde_json::json!({"name": "app", "redirect_uri": bad}).to_string();
            assert!(check(&body).starts_with("redirect_uri must be"), "{bad}");
        }
        let ok = validate(br#"{"name":" app ","redirect_uri":"http://a/cb"}"#).expect("valid");
        assert_eq!(ok.name, "app");
    }
}
