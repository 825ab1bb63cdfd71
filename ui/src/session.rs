//! The two resources every component reads: who is signed in ([`Session`]) and which providers exist ([`Providers`]).

use std::fmt;

use keyhole_api::{Capability, Me, ProviderInfo};
use leptos::prelude::*;

use crate::client::{CallError, Client};

/// The signed-in state: a newtype around the `{base}/me` resource.
///
/// `Ok(me)` means signed in; `Err` with code `unauthenticated` means signed
/// out; any other `Err` means the server could not tell. Get it with
/// [`use_session`](crate::use_session).
#[derive(Clone, Copy)]
pub struct Session(LocalResource<Result<Me, CallError>>);

impl Session {
    /// Creates the resource and starts loading `{base}/me`.
    pub fn new(client: Client) -> Self {
        Self(LocalResource::new(move || client.me()))
    }

    /// The session once loaded (tracked): `Some(Some(me))` signed in,
    /// `Some(None)` signed out or unknown, `None` still loading.
    pub fn me(self) -> Option<Option<Me>> {
        self.0.get().map(Result::ok)
    }

    /// True once `{base}/me` answered with a session (tracked).
    pub fn is_signed_in(self) -> bool {
        self.0.with(|me| matches!(me, Some(Ok(_))))
    }

    /// The resource itself, to `.await` inside `Suspend`.
    pub fn resource(self) -> LocalResource<Result<Me, CallError>> {
        self.0
    }

    /// Asks the server again, after a login, logout or `unauthenticated` answer.
    pub fn refetch(self) {
        self.0.refetch();
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Session(LocalResource<Result<Me, CallError>>)")
    }
}

/// The configured providers: a newtype around the `{base}/providers`
/// resource. Get it with [`use_providers`](crate::use_providers).
#[derive(Clone, Copy)]
pub struct Providers(LocalResource<Result<Vec<ProviderInfo>, CallError>>);

impl Providers {
    /// Creates the resource and starts loading `{base}/providers`.
    pub fn new(client: Client) -> Self {
        Self(LocalResource::new(move || client.providers()))
    }

    /// The resource itself, to `.await` inside `Suspend`.
    pub fn resource(self) -> LocalResource<Result<Vec<ProviderInfo>, CallError>> {
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

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Providers(LocalResource<Result<Vec<ProviderInfo>, CallError>>)")
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
