//! The authorization endpoint: generic `GET` and consent-form handlers driven by a dialect's [`AuthorizeFlow`].
//!
//! Every dialect's authorize page goes the same way: count the call and play
//! its fault, parse the query, check the client and the redirect URI (an error
//! page, never a redirect, when either is untrusted: RFC 6749 §4.1.2.1), check
//! the rest (the dialect's scopes, `state`, PKCE; errors go back to the
//! verified redirect URI), then show the consent page or approve straight
//! away. The consent form posts back the original parameters, which are
//! validated again, plus the chosen user and "allow" or "deny".

use axum::{
    extract::{
        Query, RawForm, RawQuery, State,
        rejection::{QueryRejection, RawFormRejection},
    },
    http::HeaderMap,
    response::Response,
};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    consent,
    dialect::{Ctx, Dialect},
    grants::Code,
    net::Conn,
    oauth,
    state::World,
};

/// What the hooks may need of the HTTP request beyond its parameters.
#[derive(Debug)]
pub(crate) struct Http {
    pub(crate) headers: HeaderMap,
    /// The simulator's origin, for absolute URLs such as an issuer.
    pub(crate) base_url: String,
    /// The request's parameters as sent (a form's without its choices), which
    /// a page's form carries back as hidden fields.
    params: Vec<(String, String)>,
}

impl Http {
    /// The request's parameters, for hidden form fields.
    pub(crate) fn hidden(&self) -> Vec<(&str, &str)> {
        let params = self.params.iter();
        params
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }
}

/// One authorization flow of a dialect (a dialect may have two, like Feishu's
/// v1 and v2 logins), implemented on a marker type.
pub(crate) trait AuthorizeFlow: Send + 'static {
    type Dialect: Dialect;
    /// The authorize request's query, also carried through the consent form.
    type Params: DeserializeOwned + Send + 'static;
    /// A request that passed every check.
    type Request;
    /// Endpoint (fault and counter) names of the page and of its form.
    const AUTHORIZE: &'static str;
    const DECISION: &'static str;
    /// The "Bad request" page's message for a query that does not parse.
    const UNPARSABLE: &'static str = "The authorization request cannot be parsed.";
    /// The error pages for an untrusted client or redirect URI.
    const PAGES: ClientPages;

    /// The request's client id, redirect URI and `state`.
    fn client(params: &Self::Params) -> [&Option<String>; 3];
    /// A response that replaces the whole flow (a shut-down service).
    fn gate(_dialect: &Self::Dialect) -> Option<Response> {
        None
    }
    /// Checks the rest of a request whose client and redirect URI are
    /// verified; `Err` is the error redirect (or page) to send, boxed because
    /// a `Response` is large.
    fn validate(
        dialect: &Self::Dialect,
        base: Verified,
        params: &Self::Params,
        http: &Http,
    ) -> Result<Self::Request, Box<Response>>;
    /// The user to approve without asking (an auto-approve option).
    fn auto_user(world: &World, dialect: &Self::Dialect) -> Option<u64>;
    /// The consent page (its form posts to the decision endpoint and
    /// carries [`Http::hidden`]).
    fn consent(
        world: &World,
        dialect: &Self::Dialect,
        request: &Self::Request,
        http: &Http,
    ) -> Response;
    /// Issues a code for `user_id` and sends it back.
    fn approve(
        world: &mut World,
        dialect: &mut Self::Dialect,
        request: &Self::Request,
        user_id: u64,
    ) -> Response;
    /// "Deny": the `access_denied` error as the dialect sends it.
    fn deny(dialect: &Self::Dialect, request: &Self::Request) -> Response;

    /// `GET`: a code for the auto-approved user, else the consent page.
    fn show(
        world: &mut World,
        dialect: &mut Self::Dialect,
        request: Self::Request,
        _params: &Self::Params,
        http: &Http,
    ) -> Response {
        match Self::auto_user(world, dialect) {
            Some(user_id) => Self::approve(world, dialect, &request, user_id),
            None => Self::consent(world, dialect, &request, http),
        }
    }
    /// "Allow" for a known user, with the form's other fields in `params`.
    fn allow(
        world: &mut World,
        dialect: &mut Self::Dialect,
        request: Self::Request,
        _params: &Self::Params,
        _http: &Http,
        user_id: u64,
    ) -> Response {
        Self::approve(world, dialect, &request, user_id)
    }
}

/// The consent form: the original parameters plus the user's choices.
#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm<P> {
    #[serde(flatten)]
    params: P,
    user_id: Option<String>,
    decision: Option<String>,
}

/// The client check, then the flow's own.
fn validate<F: AuthorizeFlow>(
    world: &World,
    dialect: &F::Dialect,
    params: &F::Params,
    http: &Http,
) -> Result<F::Request, Box<Response>> {
    let [client_id, redirect_uri, state] = F::client(params).map(crate::oauth::non_empty);
    let base = F::PAGES.check(world, F::Dialect::NAME, (client_id, redirect_uri), state)?;
    F::validate(dialect, base, params, http)
}

