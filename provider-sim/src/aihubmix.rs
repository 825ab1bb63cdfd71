//! The AIHubMix dialect (providers.md §6): consent, form token endpoint, userinfo, top-up.
//!
//! AIHubMix's OAuth provider is proprietary and documented only by one reference
//! document (seed 004), so where it is silent this follows RFC 6749 and says so.
//! Every route lives under [`PREFIX`], mirroring the real paths below it.

use std::{collections::HashMap, fmt};

use axum::{
    Json, Router,
    extract::{
        Form, Path, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{
    admin::AdminError,
    clients::Dialect,
    consent::{self, ConsentPage},
    net::Conn,
    oauth::{self, TokenError},
    state::{Sim, World},
    users::Quota,
};

/// Path prefix of this dialect on the simulator.
pub(crate) const PREFIX: &str = "/aihubmix";

const AUTHORIZE: &str = "aihubmix.authorize";
const DECISION: &str = "aihubmix.decision";
const TOKEN: &str = "aihubmix.token";
const TOKEN_CODE: &str = "aihubmix.token.authorization_code";
const TOKEN_REFRESH: &str = "aihubmix.token.refresh_token";
const USERINFO: &str = "aihubmix.userinfo";
const TOPUP: &str = "aihubmix.topup";

/// Endpoint names, for faults.
pub(crate) const ENDPOINTS: &[&str] = &[AUTHORIZE, DECISION, TOKEN, USERINFO, TOPUP];
/// Counter keys: the endpoints, plus token calls split by grant type.
pub(crate) const COUNTERS: &[&str] = &[
    AUTHORIZE,
    DECISION,
    TOKEN,
    TOKEN_CODE,
    TOKEN_REFRESH,
    USERINFO,
    TOPUP,
];

const DECISION_PATH: &str = "/api/oauth2/authorize/decision";
/// Remembers the account chosen on the consent page, so a later
/// `auto_authorize=true` signs the same person in, as the real "one-click login"
/// does for whoever is logged in to AIHubMix. The name is long and the path
/// narrow because cookies ignore ports: on 127.0.0.1 Keyhole sees it too.
const USER_COOKIE: &str = "keyhole_sim_aihubmix_user";

/// one-api's `QuotaPerUnit`: 500 000 quota units are US$1.
const QUOTA_PER_USD: i64 = 500_000;

/// The dialect's public routes, nested under [`PREFIX`].
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route("/api/oauth2/authorize", get(authorize))
        .route(DECISION_PATH, post(decide))
        .route("/api/oauth2/token", post(token))
        .route("/api/oauth2/userinfo", get(userinfo))
        .route("/api/oauth2/topup", get(topup))
        .route("/topup", get(topup_page))
}

/// The dialect's admin routes, nested under `/_sim/aihubmix`.
pub(crate) fn admin_router() -> Router<Sim> {
    Router::new().route("/options", get(get_options).put(put_options))
}

// ---------------------------------------------------------------------------
// Options

/// Behaviour switches for this dialect, where the real service is undocumented
/// or where tests need to reach a state quickly.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Options {
    /// `expires_in` of access tokens (seed: 7200).
    pub(crate) access_token_ttl_secs: u64,
    /// Lifetime of authorization codes.
    pub(crate) code_ttl_secs: u64,
    /// Whether a refresh invalidates the refresh token it used. The seed's client
    /// implies rotation but not invalidation; invalidating is the strict choice.
    pub(crate) rotate_invalidates_old: bool,
    /// Refresh-token lifetime; undocumented, so none unless a test sets one.
    pub(crate) refresh_token_ttl_secs: Option<u64>,
    /// How `balance_formatted` is computed.
    pub(crate) balance_format: BalanceFormat,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 7200,
            code_ttl_secs: 600,
            rotate_invalidates_old: true,
            refresh_token_ttl_secs: None,
            balance_format: BalanceFormat::OneApi,
        }
    }
}

