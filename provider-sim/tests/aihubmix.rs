//! Contract tests of the AIHubMix dialect, over real HTTP against `spawn`.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use provider_sim::{SimConfig, SimHandle, dev, spawn};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/auth/aihubmix/callback";
const STATE: &str = "state-123 with spaces & symbols";
const VERIFIER: &str = "a-pkce-verifier-that-is-long-enough-0123456789abcdef";

/// A running simulator plus a client that, like Keyhole's, never follows redirects.
struct Harness {
    sim: SimHandle,
    http: reqwest::Client,
}

impl Harness {
    async fn start() -> Self {
        let sim = spawn(SimConfig::default()).await.expect("simulator starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client builds");
        Self { sim, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url)
    }

    /// The authorize URL with the dev client's defaults, overridden or extended by `extra`
    /// (an empty value removes the parameter).
    fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "profile balance"),
            ("state", STATE),
        ];
        for (key, value) in extra {
            params.retain(|(existing, _)| existing != key);
            if !value.is_empty() {
                params.push((key, value));
            }
        }
        let mut url = Url::parse(&self.url("/aihubmix/api/oauth2/authorize")).expect("url");
        url.query_pairs_mut().extend_pairs(params);
        url.into()
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.http
            .get(url)
            .send()
            .await
            .expect("request is answered")
    }

    /// Submits the consent form in `html` the way a browser would.
    async fn decide(&self, html: &str, user_id: &str, decision: &str) -> reqwest::Response {
        let mut form = hidden_fields(html);
        form.push(("user_id".to_owned(), user_id.to_owned()));
        form.push(("decision".to_owned(), decision.to_owned()));
        let action = attribute_after(html, "<form", "action").expect("form action");
        self.http
            .post(self.url(&action))
            .form(&form)
            .send()
            .await
            .expect("decision is answered")
    }

    /// Runs authorize with `auto_authorize=true` and returns the code.
    async fn code(&self, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("auto_authorize", "true")];
        params.extend_from_slice(extra);
        let response = self.get(&self.authorize_url(&params)).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let query = redirect_query(&response);
        assert_eq!(query.get("state").map(String::as_str), Some(STATE));
        query.get("code").expect("code in redirect").clone()
    }

    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/aihubmix/api/oauth2/token"))
            .form(form)
            .send()
            .await
            .expect("token endpoint answers");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    async fn exchange(&self, code: &str, verifier: Option<&str>) -> (StatusCode, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier));
        }
        self.token(&form).await
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await
    }

    /// A full login with `scope`; returns the token response.
    async fn tokens(&self, scope: &str) -> Value {
        let code = self.code(&[("scope", scope)]).await;
        let (status, body) = self.exchange(&code, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn bearer_get(&self, path: &str, access_token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("request is answered")
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
        let response = self
            .http
            .request(method, self.url(path))
            .json(&body)
            .send()
            .await
            .expect("admin answers");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response
    }

    async fn counters(&self) -> Value {
        self.get(&self.url("/_sim/counters"))
            .await
            .json()
            .await
            .expect("JSON counters")
    }
}

fn location(response: &reqwest::Response) -> Url {
    let value = response
        .headers()
        .get(header::LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ASCII Location");
    Url::parse(value).expect("absolute Location")
}

fn redirect_query(response: &reqwest::Response) -> HashMap<String, String> {
    let url = location(response);
    assert_eq!(
        url[..url::Position::AfterPath],
        *REDIRECT_URI,
        "redirects to the registered URI"
    );
    url.query_pairs().into_owned().collect()
}

/// The value of attribute `name` in the first tag starting with `tag`.
fn attribute_after(html: &str, tag: &str, name: &str) -> Option<String> {
    let start = html.find(tag)?;
    let tag_text = &html[start..start + html[start..].find('>')?];
    let needle = format!("{name}=\"");
    let value_start = tag_text.find(&needle)? + needle.len();
    let value_len = tag_text[value_start..].find('"')?;
    Some(
        html_escape::decode_html_entities(&tag_text[value_start..value_start + value_len])
            .into_owned(),
    )
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.match_indices("<input type=\"hidden\"")
        .filter_map(|(index, _)| {
            let rest = &html[index..];
            let name = attribute_after(rest, "<input", "name")?;
            let value = attribute_after(rest, "<input", "value")?;
            Some((name, value))
        })
        .collect()
}

fn challenge(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The consent page names the app, lists every test user as a labelled radio
/// (first one checked) and offers Allow and Deny; values are escaped.
#[tokio::test]
async fn consent_page_lists_users_and_buttons() {
    let h = Harness::start().await;
    let response = h.get(&h.authorize_url(&[])).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.expect("body");
    assert!(html.contains("Keyhole (dev)"));
    for name in ["王小明", "สมชาย ใจดี", "김민준", "Alice Example"] {
        assert!(html.contains(name), "{name} listed");
    }
    assert!(html.contains("wang.xiaoming@example.com"));
    assert_eq!(html.matches("type=\"radio\"").count(), 4);
    assert_eq!(html.matches(" checked").count(), 1);
    assert!(html.contains("value=\"12345\" checked"));
    assert!(html.contains(">Allow</button>"));
    assert!(html.contains(">Deny</button>"));
    assert!(html.contains("Your account balance"));
    // The state came back escaped, and round-trips through the hidden field.
    assert!(!html.contains(STATE));
    let hidden: HashMap<String, String> = hidden_fields(&html).into_iter().collect();
    assert_eq!(hidden["state"], STATE);
    assert_eq!(hidden["redirect_uri"], REDIRECT_URI);
}

/// Allow sends the browser back with a code and the unchanged state, and remembers the user.
#[tokio::test]
async fn allow_redirects_with_code_and_state() {
    let h = Harness::start().await;
    let html = h
        .get(&h.authorize_url(&[]))
        .await
        .text()
        .await
        .expect("body");
    let response = h.decide(&html, "12347", "allow").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .expect("remembers the user")
        .to_str()
        .expect("ASCII")
        .to_owned();
    let query = redirect_query(&response);
    assert_eq!(query["state"], STATE);
    assert!(!query.contains_key("error"));

    let (status, tokens) = h.exchange(&query["code"], None).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().expect("access token");
    let info: Value = h
        .bearer_get("/aihubmix/api/oauth2/userinfo", access)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["id"], 12347);
    assert_eq!(info["username"], "minjun");

    // auto_authorize now signs the remembered user in without a page.
    let pair = cookie.split(';').next().expect("name=value");
    let response = h
        .http
        .get(h.authorize_url(&[("auto_authorize", "true")]))
        .header(header::COOKIE, pair)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::FOUND);
    let code = redirect_query(&response)["code"].clone();
    let (_, tokens) = h.exchange(&code, None).await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["id"], 12347);
}

