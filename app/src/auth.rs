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

    /// The display name of provider `id`, once the list has loaded (untracked).
    pub fn name_of_untracked(self, id: &str) -> Option<String> {
        self.0
            .get_untracked()
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

/// Providers the dashboard can connect to an existing session: those that
/// sign in, and connect-only ones (a notification service) — every provider
/// whose connection has a profile. A messaging service has neither: it is not
/// connected, it messages an account signed in through another provider.
pub fn connectable(provider: &ProviderInfo) -> bool {
    provider
        .capabilities
        .iter()
        .any(|c| matches!(c, Capability::Login | Capability::Profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(id: &str, capabilities: &[Capability]) -> ProviderInfo {
        ProviderInfo {
            id: id.to_owned(),
            name: id.to_owned(),
            kind: id.to_owned(),
            capabilities: capabilities.to_vec(),
            sends_via: None,
        }
    }

    #[test]
    fn sign_in_lists_login_providers_and_connect_lists_profile_ones_too() {
        let all = vec![
            provider("aihubmix", &[Capability::Login, Capability::Balance]),
            provider("line-notify", &[Capability::Profile, Capability::Notify]),
            provider("line-bot", &[Capability::Messaging]),
        ];
        let ids = |list: Vec<ProviderInfo>| list.into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids(login_providers(all.clone())), ["aihubmix"]);
        let connect: Vec<_> = all.into_iter().filter(connectable).collect();
        assert_eq!(ids(connect), ["aihubmix", "line-notify"]);
    }
}
