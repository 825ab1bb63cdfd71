//! The `Dialect` trait every provider implements, its handlers' state ([`Ctx`]), and the registry builder.
//!
//! A dialect owns its state (codes, tokens, options); the shared [`World`]
//! holds only what every dialect uses. `lib.rs` is the one place that names
//! every dialect: it hands each to a [`Registry`], which mounts its routes,
//! its admin routes and `GET`/`PUT /_sim{PREFIX}/options`, seeds its dev
//! clients and counters, and lets the admin API reset and revoke through it.

use std::{ops::Deref, sync::Arc};

use axum::{Json, Router, extract::State, response::Response, routing::get};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    admin::AdminError,
    clients::{Client, Clients},
    grants::Revoker,
    net::Conn,
    state::{Registered, Revoke, Shared, Sim, World, lock},
    users::User,
};

/// One provider's wire format and quirks, implemented by its state type.
pub(crate) trait Dialect: Sized + Send + 'static {
    /// The name its clients register under (`POST /_sim/clients`), e.g. `line_login`.
    const NAME: &'static str;
    /// Path prefix of its routes, and of its admin routes under `/_sim`.
    const PREFIX: &'static str;
    /// Provider name and entry path (below [`Dialect::PREFIX`]) for the home page.
    const TITLE: (&'static str, &'static str);
    /// Endpoint names a fault can target.
    const ENDPOINTS: &'static [&'static str];
    /// Counter keys beyond the endpoints' own (which are always counted),
    /// such as a token endpoint's per-grant ones.
    const COUNTERS: &'static [&'static str] = &[];
    /// The one dev client of the default [`Dialect::dev_clients`]: id,
    /// secret and redirect path (on the app's origin).
    const DEV_CLIENT: (&'static str, &'static str, &'static str) = ("", "", "");

    /// Behaviour switches, read and patched at `/_sim{PREFIX}/options`. A
    /// patch is merged field by field into the current value, so the type
    /// should refuse unknown fields.
    type Options: Serialize + DeserializeOwned + Clone + Send;

    fn options(&mut self) -> &mut Self::Options;
    /// Refuses option values the type allows but the dialect cannot use.
    fn check_options(_options: &Self::Options) -> Result<(), String> {
        Ok(())
    }
    /// Public routes, nested under [`Dialect::PREFIX`].
    fn routes() -> Router<Ctx<Self>>;
    /// Admin routes beyond the options, merged under `/_sim` (full paths).
    fn admin_routes() -> Router<Ctx<Self>> {
        Router::new()
    }
    /// The clients registered at start, with redirect URIs on `app_url`.
    fn dev_clients(app_url: &str) -> Vec<Client> {
        let (id, secret, path) = Self::DEV_CLIENT;
        vec![dev_client::<Self>(id, secret, format!("{app_url}{path}"))]
    }
    /// Back to the seeded state (configuration such as channel settings may stay).
    fn reset(&mut self);
    /// The grant store the `revoke_*` defaults work on; `None` if the
    /// dialect keeps none (or revokes by hand).
    fn revoker(&mut self) -> Option<&mut dyn Revoker> {
        None
    }
    /// Revokes one access token (`POST /_sim/tokens/revoke`); `false` if it is unknown.
    fn revoke_access_token(&mut self, token: &str) -> bool {
        self.revoker()
            .is_some_and(|grants| grants.revoke_access(token))
    }
    /// Revokes one refresh token; `false` if it is unknown.
    fn revoke_refresh_token(&mut self, token: &str) -> bool {
        self.revoker()
            .is_some_and(|grants| grants.revoke_refresh(token))
    }
    /// Revokes every token of a user; how many were still usable.
    fn revoke_user(&mut self, user_id: u64) -> usize {
        self.revoker()
            .map_or(0, |grants| grants.revoke_user(user_id))
    }
    /// Adds this dialect's fields to a user's `GET /_sim/users` entry.
    fn describe_user(&self, _user: &User, _view: &mut Map<String, Value>) {}
}

/// What a dialect's handlers get as axum state: the shared world and its own state.
pub(crate) struct Ctx<D> {
    sim: Sim,
    state: Shared<D>,
}

impl<D> Clone for Ctx<D> {
    fn clone(&self) -> Self {
        Self {
            sim: self.sim.clone(),
            state: Arc::clone(&self.state),
        }
    }
}

impl<D> Deref for Ctx<D> {
    type Target = Sim;

    fn deref(&self) -> &Sim {
        &self.sim
    }
}

impl<D> Ctx<D> {
    /// Runs `f` with the world and then the dialect's state locked (always in
    /// that order, so two dialects' handlers never wait on each other crosswise).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World, &mut D) -> R) -> R {
        self.sim.with(|world| f(world, &mut lock(&self.state)))
    }

    /// A whole call of `endpoint`: counts it, plays its fault, else runs `f`
    /// as [`Ctx::with`] does.
    pub(crate) async fn call(
        &self,
        conn: &Conn,
        endpoint: &str,
        f: impl FnOnce(&mut World, &mut D) -> Response,
    ) -> Response {
        match self.begin(conn, endpoint, None).await {
            Some(response) => response,
            None => self.with(f),
        }
    }
}

/// A registered dialect, as the shared admin API sees it.
struct Entry<D> {
    state: Shared<D>,
    dev_client: String,
}