/// Deny redirects with `access_denied` and the state, and no code.
#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let h = Harness::start().await;
    let html = h
        .get(&h.authorize_url(&[]))
        .await
        .text()
        .await
        .expect("body");
    let response = h.decide(&html, "12345", "deny").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let raw = location(&response);
    assert!(
        raw.as_str()
            .contains("error=access_denied&error_description=The+user+denied+the+request&state=")
    );
    let query = redirect_query(&response);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], STATE);
    assert!(!query.contains_key("code"));
}

/// An unknown client or a redirect URI that is not exactly the registered one
/// gets an error page, never a redirect.
#[tokio::test]
async fn untrusted_redirects_get_an_error_page() {
    let h = Harness::start().await;
    for extra in [
        [(
            "redirect_uri",
            "http://127.0.0.1:8080/api/auth/aihubmix/callback/",
        )],
        [(
            "redirect_uri",
            "http://evil.example/api/auth/aihubmix/callback",
        )],
        [("client_id", "nobody")],
        [("redirect_uri", "")],
    ] {
        let response = h.get(&h.authorize_url(&extra)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        assert!(response.headers().get(header::LOCATION).is_none());
        let html = response.text().await.expect("body");
        assert!(html.contains("<h1>"));
    }
}

/// Other authorize errors go back to the client as error redirects.
#[tokio::test]
async fn authorize_errors_redirect_to_the_client() {
    let h = Harness::start().await;
    let pkce = challenge(VERIFIER);
    let cases = [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "profile admin")], "invalid_scope"),
        (vec![("state", "")], "invalid_request"),
        (
            vec![("code_challenge", "abc"), ("code_challenge_method", "S256")],
            "invalid_request",
        ),
        (
            vec![
                ("code_challenge", pkce.as_str()),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
    ];
    for (extra, error) in cases {
        let response = h.get(&h.authorize_url(&extra)).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{extra:?}");
        let query = redirect_query(&response);
        assert_eq!(query["error"], error, "{extra:?}");
        assert!(query.contains_key("error_description"));
        if extra.iter().all(|(key, _)| *key != "state") {
            assert_eq!(query["state"], STATE);
        }
    }
}

