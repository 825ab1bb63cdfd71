//! The soak's side of the wire: a load balancer over both instances, a person's login through it, and the live sessions.

use anyhow::{Context, Result};
use rand::Rng;
use reqwest::{RequestBuilder, Response, StatusCode, header};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use super::tally::{Class, Tally};
use crate::{
    BINDING_COOKIE, PROVIDER, SESSION_COOKIE,
    login::{drain, location, set_cookie},
};

/// Sends each request to one instance, round robin, and a request whose
/// connection is refused (an instance restarting) to the other one, as a
/// load balancer with retries does. Every request is recorded.
#[derive(Debug)]
pub(crate) struct Balancer {
    pub(crate) http: reqwest::Client,
    pub(crate) bases: [String; 2],
    /// The origin the app is served from (`Origin` of state changes).
    pub(crate) public: String,
    next: AtomicUsize,
    pub(crate) tally: Arc<Tally>,
}

impl Balancer {
    pub(crate) fn new(
        http: reqwest::Client,
        bases: [String; 2],
        public: String,
        tally: Arc<Tally>,
    ) -> Self {
        Self {
            http,
            bases,
            public,
            next: AtomicUsize::new(0),
            tally,
        }
    }

    /// `request(base)` on the next instance (or on `on`), recorded as
    /// `class`; `None` when no instance answered.
    pub(crate) async fn send(
        &self,
        class: Class,
        on: Option<usize>,
        request: impl Fn(&str) -> RequestBuilder,
    ) -> Option<Response> {
        let first = on.unwrap_or_else(|| self.next.fetch_add(1, Ordering::Relaxed)) % 2;
        let started = Instant::now();
        let mut answer = request(&self.bases[first]).send().await;
        if answer.as_ref().is_err_and(reqwest::Error::is_connect) {
            self.tally.failovers.fetch_add(1, Ordering::Relaxed);
            answer = request(&self.bases[1 - first]).send().await;
        }
        let status = answer.as_ref().map_or(0, |r| r.status().as_u16());
        self.tally.record(class, status, started);
        answer.ok()
    }

    /// The status of `GET path` with `session`, body read.
    pub(crate) async fn get(
        &self,
        class: Class,
        on: Option<usize>,
        path: &str,
        session: &str,
    ) -> u16 {
        let cookie = format!("{SESSION_COOKIE}={session}");
        let answer = self
            .send(class, on, |base| {
                self.http
                    .get(format!("{base}{path}"))
                    .header(header::COOKIE, &cookie)
            })
            .await;
        status_of(answer).await
    }

    /// Ends `session` as the app does (CSRF header, same-origin `Origin`).
    pub(crate) async fn logout(&self, session: &str) -> u16 {
        let cookie = format!("{SESSION_COOKIE}={session}");
        let answer = self
            .send(Class::Logout, None, |base| {
                self.http
                    .post(format!("{base}/api/auth/logout"))
                    .header(header::COOKIE, &cookie)
                    .header(header::ORIGIN, &self.public)
                    .header("x-keyhole-csrf", "1")
            })
            .await;
        status_of(answer).await
    }

    /// A person's login from `address` (named in `X-Forwarded-For`): the
    /// start and the callback go through the balancer as `class`, the
    /// provider leg to the simulator. The session cookie, or `None` when
    /// keyhole refused a step (the status is recorded).
    pub(crate) async fn login(&self, class: Class, address: &str) -> Result<Option<String>> {
        let start = self
            .send(class, None, |base| {
                self.http
                    .get(format!(
                        "{base}/api/auth/{PROVIDER}/login?mode=redirect&return_to=/"
                    ))
                    .header("x-forwarded-for", address)
            })
            .await;
        let Some(start) = start.filter(|r| r.status() == StatusCode::FOUND) else {
            return Ok(None);
        };
        let binding = set_cookie(&start, BINDING_COOKIE).context("no login-binding cookie")?;
        let authorize = location(&start)?;
        drain(start).await;

        let approved = self.http.get(authorize).send().await?;
        let callback = location(&approved)?;
        drain(approved).await;
        // The callback names the public origin; the balancer picks the instance.
        let path = match callback.query() {
            Some(query) => format!("{}?{query}", callback.path()),
            None => callback.path().to_owned(),
        };
        let done = self
            .send(class, None, |base| {
                self.http
                    .get(format!("{base}{path}"))
                    .header(header::COOKIE, format!("{BINDING_COOKIE}={binding}"))
                    .header("x-forwarded-for", address)
            })
            .await;
        let Some(done) = done.filter(|r| r.status().is_redirection()) else {
            return Ok(None);
        };
        let session = set_cookie(&done, SESSION_COOKIE);
        drain(done).await;
        Ok(session)
    }
}

/// A private client address (10.0.0.0/8), one per person.
pub(crate) fn address(rng: &mut impl Rng) -> String {
    let [a, b, c]: [u8; 3] = rng.random();
    format!("10.{a}.{b}.{c}")
}

/// The signed-in sessions the run keeps using, and those it only checks at the end.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    live: Mutex<Vec<String>>,
    /// Sessions only checked at the end: a storm's or a flood's, whose
    /// per-session call budget is spent (the steady load would see 429s).
    parked: Mutex<Vec<String>>,
}

impl Sessions {
    pub(crate) fn add(&self, session: String) {
        self.lock().push(session);
    }

    pub(crate) fn park(&self, session: String) {
        self.parked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(session);
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// A live session at random (it stays live).
    pub(crate) fn pick(&self, rng: &mut impl Rng) -> Option<String> {
        let live = self.lock();
        (!live.is_empty()).then(|| live[rng.random_range(0..live.len())].clone())
    }

    /// Takes a live session at random out of use.
    pub(crate) fn take(&self, rng: &mut impl Rng) -> Option<String> {
        let mut live = self.lock();
        if live.is_empty() {
            return None;
        }
        let i = rng.random_range(0..live.len());
        Some(live.swap_remove(i))
    }

    /// Takes `session` out of use (it was lost).
    pub(crate) fn remove(&self, session: &str) {
        self.lock().retain(|s| s != session);
    }

    /// Every session that should still be signed in: live and parked.
    pub(crate) fn all(&self) -> Vec<String> {
        let mut all = self.lock().clone();
        all.extend(
            self.parked
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned(),
        );
        all
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The status of `answer` (0 for none), its body read.
async fn status_of(answer: Option<Response>) -> u16 {
    let Some(r) = answer else { return 0 };
    let status = r.status().as_u16();
    drain(r).await;
    status
}
