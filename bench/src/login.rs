//! The login client: complete logins as a browser does them, the login load, and a direct token.

use anyhow::{Context, Result, ensure};
use reqwest::{StatusCode, Url, header};
use serde_json::Value;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{BINDING_COOKIE, PROVIDER, SESSION_COOKIE};

/// A complete login as a browser does it, redirects followed by hand:
/// keyhole's login URL → the simulator's auto-approval → keyhole's callback.
/// Returns the new session cookie's value.
pub(crate) async fn login(http: &reqwest::Client, base: &str) -> Result<String> {
    let start = http
        .get(format!(
            "{base}/api/auth/{PROVIDER}/login?mode=redirect&return_to=/"
        ))
        .send()
        .await?;
    ensure!(
        start.status() == StatusCode::FOUND,
        "login start answered {}",
        start.status()
    );
    let binding = set_cookie(&start, BINDING_COOKIE).context("no login-binding cookie")?;
    let authorize = location(&start)?;
    drain(start).await;

    let approved = http.get(authorize).send().await?;
    ensure!(
        approved.status().is_redirection(),
        "the simulator answered {} (no auto_authorize?)",
        approved.status()
    );
    let callback = location(&approved)?;
    drain(approved).await;

    let done = http
        .get(callback)
        .header(header::COOKIE, format!("{BINDING_COOKIE}={binding}"))
        .send()
        .await?;
    ensure!(
        done.status().is_redirection(),
        "callback answered {}",
        done.status()
    );
    let back = location(&done)?;
    ensure!(
        back.query_pairs().any(|(k, v)| k == "login" && v == "ok"),
        "login failed: back to {back}"
    );
    let session = set_cookie(&done, SESSION_COOKIE).context("no session cookie")?;
    drain(done).await;
    Ok(session)
}

/// The value of cookie `name` set by `response`.
pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, v)| n.trim() == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The redirect target, resolved against the request URL.
pub(crate) fn location(response: &reqwest::Response) -> Result<Url> {
    let to = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("{} without Location", response.status()))?;
    Ok(response.url().join(to)?)
}

/// Reads the body so the connection goes back to the pool.
pub(crate) async fn drain(response: reqwest::Response) {
    let _ = response.bytes().await;
}

/// Logins done by a set of concurrent clients.
#[derive(Debug, Default)]
pub(crate) struct Logins {
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    pub(crate) elapsed: Duration,
    pub(crate) latencies: Vec<Duration>,
    pub(crate) first_error: Option<String>,
}

impl Logins {
    pub(crate) fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Two runs as one: counts, time and samples add up.
    pub(crate) fn merge(mut self, other: Self) -> Self {
        self.ok += other.ok;
        self.failed += other.failed;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
        self.latencies.sort();
        self.first_error = self.first_error.or(other.first_error);
        self
    }
}

/// `workers` clients logging in one after another until `budget` has passed
/// or `max` logins have started.
pub(crate) async fn login_load(
    http: &reqwest::Client,
    base: &str,
    workers: usize,
    budget: Duration,
    max: u64,
) -> Logins {
    let started = Instant::now();
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (http, base, issued) = (http.clone(), base.to_owned(), Arc::clone(&issued));
        tasks.spawn(async move {
            let mut mine = Logins::default();
            while started.elapsed() < budget && issued.fetch_add(1, Ordering::Relaxed) < max {
                let t = Instant::now();
                match login(&http, &base).await {
                    Ok(_) => {
                        mine.ok += 1;
                        mine.latencies.push(t.elapsed());
                    }
                    Err(e) => {
                        mine.failed += 1;
                        mine.first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            mine
        });
    }
    let mut all = Logins::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(mine) => {
                all.ok += mine.ok;
                all.failed += mine.failed;
                all.latencies.extend(mine.latencies);
                if all.first_error.is_none() {
                    all.first_error = mine.first_error;
                }
            }
            Err(e) => {
                all.failed += 1;
                all.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    all.elapsed = started.elapsed();
    all.latencies.sort();
    if let Some(e) = &all.first_error {
        eprintln!("xtask bench: {} logins failed; first: {e}", all.failed);
    }
    eprintln!(
        "xtask bench: {} logins in {:.1} s ({:.0}/s)",
        all.ok,
        all.elapsed.as_secs_f64(),
        all.rate()
    );
    all
}

/// Signs in to the simulator as a plain OAuth client (the dev client, no
/// PKCE) and returns an access token for calling userinfo directly.
pub(crate) async fn direct_token(
    http: &reqwest::Client,
    sim_url: &str,
    app_url: &str,
) -> Result<String> {
    use xtask::sim_dev as dev;
    let redirect_uri = format!("{app_url}{}", dev::AIHUBMIX_REDIRECT_PATH);
    let mut authorize = Url::parse(&format!("{sim_url}/aihubmix/api/oauth2/authorize"))?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", dev::AIHUBMIX_CLIENT_ID)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "profile balance")
        .append_pair("state", "bench")
        .append_pair("auto_authorize", "true");
    let approved = http.get(authorize).send().await?;
    let back = location(&approved)?;
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no code in {back}"))?;
    let tokens: Value = http
        .post(format!("{sim_url}/aihubmix/api/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
        ])
        .send()
        .await?
        .json()
        .await?;
    tokens["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("the simulator issued no access_token")
}