impl<D: Dialect> Registered for Entry<D> {
    fn name(&self) -> &'static str {
        D::NAME
    }

    fn index(&self) -> (&'static str, String, String) {
        let (title, path) = D::TITLE;
        (
            title,
            format!("{}{path}", D::PREFIX),
            self.dev_client.clone(),
        )
    }

    fn endpoints(&self) -> &'static [&'static str] {
        D::ENDPOINTS
    }

    fn reset(&self) {
        lock(&self.state).reset();
    }

    fn revoke(&self, request: &Revoke) -> usize {
        let mut state = lock(&self.state);
        let access = request.access_token.as_deref();
        let refresh = request.refresh_token.as_deref();
        usize::from(access.is_some_and(|token| state.revoke_access_token(token)))
            + usize::from(refresh.is_some_and(|token| state.revoke_refresh_token(token)))
            + request.user_id.map_or(0, |user| state.revoke_user(user))
    }

    fn describe_user(&self, user: &User, view: &mut Map<String, Value>) {
        lock(&self.state).describe_user(user, view);
    }
}

type Mount = Box<dyn FnOnce(&Sim) -> Router<Sim>>;

/// Collects the dialects, then builds the [`Sim`] and its router.
pub(crate) struct Registry {
    app_url: String,
    clients: Clients,
    counters: Vec<&'static str>,
    entries: Vec<Box<dyn Registered>>,
    mounts: Vec<Mount>,
}

impl Registry {
    pub(crate) fn new(app_url: &str) -> Self {
        Self {
            app_url: app_url.trim_end_matches('/').to_owned(),
            clients: Clients::default(),
            counters: Vec::new(),
            entries: Vec::new(),
            mounts: Vec::new(),
        }
    }

    /// Registers a dialect with its initial state; returns the state, for a
    /// dialect that reads another's (LINE Login reads the Messaging API's friendships).
    pub(crate) fn add<D: Dialect>(&mut self, state: D) -> Shared<D> {
        let state: Shared<D> = Arc::new(std::sync::Mutex::new(state));
        let clients = D::dev_clients(&self.app_url);
        let dev_client = clients
            .first()
            .map(|client| client.client_id.clone())
            .unwrap_or_default();
        for client in clients {
            self.clients.upsert(client);
        }
        self.counters.extend(D::ENDPOINTS);
        self.counters.extend(D::COUNTERS);
        self.entries.push(Box::new(Entry {
            state: Arc::clone(&state),
            dev_client,
        }));
        let shared = Arc::clone(&state);
        self.mounts.push(Box::new(move |sim: &Sim| {
            let ctx = Ctx {
                sim: sim.clone(),
                state: shared,
            };
            let options = format!("/_sim{}/options", D::PREFIX);
            Router::new()
                .nest(D::PREFIX, D::routes())
                .merge(D::admin_routes())
                .route(&options, get(get_options::<D>).put(put_options::<D>))
                .with_state(ctx)
        }));
        state
    }

    /// The simulator's state and every dialect's routes.
    pub(crate) fn finish(self, base_url: Option<String>) -> (Sim, Router<Sim>) {
        let sim = Sim::new(self.clients, self.counters, base_url, self.entries);
        let router = self
            .mounts
            .into_iter()
            .fold(Router::new(), |router, mount| router.merge(mount(&sim)));
        (sim, router)
    }
}

async fn get_options<D: Dialect>(State(ctx): State<Ctx<D>>) -> Json<D::Options> {
    Json(ctx.with(|_, dialect| dialect.options().clone()))
}

/// `PUT /_sim{PREFIX}/options`: a partial object; absent fields keep their
/// value, `null` clears an optional one.
async fn put_options<D: Dialect>(
    State(ctx): State<Ctx<D>>,
    Json(patch): Json<Value>,
) -> Result<Json<D::Options>, AdminError> {
    let Value::Object(patch) = patch else {
        return Err(AdminError::bad_request("send a JSON object"));
    };
    ctx.with(|_, dialect| {
        let options = patched(dialect.options(), patch)
            .and_then(|options| D::check_options(&options).map(|()| options))
            .map_err(AdminError::bad_request)?;
        *dialect.options() = options.clone();
        Ok(Json(options))
    })
}

/// `value` with the fields of `patch` replaced (a JSON merge one level
/// deep); `Err` says why the result is no `T`.
pub(crate) fn patched<T: Serialize + DeserializeOwned>(
    value: &T,
    patch: Map<String, Value>,
) -> Result<T, String> {
    let Ok(Value::Object(mut merged)) = serde_json::to_value(value) else {
        return Err("the current value does not serialize".to_owned());
    };
    merged.extend(patch);
    serde_json::from_value(Value::Object(merged)).map_err(|error| error.to_string())
}

/// A dev client of dialect `D` with the default display name.
pub(crate) fn dev_client<D: Dialect>(id: &str, secret: &str, redirect_uri: String) -> Client {
    Client {
        dialect: D::NAME,
        client_id: id.to_owned(),
        client_secret: secret.to_owned(),
        redirect_uri,
        name: "Keyhole (dev)".to_owned(),
    }
}

/// A dialect's [`Dialect::Options`]: a struct refusing unknown fields whose
/// fields are declared with their defaults (`name: Type = default,`).
macro_rules! options {
    ($(#[$meta:meta])* struct Options {
        $($(#[$field_meta:meta])* $field:ident: $ty:ty = $default:expr,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct Options {
            $($(#[$field_meta])* pub(crate) $field: $ty,)*
        }

        impl Default for Options {
            fn default() -> Self {
                Self { $($field: $default,)* }
            }
        }
    };
}
pub(crate) use options;