/// `auto_authorize=true` with no remembered user skips consent for the first user.
#[tokio::test]
async fn auto_authorize_skips_consent() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["id"], 12345);
}

/// A code exchanges once for the documented token response.
#[tokio::test]
async fn code_exchange_happy_path() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["scope"], "profile balance");
    assert!(
        body["access_token"]
            .as_str()
            .expect("string")
            .starts_with("eyJ")
    );
    assert!(
        body["refresh_token"]
            .as_str()
            .expect("string")
            .starts_with("refresh_")
    );
}

/// A second use of a code fails and revokes what the first use issued.
#[tokio::test]
async fn code_reuse_is_invalid_grant_and_revokes_tokens() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (_, tokens) = h.exchange(&code, None).await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let access = tokens["access_token"].as_str().expect("token");
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = h
        .refresh(tokens["refresh_token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Wrong client credentials are `invalid_client` with 401; Basic auth is not accepted.
#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");

    let response = h
        .http
        .post(h.url("/aihubmix/api/oauth2/token"))
        .basic_auth(dev::AIHUBMIX_CLIENT_ID, Some(dev::AIHUBMIX_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_request");
}

/// Missing parameters and unknown grant types get their RFC 6749 codes.
#[tokio::test]
async fn malformed_token_requests() {
    let h = Harness::start().await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = h
        .token(&[
            ("grant_type", "password"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
    let (status, body) = h.exchange("no-such-code", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

/// The token request's redirect_uri must equal the authorize one.
#[tokio::test]
async fn redirect_uri_mismatch_at_token_is_invalid_grant() {
    let h = Harness::start().await;
    let code = h.code(&[]).await;
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8080/other"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

/// With a code_challenge, the exchange needs the matching verifier; without one,
/// a verifier is refused.
#[tokio::test]
async fn pkce_is_checked_when_sent() {
    let h = Harness::start().await;
    let pkce = challenge(VERIFIER);
    let pkce_params = [
        ("code_challenge", pkce.as_str()),
        ("code_challenge_method", "S256"),
    ];

    let code = h.code(&pkce_params).await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let (status, body) = h
        .exchange(
            &code,
            Some("wrong-verifier-wrong-verifier-wrong-verifier-00"),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let (status, _) = h.exchange(&code, Some(VERIFIER)).await;
    assert_eq!(status, StatusCode::OK);

    let code = h.code(&[]).await;
    let (status, body) = h.exchange(&code, Some(VERIFIER)).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
}

/// A refresh returns a new refresh token and invalidates the old one (by
/// default); with the option off the old one keeps working.
#[tokio::test]
async fn refresh_rotates_and_rejects_the_old_token() {
    let h = Harness::start().await;
    let first = h.tokens("profile balance").await;
    let old = first["refresh_token"].as_str().expect("token");
    let (status, second) = h.refresh(old).await;
    assert_eq!(status, StatusCode::OK);
    let new = second["refresh_token"].as_str().expect("token");
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["scope"], "profile balance");

    let (status, body) = h.refresh(old).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = h.refresh(new).await;
    assert_eq!(status, StatusCode::OK);

    h.admin(
        reqwest::Method::PUT,
        "/_sim/aihubmix/options",
        json!({"rotate_invalidates_old": false}),
    )
    .await;
    let tokens = h.tokens("profile").await;
    let old = tokens["refresh_token"].as_str().expect("token");
    let (status, _) = h.refresh(old).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.refresh(old).await;
    assert_eq!(status, StatusCode::OK);

    let counters = h.counters().await;
    assert_eq!(counters["aihubmix.token.refresh_token"], 5);
}

/// Userinfo is a bare object whose fields follow the granted scopes.
#[tokio::test]
async fn userinfo_shape_follows_scopes() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.expect("JSON");
    assert_eq!(
        info,
        json!({
            "id": 12345,
            "username": "xiaoming",
            "email": "wang.xiaoming@example.com",
            "quota": 1_000_000,
            "used_quota": 250_000,
            "balance_formatted": "2.00",
            "created_time": 1_640_995_200,
            "status": 1,
        })
    );

    let tokens = h.tokens("profile").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["username"], "xiaoming");
    for field in ["quota", "used_quota", "balance_formatted"] {
        assert!(info.get(field).is_none(), "{field} needs the balance scope");
    }

    let tokens = h.tokens("balance").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert!(info.get("username").is_none());
    assert!(info.get("email").is_none());
    assert_eq!(info["quota"], 1_000_000);
}

/// Missing, unknown, expired and revoked tokens all get 401 `invalid_token`
/// with a `WWW-Authenticate` challenge.
#[tokio::test]
async fn bad_access_tokens_are_rejected() {
    let h = Harness::start().await;
    let response = h.get(&h.url("/aihubmix/api/oauth2/userinfo")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()[header::WWW_AUTHENTICATE],
        "Bearer error=\"invalid_token\""
    );
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", "nope").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_token");

    let tokens = h.tokens("profile").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::POST,
        "/_sim/tokens/revoke",
        json!({"access_token": access}),
    )
    .await;
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// Advancing the simulated clock past `expires_in` expires the access token,
/// and a refresh still works.
#[tokio::test]
async fn expired_access_token_is_401_and_refresh_recovers() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let access = tokens["access_token"].as_str().expect("token");
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::OK);

    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 7200}),
    )
    .await;
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));

    let (status, fresh) = h
        .refresh(tokens["refresh_token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            fresh["access_token"].as_str().expect("token"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Shorter lifetimes set through the admin API apply to new codes and tokens.
#[tokio::test]
async fn lifetimes_are_configurable() {
    let h = Harness::start().await;
    h.admin(
        reqwest::Method::PUT,
        "/_sim/aihubmix/options",
        json!({"access_token_ttl_secs": 60, "code_ttl_secs": 5}),
    )
    .await;
    let code = h.code(&[]).await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/clock/advance",
        json!({"seconds": 5}),
    )
    .await;
    let (status, body) = h.exchange(&code, None).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let tokens = h.tokens("profile").await;
    assert_eq!(tokens["expires_in"], 60);
}

/// A balance changed through the admin API shows in the next userinfo, in
/// either `balance_formatted` formula.
#[tokio::test]
async fn balance_change_shows_in_userinfo() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::PUT,
        "/_sim/users/12345/aihubmix",
        json!({"quota": 3_750_000, "used_quota": 1_000}),
    )
    .await;
    let info: Value = h
        .bearer_get("/aihubmix/api/oauth2/userinfo", access)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["quota"], 3_750_000);
    assert_eq!(info["used_quota"], 1_000);
    assert_eq!(info["balance_formatted"], "7.50");

    h.admin(
        reqwest::Method::PUT,
        "/_sim/aihubmix/options",
        json!({"balance_format": "seed"}),
    )
    .await;
    let info: Value = h
        .bearer_get("/aihubmix/api/oauth2/userinfo", access)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["balance_formatted"], "3749.00");

    // Reset restores the seeded balance and options, and forgets the tokens.
    let response = h
        .http
        .post(h.url("/_sim/reset"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let tokens = h.tokens("balance").await;
    let info: Value = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["balance_formatted"], "2.00");
}

