//! The token endpoint's opening: parameters, fault and counters, client authentication, grant dispatch.
//!
//! What follows the opening (which tokens, which body) is each dialect's;
//! the grant store ([`crate::grants`]) checks codes and refresh tokens, and
//! [`TokenError`]'s constructors here word its refusals the RFC 6749 way.

use axum::{
    extract::{Form, rejection::FormRejection},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Deserialize;

use crate::{
    dialect::Ctx,
    grants::{CodeFailure, Redeem, RefreshFailure},
    net::Conn,
    oauth::{TokenError, no_store_headers, non_empty, secrets_match},
    state::World,
};

/// A token call's parameters (form or JSON body), for every grant.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenParams {
    pub(crate) grant_type: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code_verifier: Option<String>,
    pub(crate) refresh_token: Option<String>,
    pub(crate) scope: Option<String>,
    /// A channel's JWT assertion (LINE's `client_credentials` grant).
    pub(crate) client_assertion_type: Option<String>,
    pub(crate) client_assertion: Option<String>,
}

/// The endpoint name of a token endpoint and its per-grant counters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenCounters {
    pub(crate) endpoint: &'static str,
    pub(crate) code: &'static str,
    pub(crate) refresh: &'static str,
    /// For an endpoint that also takes `client_credentials`.
    pub(crate) client: Option<&'static str>,
}

impl TokenCounters {
    pub(crate) const fn new(
        endpoint: &'static str,
        code: &'static str,
        refresh: &'static str,
    ) -> Self {
        Self {
            endpoint,
            code,
            refresh,
            client: None,
        }
    }
}

/// Counts a token call (also under its grant's counter, when the body parsed)
/// and plays the endpoint's fault; `Some` is the response to send instead.
pub(crate) async fn begin<D, B, E>(
    ctx: &Ctx<D>,
    conn: &Conn,
    counters: TokenCounters,
    body: &Result<B, E>,
) -> Option<Response>
where
    B: std::ops::Deref<Target = TokenParams>,
{
    let grant_type = body
        .as_ref()
        .ok()
        .and_then(|body| body.grant_type.as_deref());
    let detail = match grant_type {
        Some("authorization_code") => Some(counters.code),
        Some("refresh_token") => Some(counters.refresh),
        Some("client_credentials") => counters.client,
        _ => None,
    };
    ctx.begin(conn, counters.endpoint, detail).await
}

/// A whole form-encoded token call: the opening, then `exchange` under the
/// lock; what it returns goes out with the no-store headers (RFC 6749 §5.1).
pub(crate) async fn serve<D, T: IntoResponse, E: IntoResponse>(
    ctx: &Ctx<D>,
    conn: &Conn,
    counters: TokenCounters,
    form: Result<Form<TokenParams>, FormRejection>,
    exchange: impl FnOnce(&mut World, &mut D, TokenParams) -> Result<T, E>,
) -> Response {
    if let Some(response) = begin(ctx, conn, counters, &form).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        let unreadable = "the body must be application/x-www-form-urlencoded, each parameter once";
        return TokenError::invalid_request(unreadable).into_response();
    };
    match ctx.with(|world, dialect| exchange(world, dialect, form)) {
        Ok(body) => (no_store_headers(), body).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The grant a token call asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Grant<'a> {
    /// The claim on a code, for [`crate::grants::Grants::redeem`].
    Code(Redeem<'a>),
    Refresh {
        token: &'a str,
        scope: Option<&'a str>,
    },
}

/// The constructors of a dialect's token-endpoint error body that grant
/// dispatch needs.
pub(crate) trait TokenErrors: Sized {
    fn missing(param: &str) -> Self;
    fn unsupported_grant_type(grant_type: &str) -> Self;
}

impl TokenErrors for TokenError {
    fn missing(param: &str) -> Self {
        TokenError::missing(param)
    }

    fn unsupported_grant_type(grant_type: &str) -> Self {
        TokenError::unsupported_grant_type(grant_type)
    }
}

impl TokenParams {
    /// Dispatches on `grant_type`, requiring each grant's parameters
    /// (`redirect_uri` too when `redirect_required`); a code is claimed for
    /// the authenticated `client_id` at `now`.
    pub(crate) fn grant<'a, E: TokenErrors>(
        &'a self,
        redirect_required: bool,
        client_id: &'a str,
        now: u64,
    ) -> Result<Grant<'a>, E> {
        let required = |value, name| non_empty(value).ok_or_else(|| E::missing(name));
        match required(&self.grant_type, "grant_type")? {
            "authorization_code" => {
                let code = required(&self.code, "code")?;
                let redirect_uri = if redirect_required {
                    Some(required(&self.redirect_uri, "redirect_uri")?)
                } else {
                    non_empty(&self.redirect_uri)
                };
                Ok(Grant::Code(Redeem {
                    code,
                    client_id,
                    now,
                    redirect_uri,
                    verifier: non_empty(&self.code_verifier),
                }))
            }
            "refresh_token" => Ok(Grant::Refresh {
                token: required(&self.refresh_token, "refresh_token")?,
                scope: non_empty(&self.scope),
            }),
            other => Err(E::unsupported_grant_type(other)),
        }
    }
}