/// `balance_formatted` formulas (providers.md §6.5 explains the disagreement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BalanceFormat {
    /// US dollars: `quota / 500000`, as one-api units imply.
    #[default]
    OneApi,
    /// The seed example's `(quota - used_quota) / 1000`.
    Seed,
}

/// `PUT /_sim/aihubmix/options`: absent fields keep their value;
/// `"refresh_token_ttl_secs": null` removes the refresh-token expiry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsPatch {
    access_token_ttl_secs: Option<u64>,
    code_ttl_secs: Option<u64>,
    rotate_invalidates_old: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    refresh_token_ttl_secs: Option<Option<u64>>,
    balance_format: Option<BalanceFormat>,
}

/// Tells "field absent" (`None`) from "field is null" (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

async fn get_options(State(sim): State<Sim>) -> Json<Options> {
    Json(sim.with(|world| world.aihubmix.options.clone()))
}

async fn put_options(State(sim): State<Sim>, Json(patch): Json<OptionsPatch>) -> Json<Options> {
    Json(sim.with(|world| {
        let options = &mut world.aihubmix.options;
        if let Some(ttl) = patch.access_token_ttl_secs {
            options.access_token_ttl_secs = ttl;
        }
        if let Some(ttl) = patch.code_ttl_secs {
            options.code_ttl_secs = ttl;
        }
        if let Some(invalidate) = patch.rotate_invalidates_old {
            options.rotate_invalidates_old = invalidate;
        }
        if let Some(ttl) = patch.refresh_token_ttl_secs {
            options.refresh_token_ttl_secs = ttl;
        }
        if let Some(format) = patch.balance_format {
            options.balance_format = format;
        }
        options.clone()
    }))
}

// ---------------------------------------------------------------------------
// Balances

/// `balance_formatted` for `quota`, with two decimals, rounded half away from
/// zero. Integer arithmetic only: a display string must not pick up float noise.
pub(crate) fn format_balance(format: BalanceFormat, quota: Quota) -> String {
    match format {
        BalanceFormat::OneApi => fixed2(i128::from(quota.quota), i128::from(QUOTA_PER_USD)),
        BalanceFormat::Seed => fixed2(i128::from(quota.quota) - i128::from(quota.used_quota), 1000),
    }
}

/// `value / divisor` with two decimals; `divisor` is positive.
fn fixed2(value: i128, divisor: i128) -> String {
    let cents = (value.abs() * 100 + divisor / 2) / divisor;
    let sign = if value < 0 && cents != 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// `PUT /_sim/users/{id}/aihubmix` body; absent fields keep their value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BalancePatch {
    quota: Option<i64>,
    used_quota: Option<i64>,
}

/// A balance as the admin API reports it.
#[derive(Debug, Serialize)]
pub(crate) struct BalanceView {
    quota: i64,
    used_quota: i64,
    balance_formatted: String,
}

impl BalanceView {
    pub(crate) fn new(quota: Quota, format: BalanceFormat) -> Self {
        Self {
            quota: quota.quota,
            used_quota: quota.used_quota,
            balance_formatted: format_balance(format, quota),
        }
    }
}

/// `PUT /_sim/users/{id}/aihubmix`: change a user's quota.
pub(crate) async fn set_balance(
    State(sim): State<Sim>,
    Path(id): Path<u64>,
    Json(patch): Json<BalancePatch>,
) -> Result<Json<BalanceView>, AdminError> {
    sim.with(|world| {
        let format = world.aihubmix.options.balance_format;
        let user = world
            .user_mut(id)
            .ok_or_else(|| AdminError::not_found(format!("no user with id {id}")))?;
        if let Some(quota) = patch.quota {
            user.aihubmix.quota = quota;
        }
        if let Some(used) = patch.used_quota {
            user.aihubmix.used_quota = used;
        }
        Ok(Json(BalanceView::new(user.aihubmix, format)))
    })
}