/// Status faults hit exactly the next N calls; every call is counted.
#[tokio::test]
async fn status_faults_and_counters() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.userinfo", "count": 2, "status": 503}),
    )
    .await;
    for _ in 0..2 {
        let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::OK);

    let counters = h.counters().await;
    assert_eq!(counters["aihubmix.authorize"], 1);
    assert_eq!(counters["aihubmix.token"], 1);
    assert_eq!(counters["aihubmix.token.authorization_code"], 1);
    assert_eq!(counters["aihubmix.token.refresh_token"], 0);
    assert_eq!(counters["aihubmix.userinfo"], 3);
    assert_eq!(counters["aihubmix.topup"], 0);

    let response = h
        .http
        .post(h.url("/_sim/faults"))
        .json(&json!({"endpoint": "aihubmix.nope"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// A malformed-body fault answers 200 with a body that is not JSON.
#[tokio::test]
async fn malformed_body_fault() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.token", "body": "not json"}),
    )
    .await;
    let response = h
        .http
        .post(h.url("/aihubmix/api/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("token"),
            ),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(response.text().await.expect("body"), "not json");
    // The faulted call was counted under its grant, and did not rotate the token.
    assert_eq!(h.counters().await["aihubmix.token.refresh_token"], 1);
    let (status, _) = h
        .refresh(tokens["refresh_token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// A latency fault delays the call, which then proceeds normally.
#[tokio::test]
async fn latency_fault_delays_the_call() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.userinfo", "latency_ms": 300}),
    )
    .await;
    let started = Instant::now();
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/userinfo",
            tokens["access_token"].as_str().expect("token"),
        )
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), StatusCode::OK);
}