/// Counts a call to `endpoint`, plays its fault, then runs `f` under the lock
/// unless the flow's gate answers instead.
async fn run<F: AuthorizeFlow>(
    ctx: Ctx<F::Dialect>,
    conn: Conn,
    endpoint: &str,
    (headers, params): (HeaderMap, Vec<(String, String)>),
    f: impl FnOnce(&mut World, &mut F::Dialect, &Http) -> Response,
) -> Response {
    if let Some(response) = ctx.begin(&conn, endpoint, None).await {
        return response;
    }
    let base_url = ctx.base_url(&headers);
    let http = Http {
        headers,
        base_url,
        params,
    };
    ctx.with(|world, dialect| match F::gate(dialect) {
        Some(response) => response,
        None => f(world, dialect, &http),
    })
}

/// `GET` authorize: validate, then consent page or auto-approve.
pub(crate) async fn authorize<F: AuthorizeFlow>(
    State(ctx): State<Ctx<F::Dialect>>,
    conn: Conn,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    query: Result<Query<F::Params>, QueryRejection>,
) -> Response {
    let raw = raw.unwrap_or_default();
    let request = (
        headers,
        url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect(),
    );
    run::<F>(ctx, conn, F::AUTHORIZE, request, |world, dialect, http| {
        let Ok(Query(params)) = query else {
            return consent::error_page("Bad request", F::UNPARSABLE);
        };
        match validate::<F>(world, dialect, &params, http) {
            Ok(request) => F::show(world, dialect, request, &params, http),
            Err(response) => *response,
        }
    })
    .await
}

/// `POST` of the consent form: everything is validated again, because the
/// hidden fields came back through the browser.
pub(crate) async fn decide<F: AuthorizeFlow>(
    State(ctx): State<Ctx<F::Dialect>>,
    conn: Conn,
    headers: HeaderMap,
    body: Result<RawForm, RawFormRejection>,
) -> Response {
    let body = body.map(|RawForm(body)| body).ok();
    let body = body.as_deref();
    let form =
        body.and_then(|body| serde_urlencoded::from_bytes::<DecisionForm<F::Params>>(body).ok());
    let params = url::form_urlencoded::parse(body.unwrap_or_default()).into_owned();
    let params = params.filter(|(name, _)| name != "user_id" && name != "decision");
    run::<F>(
        ctx,
        conn,
        F::DECISION,
        (headers, params.collect()),
        |world, dialect, http| {
            let Some(form) = form else {
                return consent::error_page("Bad request", "The consent form cannot be parsed.");
            };
            let request = match validate::<F>(world, dialect, &form.params, http) {
                Ok(request) => request,
                Err(response) => return *response,
            };
            match form.decision.as_deref() {
                Some("allow") => match chosen_user(world, form.user_id.as_deref()) {
                    Some(user_id) => F::allow(world, dialect, request, &form.params, http, user_id),
                    None => consent::error_page("No account chosen", "Choose an account."),
                },
                Some("deny") => F::deny(dialect, &request),
                _ => consent::error_page("Bad request", "Choose Allow or Deny."),
            }
        },
    )
    .await
}

/// The user a form or cookie names, if it is a known one.
pub(crate) fn chosen_user(world: &World, user_id: Option<&str>) -> Option<u64> {
    user_id
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|id| world.user(*id).is_some())
}

/// `option`'s user, if it names a known one (the auto-approve options).
pub(crate) fn known_user(world: &World, option: Option<u64>) -> Option<u64> {
    option.filter(|id| world.user(*id).is_some())
}

/// The error pages (title, message) for an untrusted client or redirect URI.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientPages {
    pub(crate) missing_client: (&'static str, &'static str),
    pub(crate) unknown_client: (&'static str, &'static str),
    pub(crate) missing_redirect: (&'static str, &'static str),
    pub(crate) redirect_mismatch: (&'static str, &'static str),
}

impl ClientPages {
    /// The wording most dialects share, with their own redirect-mismatch message.
    pub(crate) const fn standard(mismatch: &'static str) -> Self {
        Self {
            missing_client: (
                "Missing client_id",
                "The authorization request has no client_id.",
            ),
            unknown_client: (
                "Unknown application",
                "No application is registered with this client_id.",
            ),
            missing_redirect: (
                "Missing redirect_uri",
                "The authorization request has no redirect_uri.",
            ),
            redirect_mismatch: ("Redirect URI mismatch", mismatch),
        }
    }

    /// The registered client of `dialect` and its redirect URI, which the
    /// request must name exactly: no prefix or normalisation games (mix-up and
    /// open-redirect defence). `Err` is the error page.
    pub(crate) fn check(
        &self,
        world: &World,
        dialect: &str,
        (client_id, redirect_uri): (Option<&str>, Option<&str>),
        state: Option<&str>,
    ) -> Result<Verified, Box<Response>> {
        let page = |(title, message): (&str, &str)| Box::new(consent::error_page(title, message));
        let client_id = client_id.ok_or_else(|| page(self.missing_client))?;
        let client = world
            .clients
            .get(dialect, client_id)
            .ok_or_else(|| page(self.unknown_client))?;
        let redirect_uri = redirect_uri.ok_or_else(|| page(self.missing_redirect))?;
        if redirect_uri != client.redirect_uri {
            return Err(page(self.redirect_mismatch));
        }
        Ok(Verified {
            client_id: client.client_id.clone(),
            client_name: client.name.clone(),
            redirect_uri: client.redirect_uri.clone(),
            state: state.map(str::to_owned),
            iss: None,
        })
    }
}

