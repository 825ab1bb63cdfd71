//! Helpers shared by the router tests: a keyhole router aimed at a simulator,
//! requests through `oneshot`, and a cookie jar small enough to read.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use keyhole::{Keyhole, config::Config};
use provider_sim::{SimConfig, SimHandle, dev};
use std::collections::BTreeMap;
use tower::ServiceExt;

/// The app origin the tests pretend to serve (never listened on).
pub const APP: &str = "http://127.0.0.1:8080";

/// A keyhole router plus the simulator it talks to.
pub struct Harness {
    pub app: Router,
    /// Where Keyhole's routes are mounted in `app` (`/api` in the binary).
    pub base: String,
    pub state: Keyhole,
    pub sim: SimHandle,
    pub http: reqwest::Client,
}

/// A config with the AIHubMix provider aimed at `sim`; `extra` is appended to
/// the provider table (e.g. `auto_authorize = true`).
pub fn config(sim: &str, extra: &str) -> Config {
    config_with(sim, "", extra)
}

/// Like [`config`], with `top` added to the top-level table.
pub fn config_with(sim: &str, top: &str, extra: &str) -> Config {
    Config::from_toml(&config_text(sim, top, extra), &|name| {
        (name == "KEYHOLE_AIHUBMIX_CLIENT_SECRET").then(|| dev::AIHUBMIX_CLIENT_SECRET.to_owned())
    })
    .unwrap()
}

/// The TOML of [`config_with`], e.g. for a `keyhole` binary's config file
/// (the client secret is `KEYHOLE_AIHUBMIX_CLIENT_SECRET`, never in it).
pub fn config_text(sim: &str, top: &str, extra: &str) -> String {
    format!(
        r#"
        public_url = "{APP}"
        {top}
        [upstream]
        timeout_ms = 1500
        [[providers]]
        id = "aihubmix"
        kind = "aihubmix"
        name = "AIHubMix"
        client_id = "{}"
        base_url = "{sim}/aihubmix"
        {extra}
        "#,
        dev::AIHUBMIX_CLIENT_ID
    )
}

/// Every provider of `dev/keyhole.dev.toml`, aimed at `sim`, with `top`
/// added to the top-level table and an in-memory store.
pub fn dev_config(sim: &str, top: &str) -> Config {
    let dev = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dev/keyhole.dev.toml"
    ))
    .unwrap();
    let providers = &dev[dev.find("\n[[providers]]").unwrap()..];
    let text = format!(
        "public_url = \"{APP}\"\n{top}\n[session]\nstore = \"memory\"\n[upstream]\ntimeout_ms = 1500\n{}",
        providers.replace("http://127.0.0.1:9000", sim)
    );
    Config::from_toml(&text, &|name| dev_secret(name).map(str::to_owned)).unwrap()
}

/// The simulator's dev secret for keyhole's variable `name`.
pub fn dev_secret(name: &str) -> Option<&'static str> {
    Some(match name {
        "KEYHOLE_AIHUBMIX_CLIENT_SECRET" => dev::AIHUBMIX_CLIENT_SECRET,
        "KEYHOLE_LINE_CLIENT_SECRET" => dev::LINE_LOGIN_CHANNEL_SECRET,
        "KEYHOLE_ELICE_CLIENT_SECRET" => dev::ELICE_CLIENT_SECRET,
        "KEYHOLE_FEISHU_CLIENT_SECRET" => dev::FEISHU_APP_SECRET,
        "KEYHOLE_OIDC_CLIENT_SECRET" => dev::OIDC_CLIENT_SECRET,
        "KEYHOLE_LINE_NOTIFY_CLIENT_SECRET" => dev::LINE_NOTIFY_CLIENT_SECRET,
        "KEYHOLE_LINE_BOT_CLIENT_SECRET" => dev::LINE_BOT_CHANNEL_SECRET,
        _ => return None,
    })
}

/// Where the provider sent the browser back to keyhole.
#[derive(Debug, Clone)]
pub enum Callback {
    /// A redirect: path and query on the app.
    Get(String),
    /// A `form_post`: path and the form's fields.
    Post(String, Vec<(String, String)>),
}

