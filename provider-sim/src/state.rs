//! The simulator's shared state: one `World` behind one mutex, reached through `Sim`.

use std::sync::{Arc, Mutex, PoisonError};

use axum::http::{HeaderMap, header::HOST};

use crate::{
    SimConfig, aihubmix,
    clients::Clients,
    clock::Clock,
    elice,
    faults::{Counters, Faults},
    feishu, line_login, line_messaging, line_notify, oidc,
    users::{self, User},
};

/// Everything the simulator knows. Handlers reach it only through [`Sim::with`].
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) clock: Clock,
    pub(crate) users: Vec<User>,
    pub(crate) clients: Clients,
    pub(crate) counters: Counters,
    pub(crate) faults: Faults,
    pub(crate) aihubmix: aihubmix::DialectState,
    pub(crate) elice: elice::DialectState,
    pub(crate) feishu: feishu::DialectState,
    pub(crate) oidc: oidc::DialectState,
    pub(crate) line_login: line_login::DialectState,
    pub(crate) line_notify: line_notify::DialectState,
    /// The Messaging API, including users' friendships with official accounts.
    pub(crate) line_bot: line_messaging::DialectState,
}

impl World {
    fn seeded(app_url: &str) -> Self {
        Self {
            clock: Clock::default(),
            users: users::seed(),
            clients: Clients::seeded(app_url),
            counters: Counters::seeded(),
            faults: Faults::default(),
            aihubmix: aihubmix::DialectState::default(),
            elice: elice::DialectState::default(),
            feishu: feishu::DialectState::default(),
            oidc: oidc::DialectState::default(),
            line_login: line_login::DialectState::default(),
            line_notify: line_notify::DialectState::default(),
            line_bot: line_messaging::DialectState::default(),
        }
    }

    /// Back to the seeded state. Registered clients stay: they are configuration
    /// (a test registers a second provider instance once), not per-test state.
    pub(crate) fn reset(&mut self) {
        self.clock = Clock::default();
        self.users = users::seed();
        self.counters = Counters::seeded();
        self.faults = Faults::default();
        self.aihubmix = aihubmix::DialectState::default();
        self.elice = elice::DialectState::default();
        self.feishu = feishu::DialectState::default();
        self.oidc = oidc::DialectState::default();
        // LINE Login keeps its per-channel settings, as registered clients stay.
        self.line_login.reset();
        self.line_notify = line_notify::DialectState::default();
        self.line_bot = line_messaging::DialectState::default();
    }

    pub(crate) fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    pub(crate) fn user_mut(&mut self, id: u64) -> Option<&mut User> {
        self.users.iter_mut().find(|user| user.id == id)
    }
}

/// The handle every handler gets as axum state.
///
/// A `std::sync::Mutex` rather than Tokio's: every critical section is short and
/// synchronous, and [`Sim::with`] takes a plain closure, so the lock cannot be
/// held across an `.await` by construction (latency faults sleep outside it).
#[derive(Debug, Clone)]
pub(crate) struct Sim {
    world: Arc<Mutex<World>>,
    base_url: Option<Arc<str>>,
}

impl Sim {
    pub(crate) fn new(config: &SimConfig, base_url: Option<String>) -> Self {
        let app_url = config.app_url.trim_end_matches('/');
        Self {
            world: Arc::new(Mutex::new(World::seeded(app_url))),
            base_url: base_url.map(Arc::from),
        }
    }

    /// Runs `f` with the world locked.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        // A panic in another handler must not wedge a test fixture: take the
        // data as it was left rather than poisoning every later request.
        let mut world = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut world)
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
}