/// What every checked authorization request has: its client, the verified
/// redirect URI, and `state`.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    pub(crate) client_id: String,
    /// Shown on the consent page.
    pub(crate) client_name: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    /// RFC 9207's `iss`, sent after `state` when the dialect sets it.
    pub(crate) iss: Option<String>,
}

impl Verified {
    /// A code for `user_id` bound to this client and redirect URI (no PKCE;
    /// [`crate::grants::Grants::add_code`] gives it its grant).
    pub(crate) fn code<C>(&self, user_id: u64, expires_at: u64, extra: C) -> Code<C> {
        Code {
            client_id: self.client_id.clone(),
            redirect_uri: Some(self.redirect_uri.clone()),
            user_id,
            challenge: None,
            expires_at,
            grant_id: 0,
            redeemed: false,
            extra,
        }
    }

    /// 302 back to the client with `params`, then `state` and `iss` if set.
    pub(crate) fn redirect(&self, params: &[(&str, &str)]) -> Response {
        let mut params = params.to_vec();
        params.extend(self.state.as_deref().map(|state| ("state", state)));
        params.extend(self.iss.as_deref().map(|iss| ("iss", iss)));
        oauth::redirect_with(&self.redirect_uri, &params)
    }

    /// An RFC 6749 §4.1.2.1 error redirect.
    pub(crate) fn error(&self, error: &str, description: &str) -> Response {
        self.redirect(&[("error", error), ("error_description", description)])
    }
}

/// How a dialect reads `code_challenge` and `code_challenge_method`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PkcePolicy {
    /// A challenge without a method is `plain` (RFC 7636 §4.3); else refused.
    pub(crate) plain_by_default: bool,
    pub(crate) allow_plain: bool,
    /// A method without a challenge is refused; else ignored.
    pub(crate) strict_method: bool,
}

/// Why an authorization request's PKCE parameters were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PkceRefusal {
    MethodWithoutChallenge,
    UnsupportedMethod,
    Malformed,
}

impl PkcePolicy {
    /// The challenge and whether it is S256; `None` without one.
    pub(crate) fn challenge(
        self,
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<Option<(String, bool)>, PkceRefusal> {
        let Some(challenge) = challenge else {
            return match method {
                Some(_) if self.strict_method => Err(PkceRefusal::MethodWithoutChallenge),
                _ => Ok(None),
            };
        };
        let method = method.or(self.plain_by_default.then_some("plain"));
        let valid = match method {
            Some("S256") => crate::oauth::is_valid_s256_challenge(challenge),
            Some("plain") if self.allow_plain => crate::oauth::is_valid_verifier(challenge),
            _ => return Err(PkceRefusal::UnsupportedMethod),
        };
        if !valid {
            return Err(PkceRefusal::Malformed);
        }
        Ok(Some((challenge.to_owned(), method == Some("S256"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn error_redirect_keeps_existing_query_and_echoes_state() {
        let verified = Verified {
            client_id: "app".to_owned(),
            client_name: "App".to_owned(),
            redirect_uri: "http://app/cb?x=1".to_owned(),
            state: Some("s t".to_owned()),
            iss: None,
        };
        let response = verified.error("access_denied", "The user denied the request");
        assert_eq!(response.status(), axum::http::StatusCode::FOUND);
        let location = response.headers()[axum::http::header::LOCATION]
            .to_str()
            .expect("ascii");
        assert_eq!(
            location,
            "http://app/cb?x=1&error=access_denied&error_description=The+user+denied+the+request&state=s+t"
        );
    }

    #[test]
    fn pkce_policies() {
        let strict = PkcePolicy {
            plain_by_default: false,
            allow_plain: false,
            strict_method: true,
        };
        let lenient = PkcePolicy {
            plain_by_default: true,
            allow_plain: true,
            strict_method: false,
        };
        let s256 = Some((CHALLENGE.to_owned(), true));
        assert_eq!(strict.challenge(Some(CHALLENGE), Some("S256")), Ok(s256));
        assert_eq!(
            strict.challenge(Some(CHALLENGE), None),
            Err(PkceRefusal::UnsupportedMethod)
        );
        assert_eq!(
            strict.challenge(None, Some("S256")),
            Err(PkceRefusal::MethodWithoutChallenge)
        );
        assert_eq!(
            strict.challenge(Some("short"), Some("S256")),
            Err(PkceRefusal::Malformed)
        );
        assert_eq!(lenient.challenge(None, Some("S256")), Ok(None));
        let plain = lenient.challenge(Some(CHALLENGE), None);
        assert_eq!(plain, Ok(Some((CHALLENGE.to_owned(), false))));
    }
}