/// A drop fault hangs up without any response; the next call works.
#[tokio::test]
async fn drop_fault_hangs_up() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile").await;
    let access = tokens["access_token"].as_str().expect("token");
    h.admin(
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"endpoint": "aihubmix.userinfo", "drop": true}),
    )
    .await;
    let result = h
        .http
        .get(h.url("/aihubmix/api/oauth2/userinfo"))
        .bearer_auth(access)
        .send()
        .await;
    let error = result.expect_err("connection dropped");
    assert!(error.is_request() && !error.is_timeout(), "{error:?}");
    let response = h.bearer_get("/aihubmix/api/oauth2/userinfo", access).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Top-up answers a URL on the simulator, and that page exists.
#[tokio::test]
async fn topup_link_and_page() {
    let h = Harness::start().await;
    let tokens = h.tokens("profile balance").await;
    let response = h
        .bearer_get(
            "/aihubmix/api/oauth2/topup",
            tokens["access_token"].as_str().expect("token"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    let url = body["topup_url"].as_str().expect("topup_url");
    assert_eq!(url, format!("{}/aihubmix/topup", h.sim.base_url));
    let page = h.get(url).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("body").contains("top-up"));

    let response = h.get(&h.url("/aihubmix/api/oauth2/topup")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(h.counters().await["aihubmix.topup"], 2);
}

/// A client registered through the admin API works like the dev client, and
/// its codes do not work for another client.
#[tokio::test]
async fn registered_clients_are_separate() {
    let h = Harness::start().await;
    let second = "http://127.0.0.1:8080/api/auth/aihubmix-2/callback";
    let response = h
        .http
        .post(h.url("/_sim/clients"))
        .json(&json!({
            "dialect": "aihubmix",
            "client_id": "second",
            "client_secret": "second-secret",
            "redirect_uri": second,
            "name": "Second <instance>",
        }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::CREATED);

    let html = h
        .get(&h.authorize_url(&[("client_id", "second"), ("redirect_uri", second)]))
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("Second &lt;instance&gt;"));
    let response = h.decide(&html, "12346", "allow").await;
    let url = location(&response);
    assert!(url.as_str().starts_with(second));
    let code = url
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, value)| value.into_owned())
        .expect("code");

    // The dev client cannot redeem the second client's code.
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", second),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let (status, body) = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", second),
            ("client_id", "second"),
            ("client_secret", "second-secret"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Avatars are generated SVGs.
#[tokio::test]
async fn avatars_are_svg() {
    let h = Harness::start().await;
    let response = h.get(&h.url("/avatars/12346.svg")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/svg+xml");
    assert!(response.text().await.expect("body").starts_with("<svg"));
    let response = h.get(&h.url("/avatars/1.svg")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// `shutdown` stops the server: the port refuses connections afterwards.
#[tokio::test]
async fn shutdown_stops_the_server() {
    let h = Harness::start().await;
    let health = h.url("/_sim/health");
    assert_eq!(h.get(&health).await.status(), StatusCode::OK);
    let Harness { sim, http } = h;
    sim.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&health).send().await.is_err());
    drop(http);
}
