//! The configured providers: each adapter built from its config entry, its
//! public description derived from what it can do, and the option checks
//! every kind shares.

use crate::{Adapter, Friends, Login, Messaging, Notifier, Topup, Wallet};
use crate::{
    config::ProviderConfig,
    upstream::{Http, Upstream},
};
use keyhole_api::{Capability, ProviderInfo};
use std::{collections::HashMap, sync::Arc};
use url::Url;

/// One configured provider: its public description, its adapter, and the
/// upstream handle the adapter calls through.
#[derive(Debug)]
pub struct Provider {
    info: ProviderInfo,
    adapter: Box<dyn Adapter>,
    http: Http,
}

impl Provider {
    fn new(config: &ProviderConfig, adapter: Box<dyn Adapter>, http: Http) -> Self {
        // Capabilities follow from the traits the adapter offers, so the
        // list the app reads cannot disagree with what the routes allow.
        let login = adapter.login();
        let capabilities = [
            (Capability::Login, login.is_some_and(|l| !l.connect_only())),
            (Capability::Profile, login.is_some()),
            (Capability::Balance, adapter.wallet().is_some()),
            (Capability::Topup, adapter.topup().is_some()),
            (Capability::Notify, adapter.notifier().is_some()),
            (Capability::Friendship, adapter.friends().is_some()),
            (Capability::Messaging, adapter.messaging().is_some()),
        ]
        .into_iter()
        .filter_map(|(capability, has)| has.then_some(capability))
        .collect();
        let sends_via = adapter.messaging().map(|m| m.login_provider().to_owned());
        Self {
            info: ProviderInfo {
                id: config.id.clone(),
                name: config.name.clone(),
                kind: config.kind.clone(),
                capabilities,
                sends_via,
            },
            adapter,
            http,
        }
    }

    /// Public description for `/api/providers`.
    pub fn info(&self) -> &ProviderInfo {
        &self.info
    }