impl TokenError {
    /// A refused code, worded per RFC 6749 §5.2 (`invalid_grant`).
    pub(crate) fn code(failure: CodeFailure) -> Self {
        Self::invalid_grant(match failure {
            CodeFailure::Unknown => "unknown authorization code",
            CodeFailure::OtherClient => "the code was issued to another client",
            CodeFailure::Used => "the code was already used; tokens issued from it are revoked",
            CodeFailure::Expired => "the code has expired",
            CodeFailure::RedirectMismatch => {
                "redirect_uri does not match the authorization request"
            }
            CodeFailure::Pkce(failure) => failure.describe(),
        })
    }

    /// A refused refresh token (`invalid_grant`); `reuse_revokes` says whether
    /// a reused one ended its grant.
    pub(crate) fn refresh(failure: RefreshFailure, reuse_revokes: bool) -> Self {
        Self::invalid_grant(match failure {
            RefreshFailure::Unknown => "unknown refresh token",
            RefreshFailure::OtherClient => "the refresh token was issued to another client",
            RefreshFailure::Used if reuse_revokes => {
                "the refresh token was already used; the grant is revoked"
            }
            RefreshFailure::Used => "the refresh token was already used",
            RefreshFailure::Revoked => "the refresh token was revoked",
            RefreshFailure::Expired => "the refresh token has expired",
        })
    }
}

/// Why a client failed to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// Credentials in both the header and the body (RFC 6749 §2.3).
    Both,
    /// No credentials at all.
    None,
    /// A body secret without a body `client_id`.
    MissingClientId,
    /// An `Authorization: Basic` header that does not decode.
    MalformedBasic,
    /// The body's `client_id` differs from the header's.
    ClientIdMismatch,
    UnknownClient,
    WrongSecret,
}

/// The authenticated client, and whether it used HTTP Basic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authenticated {
    pub(crate) client_id: String,
    pub(crate) basic: bool,
}

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

/// Credentials of an `Authorization: Basic` header; `Some(None)` if it is
/// malformed. RFC 6749 §2.3.1 form-encodes both components; `form_encoded`
/// says whether this provider decodes them.
pub(crate) fn basic_credentials(
    headers: &HeaderMap,
    form_encoded: bool,
) -> Option<Option<(String, String)>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decode = |component: &str| {
        if form_encoded {
            form_decode(component)
        } else {
            Some(component.to_owned())
        }
    };
    let pair = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            Some((decode(id)?, decode(secret)?))
        });
    Some(pair)
}

/// The client of `dialect` that sent `credentials`; `Err` says why none did.
pub(crate) fn verify(
    world: &World,
    dialect: &str,
    client_id: &str,
    secret: &str,
) -> Result<(), AuthFailure> {
    let client = world
        .clients
        .get(dialect, client_id)
        .ok_or(AuthFailure::UnknownClient)?;
    if secrets_match(&client.client_secret, secret) {
        Ok(())
    } else {
        Err(AuthFailure::WrongSecret)
    }
}

/// client_secret_basic or client_secret_post (the body's `client_id` and
/// secret), never both (RFC 6749 §2.3). `strict` is RFC 6749 to the letter:
/// Basic components form-encoded (§2.3.1), a malformed header refused, and a
/// body `client_id` beside Basic must match; otherwise the components are
/// taken as they are and a malformed header or body `client_id` is ignored.
/// The `bool` of `Err` says whether Basic was tried (for the challenge).
pub(crate) fn authenticate(
    world: &World,
    dialect: &str,
    headers: &HeaderMap,
    (form_id, form_secret): (Option<&str>, Option<&str>),
    strict: bool,
) -> Result<Authenticated, (AuthFailure, bool)> {
    let basic = basic_credentials(headers, strict).filter(|pair| strict || pair.is_some());
    let (client_id, secret, basic) = match (basic, form_secret) {
        (Some(_), Some(_)) => return Err((AuthFailure::Both, true)),
        (Some(None), None) => return Err((AuthFailure::MalformedBasic, true)),
        (Some(Some((id, secret))), None) => {
            if strict && form_id.is_some_and(|form_id| form_id != id) {
                return Err((AuthFailure::ClientIdMismatch, true));
            }
            (id, secret, true)
        }
        (None, Some(secret)) => {
            let id = form_id.ok_or((AuthFailure::MissingClientId, false))?;
            (id.to_owned(), secret.to_owned(), false)
        }
        (None, None) => return Err((AuthFailure::None, false)),
    };
    verify(world, dialect, &client_id, &secret).map_err(|failure| (failure, basic))?;
    Ok(Authenticated { client_id, basic })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

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
            basic_credentials(&headers, true),
            Some(Some(("my id".to_owned(), "s+cret".to_owned())))
        );
        assert_eq!(
            basic_credentials(&headers, false),
            Some(Some(("my%20id".to_owned(), "s%2Bcret".to_owned())))
        );
    }

    #[test]
    fn grant_dispatch_requires_each_grants_parameters() {
        let mut params = TokenParams::default();
        let missing =
            |params: &TokenParams, redirect| params.grant::<TokenError>(redirect, "app", 0).err();
        assert!(missing(&params, false).is_some());
        params.grant_type = Some("authorization_code".to_owned());
        params.code = Some("c".to_owned());
        assert!(missing(&params, true).is_some());
        assert!(missing(&params, false).is_none());
        params.grant_type = Some("password".to_owned());
        assert!(missing(&params, false).is_some());
    }
}