// ---------------------------------------------------------------------------
// Scopes

/// The granted subset of `profile` and `balance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Scopes {
    profile: bool,
    balance: bool,
}

impl Scopes {
    /// The authorize request's `scope`. An absent or blank one means `profile`:
    /// the seed does not say, and a login without a username is of little use.
    fn parse_requested(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim) {
            None | Some("") => Ok(Self {
                profile: true,
                balance: false,
            }),
            Some(raw) => Self::parse_list(raw),
        }
    }

    /// A space-separated list; `Err` carries the first unknown scope.
    fn parse_list(raw: &str) -> Result<Self, String> {
        let mut scopes = Self::default();
        for scope in raw.split(' ').filter(|scope| !scope.is_empty()) {
            match scope {
                "profile" => scopes.profile = true,
                "balance" => scopes.balance = true,
                unknown => return Err(unknown.to_owned()),
            }
        }
        Ok(scopes)
    }

    fn contains(self, other: Self) -> bool {
        (self.profile || !other.profile) && (self.balance || !other.balance)
    }

    fn permissions(self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.profile {
            words.push("Your username and email address");
        }
        if self.balance {
            words.push("Your account balance (remaining and used quota)");
        }
        words
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [(self.profile, "profile"), (self.balance, "balance")];
        let granted: Vec<&str> = names
            .iter()
            .filter(|(granted, _)| *granted)
            .map(|(_, name)| *name)
            .collect();
        f.write_str(&granted.join(" "))
    }
}

// ---------------------------------------------------------------------------
// Grants

/// Codes and tokens this dialect has issued.
///
/// Every code starts a "grant" (an id shared by the code and every token issued
/// from it or its refreshes), so a replayed code can revoke the lot.
#[derive(Default)]
pub(crate) struct DialectState {
    pub(crate) options: Options,
    codes: HashMap<String, CodeGrant>,
    access_tokens: HashMap<String, AccessGrant>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    next_grant_id: u64,
}

// By hand: the maps are keyed by live tokens.
impl fmt::Debug for DialectState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialectState")
            .field("options", &self.options)
            .field("codes", &self.codes.len())
            .field("access_tokens", &self.access_tokens.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .finish()
    }
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    user_id: u64,
    scopes: Scopes,
    challenge: Option<String>,
    expires_at: u64,
    grant_id: u64,
    /// Kept after use so a replay is recognised (and punished) rather than
    /// looking like an unknown code.
    redeemed: bool,
}

#[derive(Clone)]
struct AccessGrant {
    user_id: u64,
    scopes: Scopes,
    expires_at: u64,
    grant_id: u64,
    revoked: bool,
}

struct RefreshGrant {
    client_id: String,
    user_id: u64,
    scopes: Scopes,
    grant_id: u64,
    expires_at: Option<u64>,
    status: RefreshStatus,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RefreshStatus {
    Active,
    /// Used for a refresh while `rotate_invalidates_old` was on.
    Rotated,
    Revoked,
}

/// The token endpoint's success body.
#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    scope: String,
}

