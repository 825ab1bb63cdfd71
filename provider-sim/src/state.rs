//! The simulator's shared state: one `World` behind one mutex, reached through `Sim`.
//!
//! The world holds only what every dialect shares (clock, users, clients,
//! counters, faults). Each dialect owns its own state ([`crate::dialect`]);
//! the registry here reaches those states through [`Registered`] only, so
//! this file names no dialect.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::{
    http::{HeaderMap, header::HOST},
    response::Response,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{
    clients::Clients,
    clock::Clock,
    faults::{self, Counters, Faults},
    net::Conn,
    users::{self, User},
};

/// Everything the dialects share. Handlers reach it only through [`Sim::with`].
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) clock: Clock,
    pub(crate) users: Vec<User>,
    pub(crate) clients: Clients,
    pub(crate) counters: Counters,
    pub(crate) faults: Faults,
    /// Every counter key, for a reset.
    counter_keys: Arc<[&'static str]>,
}

impl World {
    /// Back to the seeded state. Registered clients stay: they are configuration
    /// (a test registers a second provider instance once), not per-test state.
    pub(crate) fn reset(&mut self) {
        self.clock = Clock::default();
        self.users = users::seed();
        self.counters = Counters::seeded(&self.counter_keys);
        self.faults = Faults::default();
    }

    pub(crate) fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    pub(crate) fn user_mut(&mut self, id: u64) -> Option<&mut User> {
        self.users.iter_mut().find(|user| user.id == id)
    }
}

/// `POST /_sim/tokens/revoke`: what to revoke, as if the user had disconnected
/// the app at the provider. Every dialect revokes what it knows of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Revoke {
    pub(crate) access_token: Option<String>,
    pub(crate) refresh_token: Option<String>,
    /// Revokes every token of this user.
    pub(crate) user_id: Option<u64>,
}

/// What the shared admin API and home page need of a dialect, without naming it.
pub(crate) trait Registered: Send + Sync {
    /// The dialect name clients register under (`POST /_sim/clients`).
    fn name(&self) -> &'static str;
    /// The home page's line: provider, path, dev client id.
    fn index(&self) -> (&'static str, String, String);
    /// Endpoint names a fault can target.
    fn endpoints(&self) -> &'static [&'static str];
    /// Back to the seeded state.
    fn reset(&self);
    /// Revokes what `request` names; how many tokens were still usable.
    fn revoke(&self, request: &Revoke) -> usize;
    /// Adds the dialect's fields to a user's admin view.
    fn describe_user(&self, user: &User, view: &mut Map<String, Value>);
}

/// A mutex-guarded piece of state, as each dialect keeps its own.
pub(crate) type Shared<T> = Arc<Mutex<T>>;

/// Locks `shared`. A panic in another handler must not wedge a test fixture:
/// take the data as it was left rather than poisoning every later request.
pub(crate) fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The handle every handler gets as axum state.
///
/// A `std::sync::Mutex` rather than Tokio's: every critical section is short and
/// synchronous, and [`Sim::with`] takes a plain closure, so the lock cannot be
/// held across an `.await` by construction (latency faults sleep outside it).
#[derive(Clone)]
pub(crate) struct Sim {
    world: Shared<World>,
    base_url: Option<Arc<str>>,
    dialects: Arc<[Box<dyn Registered>]>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Sim {
    /// A world with `clients` and counters at zero for `counter_keys`.
    pub(crate) fn new(
        clients: Clients,
        counter_keys: Vec<&'static str>,
        base_url: Option<String>,
        dialects: Vec<Box<dyn Registered>>,
    ) -> Self {
        let counter_keys: Arc<[&'static str]> = counter_keys.into();
        let world = World {
            clock: Clock::default(),
            users: users::seed(),
            clients,
            counters: Counters::seeded(&counter_keys),
            faults: Faults::default(),
            counter_keys,
        };
        Self {
            world: Arc::new(Mutex::new(world)),
            base_url: base_url.map(Arc::from),
            dialects: dialects.into(),
        }
    }

    /// Runs `f` with the world locked.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut lock(&self.world))
    }

    /// Every registered dialect.
    pub(crate) fn dialects(&self) -> &[Box<dyn Registered>] {
        &self.dialects
    }

    /// The simulator's own origin, for absolute URLs it hands out.
    pub(crate) fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(base) = &self.base_url {
            return base.to_string();
        }
        let host = headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("127.0.0.1");
        format!("http://{host}")
    }

    /// Starts a call to `endpoint`: counts it (also under `detail_counter`, e.g.
    /// the grant-specific key of a token call), then plays the next fault queued
    /// for it. `Some` is the response to send instead of running the endpoint.
    pub(crate) async fn begin(
        &self,
        conn: &Conn,
        endpoint: &str,
        detail_counter: Option<&str>,
    ) -> Option<Response> {
        let fault = self.with(|world| {
            world.counters.bump(endpoint);
            if let Some(key) = detail_counter {
                world.counters.bump(key);
            }
            world.faults.take(endpoint)
        })?;
        faults::play(fault, conn).await
    }
}