    /// The configured id (the URL segment).
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The upstream handle its adapter uses (timeouts, body cap, metrics
    /// under this id), for calls of the host's own.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// Whether the provider has this capability.
    pub fn can(&self, capability: Capability) -> bool {
        self.info.capabilities.contains(&capability)
    }

    /// See [`Adapter::login`].
    pub fn login(&self) -> Option<&dyn Login> {
        self.adapter.login()
    }

    /// See [`Adapter::wallet`].
    pub fn wallet(&self) -> Option<&dyn Wallet> {
        self.adapter.wallet()
    }

    /// See [`Adapter::topup`].
    pub fn topup(&self) -> Option<&dyn Topup> {
        self.adapter.topup()
    }

    /// See [`Adapter::notifier`].
    pub fn notifier(&self) -> Option<&dyn Notifier> {
        self.adapter.notifier()
    }

    /// See [`Adapter::friends`].
    pub fn friends(&self) -> Option<&dyn Friends> {
        self.adapter.friends()
    }

    /// See [`Adapter::messaging`].
    pub fn messaging(&self) -> Option<&dyn Messaging> {
        self.adapter.messaging()
    }
}

/// The configured providers, by id, in config order.
#[derive(Debug, Clone)]
pub struct Registry {
    // Behind `Arc`s: axum clones the state several times per request, and
    // a deep copy here showed up as a fifth of /api/me's CPU (BENCHMARKS.md).
    order: Arc<[Arc<Provider>]>,
    by_id: Arc<HashMap<String, Arc<Provider>>>,
}

impl Registry {
    /// Builds every adapter; reports every bad kind option at once, each
    /// with its key path (`providers[1].base_url: …`).
    pub fn from_config(
        providers: &[ProviderConfig],
        upstream: &Upstream,
    ) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let mut order = Vec::new();
        for (index, p) in providers.iter().enumerate() {
            let http = upstream.for_provider(&p.id);
            match build(p, http.clone()) {
                Ok(adapter) => order.push(Arc::new(Provider::new(p, adapter, http))),
                Err(errs) => {
                    problems.extend(errs.into_iter().map(|e| format!("providers[{index}].{e}")))
                }
            }
        }
        if problems.is_empty() {
            // Indices match the config only when every provider was built.
            problems.extend(messaging_links(&order));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let by_id = order
            .iter()
            .map(|p| (p.id().to_owned(), Arc::clone(p)))
            .collect();
        Ok(Self {
            order: order.into(),
            by_id: Arc::new(by_id),
        })
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Provider>> {
        self.by_id.get(id)
    }

    /// All providers in config order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Provider>> {
        self.order.iter()
    }
}

/// A messaging provider's `login_provider` must be a configured `line-login`
/// provider: its people's profile ids are the bot's recipients.
fn messaging_links(order: &[Arc<Provider>]) -> Vec<String> {
    let mut problems = Vec::new();
    for (index, p) in order.iter().enumerate() {
        let Some(login) = p.info().sends_via.as_deref() else {
            continue;
        };
        if !order
            .iter()
            .any(|o| o.id() == login && o.info().kind == "line-login")
        {
            problems.push(format!(
                "providers[{index}].login_provider: `{login}` is not a configured line-login provider"
            ));
        }
    }
    problems
}

fn build(p: &ProviderConfig, http: Http) -> Result<Box<dyn Adapter>, Vec<String>> {
    use crate::*;
    Ok(match p.kind.as_str() {
        "aihubmix" => Box::new(aihubmix::AiHubMix::new(p, http)?),
        "oauth2" => Box::new(generic::Generic::new(p, http)?),
        "line-login" => Box::new(line_login::LineLogin::new(p, http)?),
        "elice" => Box::new(elice::Elice::new(p, http)?),
        "oidc" => Box::new(oidc::Oidc::new(p, http)?),
        "feishu" => feishu::build(p, http)?,
        "line-notify" => Box::new(line_notify::LineNotify::new(p, http)?),
        "line-messaging" => Box::new(line_messaging::LineMessaging::new(p, http)?),
        // Config validation only lets known kinds through.
        other => return Err(vec![format!("kind: unknown kind `{other}`")]),
    })
}

/// Parses an adapter's kind options, naming the offending key on failure.
pub(super) fn parse_options<T: serde::de::DeserializeOwned>(
    p: &ProviderConfig,
) -> Result<T, Vec<String>> {
    toml::Value::Table(p.options.clone())
        .try_into()
        .map_err(|e: toml::de::Error| vec![e.message().to_owned()])
}

/// Collects a kind's endpoint URLs and every problem with its options, so
/// a config with several mistakes is reported in one go.
#[derive(Debug, Default)]
pub(super) struct Check {
    problems: Vec<String>,
}

impl Check {
    /// `value` as an http(s) URL; on failure the problem is noted and a
    /// placeholder returned (never used: [`Check::done`] fails first).
    pub(super) fn url(&mut self, key: &str, value: &str) -> Url {
        match web_url(key, value) {
            Ok(url) => url,
            Err(problem) => {
                self.problem(problem);
                Url::parse("http://placeholder.invalid/").expect("a constant, valid URL")
            }
        }
    }

    /// `base` (trailing slashes ignored) joined with `path`.
    pub(super) fn at(&mut self, key: &str, base: &str, path: &str) -> Url {
        self.url(key, &format!("{}{path}", base.trim_end_matches('/')))
    }

    /// The `over` value of `key` if set, else `base` + `path`.
    pub(super) fn or_at(&mut self, key: &str, over: Option<&str>, base: &str, path: &str) -> Url {
        match over {
            Some(value) => self.url(key, value),
            None => self.at(key, base, path),
        }
    }

    /// Notes `problem` (once, however many endpoints share its cause).
    pub(super) fn problem(&mut self, problem: String) {
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    /// Every problem found, if any.
    pub(super) fn done(self) -> Result<(), Vec<String>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}

/// `value` as an http(s) URL, naming `key` on failure.
pub(super) fn web_url(key: &str, value: &str) -> Result<Url, String> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        Ok(_) => Err(format!("{key}: must be an http or https URL")),
        Err(e) => Err(format!("{key}: {e}")),
    }
}