impl DialectState {
    fn issue_tokens(
        &mut self,
        now: u64,
        client_id: &str,
        user_id: u64,
        scopes: Scopes,
        grant_id: u64,
    ) -> TokenResponse {
        let ttl = self.options.access_token_ttl_secs;
        let access_token = jwt_shaped_token(now, ttl, client_id, user_id, scopes);
        let refresh_token = format!("refresh_{}", oauth::random_token(32));
        self.access_tokens.insert(
            access_token.clone(),
            AccessGrant {
                user_id,
                scopes,
                expires_at: now.saturating_add(ttl),
                grant_id,
                revoked: false,
            },
        );
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                user_id,
                scopes,
                grant_id,
                expires_at: self
                    .options
                    .refresh_token_ttl_secs
                    .map(|ttl| now.saturating_add(ttl)),
                status: RefreshStatus::Active,
            },
        );
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ttl,
            refresh_token,
            scope: scopes.to_string(),
        }
    }

    /// Revokes every token of one grant (RFC 6749 §4.1.2: a replayed code
    /// "SHOULD revoke (when possible) all tokens previously issued based on" it).
    fn revoke_grant(&mut self, grant_id: u64) {
        for grant in self.access_tokens.values_mut() {
            if grant.grant_id == grant_id {
                grant.revoked = true;
            }
        }
        for grant in self.refresh_tokens.values_mut() {
            if grant.grant_id == grant_id {
                grant.status = RefreshStatus::Revoked;
            }
        }
    }

    /// Revokes one access token; `false` if it is unknown.
    pub(crate) fn revoke_access_token(&mut self, token: &str) -> bool {
        self.access_tokens
            .get_mut(token)
            .map(|grant| grant.revoked = true)
            .is_some()
    }

    /// Revokes one refresh token; `false` if it is unknown.
    pub(crate) fn revoke_refresh_token(&mut self, token: &str) -> bool {
        self.refresh_tokens
            .get_mut(token)
            .map(|grant| grant.status = RefreshStatus::Revoked)
            .is_some()
    }

    /// Revokes every token of a user; returns how many were still usable.
    pub(crate) fn revoke_user(&mut self, user_id: u64) -> usize {
        let mut revoked = 0;
        for grant in self.access_tokens.values_mut() {
            if grant.user_id == user_id && !grant.revoked {
                grant.revoked = true;
                revoked += 1;
            }
        }
        for grant in self.refresh_tokens.values_mut() {
            if grant.user_id == user_id && grant.status == RefreshStatus::Active {
                grant.status = RefreshStatus::Revoked;
                revoked += 1;
            }
        }
        revoked
    }
}

/// An access token shaped like AIHubMix's HS256 JWT, so lengths and characters
/// look real. The signature is random: clients must treat the token as opaque,
/// and the simulator looks tokens up instead of verifying them.
fn jwt_shaped_token(now: u64, ttl: u64, client_id: &str, user_id: u64, scopes: Scopes) -> String {
    let header = oauth::base64url(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "sub": user_id.to_string(),
        "client_id": client_id,
        "scope": scopes.to_string(),
        "iat": now,
        "exp": now.saturating_add(ttl),
        "jti": oauth::random_token(12),
    });
    let payload = oauth::base64url(claims.to_string());
    format!("{header}.{payload}.{}", oauth::random_token(32))
}

// ---------------------------------------------------------------------------
// Authorize + consent

/// Query of `GET /api/oauth2/authorize`, also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    auto_authorize: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The consent form: the original parameters plus the user's choices.
#[derive(Debug, Deserialize)]
struct DecisionForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    user_id: Option<String>,
    decision: Option<String>,
}

/// An authorization request that passed every check.
#[derive(Debug)]
struct ValidRequest {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    state: String,
    scopes: Scopes,
    challenge: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.is_empty())
}

/// Why an authorization request was refused.
#[derive(Debug)]
enum Rejection {
    /// The client or redirect URI cannot be trusted: show a page, never redirect.
    Page {
        title: &'static str,
        message: &'static str,
    },
    /// Anything else goes back to the (verified) redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::Page { title, message } => consent::error_page(title, message),
            Self::Redirect {
                redirect_uri,
                state,
                error,
                description,
            } => oauth::error_redirect(&redirect_uri, error, &description, state.as_deref()),
        }
    }
}

