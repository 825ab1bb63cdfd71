//! The two resources every component reads: who is signed in ([`Session`]) and which providers exist ([`Providers`]).

use std::fmt;

use keyhole_api::{Capability, Me, ProviderInfo};
use leptos::{prelude::*, task::spawn_local};

use crate::client::{CallError, Client};

/// One answer of Keyhole kept in a signal: `None` until the first answer,
/// then the latest one, kept on screen while the next loads.
///
/// Written here rather than using Leptos's `LocalResource`: the two
/// resources of the components need nothing of its async machinery
/// (`Suspense`, `.await`), which cost the bundle more than this whole file
/// (measured in BENCHMARKS.md, "First load"). A refetch that finishes
/// after a newer one is dropped, so the newest request always wins.
struct Answer<T: Send + Sync + 'static> {
    value: RwSignal<Option<Result<T, CallError>>>,
    asked: StoredValue<u64>,
}

// By hand: a derive would ask `T: Copy`; the handles are `Copy` for any `T`.
impl<T: Send + Sync + 'static> Clone for Answer<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Answer<T> {}

impl<T: Send + Sync + 'static> Answer<T> {
    fn new() -> Self {
        Self {
            value: RwSignal::new(None),
            asked: StoredValue::new(0),
        }
    }

    /// A new request's number; only its answer, or a newer one's, lands.
    fn ask(self) -> u64 {
        self.asked
            .try_update_value(|asked| {
                *asked += 1;
                *asked
            })
            .unwrap_or_default()
    }

    fn answer(self, number: u64, answer: Result<T, CallError>) {
        if self.asked.try_get_value() == Some(number) {
            _ = self.value.try_set(Some(answer));
        }
    }
}

/// The signed-in state: the latest answer of `{base}/me`.
///
/// `Ok(me)` means signed in; `Err` with code `unauthenticated` means signed
/// out; any other `Err` means the server could not tell. Get it with
/// [`use_session`](crate::use_session).
#[derive(Clone, Copy)]
pub struct Session {
    client: Client,
    answer: Answer<Me>,
}

impl Session {
    /// Starts loading `{base}/me`.
    pub fn new(client: Client) -> Self {
        let session = Self {
            client,
            answer: Answer::new(),
        };
        session.refetch();
        session
    }

    /// The latest answer (tracked); `None` before the first. While a
    /// refetch runs, the previous answer stays.
    pub fn get(self) -> Option<Result<Me, CallError>> {
        self.answer.value.get()
    }

    /// The session once loaded (tracked): `Some(Some(me))` signed in,
    /// `Some(None)` signed out or unknown, `None` still loading.
    pub fn me(self) -> Option<Option<Me>> {
        self.get().map(Result::ok)
    }

    /// True once `{base}/me` answered with a session (tracked).
    pub fn is_signed_in(self) -> bool {
        self.answer.value.with(|me| matches!(me, Some(Ok(_))))
    }

    /// Asks the server again, after a login, logout or `unauthenticated` answer.
    pub fn refetch(self) {
        let number = self.answer.ask();
        spawn_local(async move {
            let me = self.client.me().await;
            self.answer.answer(number, me);
        });
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Session")
    }
}

/// The configured providers: the latest answer of `{base}/providers`. Get
/// it with [`use_providers`](crate::use_providers).
#[derive(Clone, Copy)]
pub struct Providers {
    client: Client,
    answer: Answer<Vec<ProviderInfo>>,
}

impl Providers {
    /// Starts loading `{base}/providers`.
    pub fn new(client: Client) -> Self {
        let providers = Self {
            client,
            answer: Answer::new(),
        };
        providers.refetch();
        providers
    }

    /// The latest answer (tracked); `None` before the first.
    pub fn get(self) -> Option<Result<Vec<ProviderInfo>, CallError>> {
        self.answer.value.get()
    }

    /// The list once loaded (tracked); empty before, or when it failed.
    pub fn list(self) -> Vec<ProviderInfo> {
        self.get().and_then(Result::ok).unwrap_or_default()
    }

    /// Asks the server again (a "Try again" button).
    pub fn refetch(self) {
        let number = self.answer.ask();
        spawn_local(async move {
            let list = self.client.providers().await;
            self.answer.answer(number, list);
        });
    }

    /// The display name of provider `id`, once the list has loaded (reactive).
    pub fn name_of(self, id: &str) -> Option<String> {
        self.answer.value.with(|list| name_in(list, id))
    }

    /// The display name of provider `id`, once the list has loaded (untracked).
    pub fn name_of_untracked(self, id: &str) -> Option<String> {
        self.answer.value.with_untracked(|list| name_in(list, id))
    }
}

/// The name of provider `id` in a loaded list.
fn name_in(list: &Option<Result<Vec<ProviderInfo>, CallError>>, id: &str) -> Option<String> {
    let list = list.as_ref()?.as_ref().ok()?;
    list.iter().find(|p| p.id == id).map(|p| p.name.clone())
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Providers")
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

    #[test]
    fn a_slow_older_answer_never_replaces_a_newer_one() {
        let answer = Answer::<u32>::new();
        assert_eq!(answer.value.get_untracked(), None);
        let first = answer.ask();
        let second = answer.ask();
        answer.answer(second, Ok(2));
        answer.answer(first, Ok(1));
        assert_eq!(answer.value.get_untracked(), Some(Ok(2)));
        // A refetch keeps the last answer on screen until its own lands.
        let third = answer.ask();
        assert_eq!(answer.value.get_untracked(), Some(Ok(2)));
        answer.answer(third, Err(CallError::Network("offline".to_owned())));
        assert!(matches!(answer.value.get_untracked(), Some(Err(_))));
    }

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
