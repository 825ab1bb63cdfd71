//! App-wide contexts: who is signed in ([`Auth`]) and which providers exist ([`Providers`]).

use std::fmt;

use keyhole_api::{Capability, Me, ProviderInfo};
use leptos::prelude::*;

use crate::api::{self, AppError};

/// The signed-in state: a newtype around the `/api/me` resource.
///
/// `Ok(me)` means signed in; `Err` with code `unauthenticated` means signed
/// out; any other `Err` means the server could not tell.
#[derive(Clone, Copy)]
pub struct Auth(LocalResource<Result<Me, AppError>>);

impl Auth {
    /// Creates the resource and starts loading `/api/me`.
    pub fn new() -> Self {
        Self(LocalResource::new(api::me))
    }

    /// The auth context provided by [`crate::App`].
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The resource itself, to `.await` inside `Suspend`.
    pub fn resource(self) -> LocalResource<Result<Me, AppError>> {
        self.0
    }

    /// Asks the server again, after a login, logout or `unauthenticated` answer.
    pub fn refetch(self) {
        self.0.refetch();
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Auth(LocalResource<Result<Me, AppError>>)")
    }
}

/// The configured providers: a newtype around the `/api/providers` resource.
#[derive(Clone, Copy)]
pub struct Providers(LocalResource<Result<Vec<ProviderInfo>, AppError>>);

impl Providers {
    /// Creates the resource and starts loading `/api/providers`.
    pub fn new() -> Self {
        Self(LocalResource::new(api::providers))
    }

    /// The providers context provided by [`crate::App`].
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The resource itself, to `.await` inside `Suspend`.
    pub fn resource(self) -> LocalResource<Result<Vec<ProviderInfo>, AppError>> {
        self.0
    }

    /// The display name of provider `id`, once the list has loaded (reactive).
    pub fn name_of(self, id: &str) -> Option<String> {
        self.0
            .get()
            .and_then(|list| list.ok()?.into_iter().find(|p| p.id == id).map(|p| p.name))
    }
}

impl Default for Providers {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Providers(LocalResource<Result<Vec<ProviderInfo>, AppError>>)")
    }
}

/// Providers that offer sign-in, in configuration order.
pub fn login_providers(all: Vec<ProviderInfo>) -> Vec<ProviderInfo> {
    all.into_iter()
        .filter(|p| p.capabilities.contains(&Capability::Login))
        .collect()
}