/// Checks an authorization request, in the order RFC 6749 §4.1.2.1 implies:
/// first whether redirecting is safe at all, then everything else.
fn validate(world: &World, params: &AuthorizeParams) -> Result<ValidRequest, Rejection> {
    let page = |title, message| Rejection::Page { title, message };
    let client_id = non_empty(&params.client_id).ok_or(page(
        "Missing client_id",
        "The authorization request has no client_id.",
    ))?;
    let client = world.clients.get(Dialect::Aihubmix, client_id).ok_or(page(
        "Unknown application",
        "No application is registered with this client_id.",
    ))?;
    let redirect_uri = non_empty(&params.redirect_uri).ok_or(page(
        "Missing redirect_uri",
        "The authorization request has no redirect_uri.",
    ))?;
    // Exact string comparison, as registration promises: no prefix or
    // normalisation games (mix-up and open-redirect defence).
    if redirect_uri != client.redirect_uri {
        return Err(page(
            "Redirect URI mismatch",
            "The redirect_uri does not exactly match the one registered for this application.",
        ));
    }
    let state = non_empty(&params.state);
    let fail = |error, description: &str| Rejection::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        error,
        description: description.to_owned(),
    };
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => return Err(fail("invalid_request", "missing parameter: response_type")),
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
    }
    let Some(state) = state else {
        return Err(fail("invalid_request", "missing parameter: state"));
    };
    let scopes = Scopes::parse_requested(params.scope.as_deref())
        .map_err(|unknown| fail("invalid_scope", &format!("unknown scope: {unknown}")))?;
    // PKCE is undocumented for AIHubMix; accepting it costs nothing and lets
    // Keyhole send it to every provider. Only S256 is worth supporting.
    let challenge = match (
        non_empty(&params.code_challenge),
        non_empty(&params.code_challenge_method),
    ) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method without code_challenge",
            ));
        }
        (Some(challenge), Some("S256")) if oauth::is_valid_s256_challenge(challenge) => {
            Some(challenge.to_owned())
        }
        (Some(_), Some("S256")) => {
            return Err(fail(
                "invalid_request",
                "code_challenge is not a valid S256 challenge",
            ));
        }
        (Some(_), _) => {
            return Err(fail(
                "invalid_request",
                "only code_challenge_method=S256 is supported",
            ));
        }
    };
    Ok(ValidRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        scopes,
        challenge,
    })
}

/// Issues a code for `user_id` and redirects back to the client with it.
fn approve(world: &mut World, request: &ValidRequest, user_id: u64) -> Response {
    let now = world.clock.now();
    let dialect = &mut world.aihubmix;
    dialect.next_grant_id += 1;
    let code = oauth::random_token(32);
    dialect.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user_id,
            scopes: request.scopes,
            challenge: request.challenge.clone(),
            expires_at: now.saturating_add(dialect.options.code_ttl_secs),
            grant_id: dialect.next_grant_id,
            redeemed: false,
        },
    );
    oauth::redirect_with(
        &request.redirect_uri,
        &[("code", &code), ("state", &request.state)],
    )
}

/// `GET /api/oauth2/authorize`: validate, then show the consent page or, with
/// `auto_authorize=true`, approve straight away.
async fn authorize(
    State(sim): State<Sim>,
    conn: Conn,
    headers: HeaderMap,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    if let Some(response) = sim.begin(&conn, AUTHORIZE, None).await {
        return response;
    }
    let Ok(Query(params)) = query else {
        return consent::error_page("Bad request", "The authorization request cannot be parsed.");
    };
    let remembered = oauth::cookie(&headers, USER_COOKIE).and_then(|id| id.parse::<u64>().ok());
    sim.with(|world| {
        let request = match validate(world, &params) {
            Ok(request) => request,
            Err(rejection) => return rejection.into_response(),
        };
        let auto = params
            .auto_authorize
            .as_deref()
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        if auto {
            let user_id = remembered
                .filter(|id| world.user(*id).is_some())
                .or_else(|| world.users.first().map(|user| user.id));
            return match user_id {
                Some(user_id) => approve(world, &request, user_id),
                None => consent::error_page("No accounts", "The simulator has no users."),
            };
        }
        consent_page(world, &request)
    })
}

