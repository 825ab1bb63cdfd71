//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1): Basic or body, never both.

use crate::oidc::NAME;
use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};

use crate::{
    oauth::{self, TokenError},
    state::World,
};

/// `application/x-www-form-urlencoded` decoding of one Basic-auth component.
fn form_decode(component: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(component.len());
    let mut input = component.bytes();
    while let Some(byte) = input.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = char::from(input.next()?).to_digit(16)?;
                let low = char::from(input.next()?).to_digit(16)?;
                bytes.push(u8::try_from(high * 16 + low).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

/// Credentials of an `Authorization: Basic` header; `Some(None)` if it is malformed.
fn basic_credentials(headers: &HeaderMap) -> Option<Option<(String, String)>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let pair = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            Some((form_decode(id)?, form_decode(secret)?))
        });
    Some(pair)
}

/// Why a call failed; kept small rather than a whole `Response`.
#[derive(Debug)]
pub(super) enum Failure {
    Token(TokenError),
    /// 401 `invalid_client`, with a Basic challenge when Basic was tried (RFC 6749 §5.2).
    Client {
        basic: bool,
    },
    /// The ID token could not be signed.
    Signing,
}

impl From<TokenError> for Failure {
    fn from(error: TokenError) -> Self {
        Self::Token(error)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Self::Token(error) => error.into_response(),
            Self::Client { basic } => {
                let mut response = TokenError::invalid_client().into_response();
                if basic {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static(r#"Basic realm="provider-sim""#),
                    );
                }
                response
            }
            Self::Signing => {
                let body = serde_json::json!({
                    "error": "server_error",
                    "error_description": "the ID token could not be signed",
                });
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
        }
    }
}

/// The authenticated client's id: client_secret_basic or client_secret_post,
/// never both (RFC 6749 §2.3).
pub(super) fn authenticate(
    world: &World,
    headers: &HeaderMap,
    form_client_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<String, Failure> {
    let (client_id, secret, basic) = match (basic_credentials(headers), form_secret) {
        (Some(_), Some(_)) => {
            return Err(TokenError::invalid_request(
                "use one client authentication method, not both",
            )
            .into());
        }
        (Some(None), None) => return Err(Failure::Client { basic: true }),
        (Some(Some((id, secret))), None) => {
            if form_client_id.is_some_and(|form_id| form_id != id) {
                return Err(TokenError::invalid_request(
                    "client_id in the body differs from the Authorization header",
                )
                .into());
            }
            (id, secret, true)
        }
        (None, Some(secret)) => {
            let Some(id) = form_client_id else {
                return Err(TokenError::missing("client_id").into());
            };
            (id.to_owned(), secret.to_owned(), false)
        }
        (None, None) => return Err(Failure::Client { basic: false }),
    };
    let valid = world
        .clients
        .get(NAME, &client_id)
        .is_some_and(|client| oauth::secrets_match(&client.client_secret, &secret));
    if valid {
        Ok(client_id)
    } else {
        Err(Failure::Client { basic })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_components_are_form_decoded() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("bad%zz"), None);
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20id:s%2Bcret");
        let value = HeaderValue::from_str(&format!("Basic {encoded}")).expect("header");
        headers.insert(header::AUTHORIZATION, value);
        assert_eq!(
            basic_credentials(&headers),
            Some(Some(("my id".to_owned(), "s+cret".to_owned())))
        );
    }
}