/// A simulator whose dev clients redirect to [`APP`].
pub async fn spawn_sim() -> SimHandle {
    provider_sim::spawn(SimConfig {
        app_url: APP.to_owned(),
    })
    .await
    .unwrap()
}

impl Harness {
    /// A fresh simulator and a keyhole router with an in-memory store.
    pub async fn start(extra: &str) -> Self {
        let sim = spawn_sim().await;
        let state = Keyhole::in_memory(config(&sim.base_url, extra)).unwrap();
        Self::with_state(sim, state)
    }

    /// A fresh simulator and keyhole with every provider of the dev config.
    pub async fn start_all() -> Self {
        let sim = spawn_sim().await;
        let state = Keyhole::in_memory(dev_config(&sim.base_url, "")).unwrap();
        Self::with_state(sim, state)
    }

    /// A harness around an already built state and simulator.
    pub fn with_state(sim: SimHandle, state: Keyhole) -> Self {
        Self {
            app: keyhole::router(state.clone()),
            base: state.config.base_path.clone(),
            state,
            sim,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Sends a request through the router.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        // Every response, whatever rewrote it, says its own length truly.
        if let Some(length) = headers.get(header::CONTENT_LENGTH) {
            assert_eq!(
                length.to_str().unwrap(),
                body.len().to_string(),
                "Content-Length of a {status} response"
            );
        }
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// `n` GETs of `uri` with the session cookie of `jar`, all at once;
    /// their statuses.
    pub async fn concurrent_gets(&self, uri: &str, jar: &Jar, n: usize) -> Vec<StatusCode> {
        let cookie = format!("keyhole_session={}", jar.get("keyhole_session").unwrap());
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..n {
            let request = Request::get(uri)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            calls.spawn(self.app.clone().oneshot(request));
        }
        calls
            .join_all()
            .await
            .into_iter()
            .map(|r| r.unwrap().status())
            .collect()
    }

    /// GET `uri` with `jar`'s cookies; stores cookies the response sets.
    pub async fn get(&self, uri: &str, jar: &mut Jar) -> Reply {
        let reply = self
            .send(jar.apply(Request::get(uri)).body(Body::empty()).unwrap())
            .await;
        jar.absorb(&reply.headers);
        reply
    }

    /// GET `uri` with `jar`'s cookies and one more header; stores cookies
    /// the response sets.
    pub async fn get_with(&self, uri: &str, header: (&str, &str), jar: &mut Jar) -> Reply {
        let request = jar
            .apply(Request::get(uri))
            .header(header.0, header.1)
            .body(Body::empty())
            .unwrap();
        let reply = self.send(request).await;
        jar.absorb(&reply.headers);
        reply
    }

    /// POST with the CSRF header, as the app does.
    pub async fn post_app(&self, uri: &str, jar: &mut Jar) -> Reply {
        let request = jar
            .apply(Request::builder().method(Method::POST).uri(uri))
            .header(keyhole_api::CSRF_HEADER, "1")
            .header(header::ORIGIN, APP)
            .body(Body::empty())
            .unwrap();
        let reply = self.send(request).await;
        jar.absorb(&reply.headers);
        reply
    }

    /// Follows the simulator's answers from a provider authorize URL until it
    /// redirects back to the app; returns that callback path and query.
    /// With `allow`, clicks Allow for `user` on a consent page; else Deny.
    pub async fn provider_round_trip(&self, authorize_url: &str, decision: Decision) -> String {
        let response = self.http.get(authorize_url).send().await.unwrap();
        let location = if response.status().is_redirection() {
            location_of(&response)
        } else {
            assert_eq!(response.status(), 200, "consent page expected");
            let html = response.text().await.unwrap();
            let (action, fields) = consent_form(&html);
            let mut form: Vec<(String, String)> = fields;
            let button = match decision {
                Decision::Allow => "allow",
                Decision::Deny => "deny",
            };
            form.push(("decision".to_owned(), button.to_owned()));
            let url = url::Url::parse(authorize_url)
                .unwrap()
                .join(&action)
                .unwrap();
            let response = self.http.post(url).form(&form).send().await.unwrap();
            assert!(response.status().is_redirection(), "{}", response.status());
            location_of(&response)
        };
        let url = url::Url::parse(&location).unwrap();
        assert_eq!(url.origin().ascii_serialization(), APP, "{location}");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Starts a popup login and completes it at the simulator with Allow.
    pub async fn sign_in(&self, jar: &mut Jar) -> Reply {
        let callback = self.approved_callback(jar, "popup").await;
        self.get(&callback, jar).await
    }

    /// Starts a login in `mode` and returns the callback path + query the
    /// simulator sends back after Allow (not yet visited).
    pub async fn approved_callback(&self, jar: &mut Jar, mode: &str) -> String {
        let start = self
            .get(
                &format!("{}/auth/aihubmix/login?mode={mode}", self.base),
                jar,
            )
            .await;
        assert_eq!(start.status, StatusCode::FOUND, "{}", start.body);
        self.provider_round_trip(start.location(), Decision::Allow)
            .await
    }

    /// POSTs JSON with the CSRF header, as the app does.
    pub async fn post_json(&self, uri: &str, body: serde_json::Value, jar: &mut Jar) -> Reply {
        let request = jar
            .apply(Request::builder().method(Method::POST).uri(uri))
            .header(keyhole_api::CSRF_HEADER, "1")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let reply = self.send(request).await;
        jar.absorb(&reply.headers);
        reply
    }

    /// POSTs a form (as a provider's `form_post` would) with `jar`'s cookies.
    pub async fn post_form(&self, uri: &str, form: &[(String, String)], jar: &mut Jar) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = jar
            .apply(Request::builder().method(Method::POST).uri(uri))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let reply = self.send(request).await;
        jar.absorb(&reply.headers);
        reply
    }

    /// Follows the provider from `url` — redirects inside the simulator,
    /// consent pages (answered with `decision`), add-friend steps — until it
    /// sends the browser back to the app.
    pub async fn round_trip(&self, url: &str, decision: Decision) -> Callback {
        let mut response = self.http.get(url).send().await.unwrap();
        for _ in 0..6 {
            let at = response.url().clone();
            if response.status().is_redirection() {
                let target = at.join(&location_of(&response)).unwrap();
                if target.origin().ascii_serialization() == APP {
                    let path = match target.query() {
                        Some(q) => format!("{}?{q}", target.path()),
                        None => target.path().to_owned(),
                    };
                    return Callback::Get(path);
                }
                response = self.http.get(target).send().await.unwrap();
                continue;
            }
            assert_eq!(response.status(), 200, "unexpected answer at {at}");
            let html = response.text().await.unwrap();
            let (action, mut fields) = consent_form(&html);
            let target = at.join(&action).unwrap();
            if target.origin().ascii_serialization() == APP {
                return Callback::Post(target.path().to_owned(), fields);
            }
            if html.contains(r#"name="decision""#) {
                let button = match decision {
                    Decision::Allow => "allow",
                    Decision::Deny => "deny",
                };
                fields.push(("decision".to_owned(), button.to_owned()));
            }
            response = self.http.post(target).form(&fields).send().await.unwrap();
        }
        panic!("the provider never sent the browser back");
    }

    /// A whole login with `provider` in `mode`, with cookies in `jar`.
    pub async fn login(
        &self,
        provider: &str,
        mode: &str,
        decision: Decision,
        jar: &mut Jar,
    ) -> Reply {
        let start = self
            .get(
                &format!("{}/auth/{provider}/login?mode={}", self.base, mode),
                jar,
            )
            .await;
        assert_eq!(
            start.status,
            StatusCode::FOUND,
            "{provider}: {}",
            start.body
        );
        match self.round_trip(start.location(), decision).await {
            Callback::Get(path) => self.get(&path, jar).await,
            Callback::Post(path, fields) => {
                // A browser would not attach our Lax cookies to this cross-site
                // POST: send it without them, then resend as our page does.
                let page = self.post_form(&path, &fields, &mut Jar::default()).await;
                assert!(page.body.contains("keyhole_resubmitted"), "{}", page.body);
                let mut resent = fields;
                resent.push(("keyhole_resubmitted".to_owned(), "1".to_owned()));
                self.post_form(&path, &resent, jar).await
            }
        }
    }

    /// The simulator's admin API.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        sim_admin(&self.http, &self.sim, method, path, body).await
    }

    /// Signs in (AIHubMix) while the simulator issues access tokens that
    /// live `secs`, then puts the usual two hours back.
    pub async fn sign_in_with_token_ttl(&self, jar: &mut Jar, secs: u64) -> Reply {
        let ttl = |secs: u64| serde_json::json!({ "access_token_ttl_secs": secs });
        self.admin(Method::PUT, "/aihubmix/options", ttl(secs))
            .await;
        let reply = self.sign_in(jar).await;
        self.admin(Method::PUT, "/aihubmix/options", ttl(7200))
            .await;
        reply
    }

    /// Call counters of the simulator.
    pub async fn counter(&self, key: &str) -> u64 {
        let counters = self
            .http
            .get(format!("{}/_sim/counters", self.sim.base_url))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        counters[key].as_u64().unwrap_or(0)
    }
}

/// The consent page's choice.
#[derive(Debug, Clone, Copy)]
pub enum Decision {
    Allow,
    Deny,
}

fn location_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

/// The form action and its hidden/checked fields from the consent page.
fn consent_form(html: &str) -> (String, Vec<(String, String)>) {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let start = tag.find(&key)? + key.len();
        let end = tag[start..].find('"')?;
        Some(html_unescape(&tag[start..start + end]))
    };
    let form_start = html.find("<form").unwrap();
    let form_tag = &html[form_start..form_start + html[form_start..].find('>').unwrap()];
    let action = attr(form_tag, "action").unwrap();
    let mut fields = Vec::new();
    let mut rest = &html[form_start..];
    while let Some(i) = rest.find("<input") {
        let end = rest[i..].find('>').unwrap();
        let tag = &rest[i..i + end];
        let kind = attr(tag, "type").unwrap_or_default();
        let keep = kind == "hidden"
            || ((kind == "radio" || kind == "checkbox") && tag.contains("checked"));
        if keep && let (Some(n), Some(v)) = (attr(tag, "name"), attr(tag, "value")) {
            fields.push((n, v));
        }
        rest = &rest[i + end..];
    }
    (action, fields)
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `Set-Cookie` line for `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

/// A browser's cookies for the app origin.
#[derive(Debug, Default, Clone)]
pub struct Jar(pub BTreeMap<String, String>);

impl Jar {
    fn apply(&self, builder: axum::http::request::Builder) -> axum::http::request::Builder {
        if self.0.is_empty() {
            return builder;
        }
        let line = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        builder.header(header::COOKIE, line)
    }

    fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if value.is_empty() || text.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The value of query parameter `name` in `url` (absolute, or a path with a
/// query), decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url)
        .or_else(|_| url::Url::parse(APP).unwrap().join(url))
        .ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A token response fetched straight from the simulator, as the client
/// `client_id` would fetch it: consent at `authorize_url` (which names that
/// client, its redirect URI and the nonce the test wants), then the code
/// exchanged at `token_url` with the secret in the form. A real answer
/// keyhole never asked for, e.g. to replay through a fault.
pub async fn direct_token_response(
    h: &Harness,
    authorize_url: &str,
    token_url: &str,
    (client_id, secret): (&str, &str),
) -> serde_json::Value {
    let Callback::Get(callback) = h.round_trip(authorize_url, Decision::Allow).await else {
        panic!("expected a redirect back with a code");
    };
    let code = query_param(&callback, "code").unwrap();
    let redirect_uri = query_param(authorize_url, "redirect_uri").unwrap();
    let response = h
        .http
        .post(token_url)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

/// A call to `sim`'s admin API (`/_sim{path}`), which must succeed; its JSON
/// answer (null when it has none).
pub async fn sim_admin(
    http: &reqwest::Client,
    sim: &SimHandle,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let response = http
        .request(method, format!("{}/_sim{path}", sim.base_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(serde_json::Value::Null)
}