fn consent_page(world: &World, request: &ValidRequest) -> Response {
    let scope = request.scopes.to_string();
    let mut hidden = vec![
        ("client_id", request.client_id.as_str()),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", scope.as_str()),
        ("state", request.state.as_str()),
    ];
    if let Some(challenge) = &request.challenge {
        hidden.push(("code_challenge", challenge));
        hidden.push(("code_challenge_method", "S256"));
    }
    let action = format!("{PREFIX}{DECISION_PATH}");
    ConsentPage {
        provider: "AIHubMix",
        client_name: &request.client_name,
        permissions: &request.scopes.permissions(),
        users: &world.users,
        action: &action,
        hidden: &hidden,
    }
    .render()
}

/// `POST /api/oauth2/authorize/decision`: the consent form. Everything is
/// validated again, because the hidden fields came back through the browser.
async fn decide(
    State(sim): State<Sim>,
    conn: Conn,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = sim.begin(&conn, DECISION, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return consent::error_page("Bad request", "The consent form cannot be parsed.");
    };
    sim.with(|world| {
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
                let mut response = approve(world, &request, user_id);
                let cookie = format!(
                    "{USER_COOKIE}={user_id}; Path={PREFIX}; Max-Age=31536000; HttpOnly; SameSite=Lax"
                );
                if let Ok(cookie) = HeaderValue::try_from(cookie) {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
                response
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

// ---------------------------------------------------------------------------
// Token endpoint

/// Body of `POST /api/oauth2/token` (both grants).
#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, TokenError> {
    non_empty(value).ok_or_else(|| TokenError::missing(name))
}

/// `POST /api/oauth2/token`: client credentials in the form body only, as in
/// every AIHubMix example (no HTTP Basic).
async fn token(
    State(sim): State<Sim>,
    conn: Conn,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let grant_counter = match &form {
        Ok(Form(form)) => match form.grant_type.as_deref() {
            Some("authorization_code") => Some(TOKEN_CODE),
            Some("refresh_token") => Some(TOKEN_REFRESH),
            _ => None,
        },
        Err(_) => None,
    };
    if let Some(response) = sim.begin(&conn, TOKEN, grant_counter).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return TokenError::invalid_request(
            "the body must be application/x-www-form-urlencoded, each parameter once",
        )
        .into_response();
    };
    match sim.with(|world| exchange(world, &form)) {
        Ok(tokens) => (oauth::no_store_headers(), Json(tokens)).into_response(),
        Err(error) => error.into_response(),
    }
}

fn exchange(world: &mut World, form: &TokenForm) -> Result<TokenResponse, TokenError> {
    let grant_type = required(&form.grant_type, "grant_type")?;
    let client_id = required(&form.client_id, "client_id")?;
    let client_secret = required(&form.client_secret, "client_secret")?;
    let authenticated = world
        .clients
        .get(Dialect::Aihubmix, client_id)
        .is_some_and(|client| oauth::secrets_match(&client.client_secret, client_secret));
    if !authenticated {
        return Err(TokenError::invalid_client());
    }
    match grant_type {
        "authorization_code" => redeem_code(world, client_id, form),
        "refresh_token" => refresh(world, client_id, form),
        other => Err(TokenError::unsupported_grant_type(other)),
    }
}

fn redeem_code(
    world: &mut World,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, TokenError> {
    let code = required(&form.code, "code")?;
    let redirect_uri = required(&form.redirect_uri, "redirect_uri")?;
    let now = world.clock.now();
    let dialect = &mut world.aihubmix;
    let Some(grant) = dialect.codes.get_mut(code) else {
        return Err(TokenError::invalid_grant("unknown authorization code"));
    };
    if grant.client_id != client_id {
        return Err(TokenError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if grant.redeemed {
        let grant_id = grant.grant_id;
        dialect.revoke_grant(grant_id);
        return Err(TokenError::invalid_grant(
            "the code was already used; tokens issued from it are revoked",
        ));
    }
    if now >= grant.expires_at {
        return Err(TokenError::invalid_grant("the code has expired"));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(TokenError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.challenge, non_empty(&form.code_verifier)) {
        (None, None) => {}
        // A verifier for a code without a challenge is a downgrade attempt
        // (RFC 9700 §2.1.1), not something to ignore.
        (None, Some(_)) => {
            return Err(TokenError::invalid_grant(
                "code_verifier sent, but the authorization request had no code_challenge",
            ));
        }
        (Some(_), None) => return Err(TokenError::invalid_grant("missing code_verifier")),
        (Some(challenge), Some(verifier)) => {
            let matches = oauth::is_valid_verifier(verifier)
                && oauth::secrets_match(challenge, &oauth::pkce_s256(verifier));
            if !matches {
                return Err(TokenError::invalid_grant(
                    "code_verifier does not match code_challenge",
                ));
            }
        }
    }
    grant.redeemed = true;
    let (user_id, scopes, grant_id) = (grant.user_id, grant.scopes, grant.grant_id);
    Ok(dialect.issue_tokens(now, client_id, user_id, scopes, grant_id))
}

fn refresh(
    world: &mut World,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, TokenError> {
    let token = required(&form.refresh_token, "refresh_token")?;
    let now = world.clock.now();
    let dialect = &mut world.aihubmix;
    let invalidate_old = dialect.options.rotate_invalidates_old;
    let Some(grant) = dialect.refresh_tokens.get_mut(token) else {
        return Err(TokenError::invalid_grant("unknown refresh token"));
    };
    if grant.client_id != client_id {
        return Err(TokenError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    match grant.status {
        RefreshStatus::Active => {}
        RefreshStatus::Rotated => {
            return Err(TokenError::invalid_grant(
                "the refresh token was already used",
            ));
        }
        RefreshStatus::Revoked => {
            return Err(TokenError::invalid_grant("the refresh token was revoked"));
        }
    }
    if grant.expires_at.is_some_and(|expires_at| now >= expires_at) {
        return Err(TokenError::invalid_grant("the refresh token has expired"));
    }
    // RFC 6749 §6: a refresh may narrow the scope, never widen it.
    let scopes = match non_empty(&form.scope) {
        None => grant.scopes,
        Some(raw) => {
            let asked = Scopes::parse_list(raw).map_err(|unknown| {
                TokenError::invalid_scope(format!("unknown scope: {unknown}"))
            })?;
            if !grant.scopes.contains(asked) {
                return Err(TokenError::invalid_scope(
                    "a refresh cannot widen the granted scope",
                ));
            }
            asked
        }
    };
    if invalidate_old {
        grant.status = RefreshStatus::Rotated;
    }
    let (user_id, grant_id) = (grant.user_id, grant.grant_id);
    Ok(dialect.issue_tokens(now, client_id, user_id, scopes, grant_id))
}

// ---------------------------------------------------------------------------
// Resource endpoints

/// The grant behind a request's bearer token, or why it is unusable (the
/// `error_description` of the 401).
fn authenticate(world: &World, headers: &HeaderMap) -> Result<AccessGrant, &'static str> {
    let token = oauth::bearer(headers).ok_or("missing bearer token")?;
    let grant = world
        .aihubmix
        .access_tokens
        .get(token)
        .ok_or("unknown access token")?;
    if grant.revoked {
        return Err("the access token was revoked");
    }
    if world.clock.now() >= grant.expires_at {
        return Err("the access token has expired");
    }
    Ok(grant.clone())
}

/// The userinfo body: a bare object, fields present only when their scope was granted.
#[derive(Debug, Serialize)]
struct UserInfo<'a> {
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    used_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance_formatted: Option<String>,
    created_time: u64,
    /// one-api convention: 1 = enabled.
    status: u8,
}

/// `GET /api/oauth2/userinfo`.
async fn userinfo(State(sim): State<Sim>, conn: Conn, headers: HeaderMap) -> Response {
    if let Some(response) = sim.begin(&conn, USERINFO, None).await {
        return response;
    }
    sim.with(|world| {
        let grant = match authenticate(world, &headers) {
            Ok(grant) => grant,
            Err(reason) => return oauth::invalid_token(reason),
        };
        let format = world.aihubmix.options.balance_format;
        let Some(user) = world.user(grant.user_id) else {
            return oauth::invalid_token("the account no longer exists");
        };
        let profile = grant.scopes.profile;
        let balance = grant.scopes.balance.then_some(user.aihubmix);
        Json(UserInfo {
            id: user.id,
            username: profile.then_some(user.username),
            email: profile.then_some(user.email),
            quota: balance.map(|balance| balance.quota),
            used_quota: balance.map(|balance| balance.used_quota),
            balance_formatted: balance.map(|balance| format_balance(format, balance)),
            created_time: user.created_time,
            status: 1,
        })
        .into_response()
    })
}

#[derive(Debug, Serialize)]
struct Topup {
    topup_url: String,
}

/// `GET /api/oauth2/topup`: where to send the user to add credit.
async fn topup(State(sim): State<Sim>, conn: Conn, headers: HeaderMap) -> Response {
    if let Some(response) = sim.begin(&conn, TOPUP, None).await {
        return response;
    }
    if let Err(reason) = sim.with(|world| authenticate(world, &headers).map(drop)) {
        return oauth::invalid_token(reason);
    }
    let topup_url = format!("{}{PREFIX}/topup", sim.base_url(&headers));
    Json(Topup { topup_url }).into_response()
}

/// `GET /topup`: the page the top-up URL opens.
async fn topup_page() -> Response {
    consent::info_page(
        "AIHubMix top-up (simulated)",
        &[
            "This page stands in for AIHubMix's top-up page. Nothing is charged here.",
            "Tests change balances with PUT /_sim/users/{id}/aihubmix.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(quota: i64, used_quota: i64) -> Quota {
        Quota { quota, used_quota }
    }

    #[test]
    fn one_api_balance_is_usd_with_rounding() {
        let format = BalanceFormat::OneApi;
        assert_eq!(format_balance(format, quota(1_000_000, 250_000)), "2.00");
        assert_eq!(format_balance(format, quota(12_345_678, 0)), "24.69");
        assert_eq!(format_balance(format, quota(0, 5)), "0.00");
        assert_eq!(format_balance(format, quota(2_500, 0)), "0.01");
        assert_eq!(format_balance(format, quota(2_499, 0)), "0.00");
        assert_eq!(format_balance(format, quota(-750_000, 0)), "-1.50");
        assert_eq!(format_balance(format, quota(-1, 0)), "0.00");
        assert_eq!(
            format_balance(format, quota(i64::MAX, 0)),
            "18446744073709.55"
        );
    }

    #[test]
    fn seed_balance_reproduces_the_example() {
        assert_eq!(
            format_balance(BalanceFormat::Seed, quota(1_000_000, 250_000)),
            "750.00"
        );
        assert_eq!(
            format_balance(BalanceFormat::Seed, quota(0, 1_005)),
            "-1.01"
        );
    }

    #[test]
    fn scopes_parse_and_print() {
        let both = Scopes::parse_requested(Some("balance  profile")).expect("valid");
        assert_eq!(both.to_string(), "profile balance");
        assert_eq!(
            Scopes::parse_requested(None).expect("default").to_string(),
            "profile"
        );
        assert_eq!(
            Scopes::parse_requested(Some("profile email")),
            Err("email".to_owned())
        );
        let profile = Scopes::parse_list("profile").expect("valid");
        assert!(both.contains(profile));
        assert!(!profile.contains(both));
    }

    #[test]
    fn access_tokens_look_like_jwts() {
        let scopes = Scopes {
            profile: true,
            balance: true,
        };
        let token = jwt_shaped_token(1_700_000_000, 7200, "client", 12345, scopes);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
    }
}
