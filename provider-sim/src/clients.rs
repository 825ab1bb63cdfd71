//! Registered OAuth clients: one dev client per dialect, plus any a test registers.

use std::{collections::HashMap, fmt};

use serde::{Deserialize, Serialize};

use crate::dev;

/// Which provider a client (or an endpoint) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Dialect {
    Aihubmix,
    Elice,
    Feishu,
    Oidc,
    LineLogin,
    LineNotify,
    /// A Messaging API channel: `redirect_uri` is its webhook URL, `name` its
    /// official account's name.
    LineMessaging,
}

/// A registered application: exact credentials and exactly one redirect URI,
/// as AIHubMix's app registration allows.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) dialect: Dialect,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) redirect_uri: String,
    /// Shown on the consent page ("<name> wants to…").
    pub(crate) name: String,
}

// By hand, so the secret never lands in a log line even here.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("dialect", &self.dialect)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .field("name", &self.name)
            .finish()
    }
}

/// All clients, keyed by dialect and client id.
#[derive(Debug, Default)]
pub(crate) struct Clients {
    by_id: HashMap<(Dialect, String), Client>,
}

impl Clients {
    /// The dev clients, with redirect URIs on `app_url` (no trailing slash).
    pub(crate) fn seeded(app_url: &str) -> Self {
        let mut clients = Self::default();
        clients.upsert(Client {
            dialect: Dialect::Aihubmix,
            client_id: dev::AIHUBMIX_CLIENT_ID.to_owned(),
            client_secret: dev::AIHUBMIX_CLIENT_SECRET.to_owned(),
            redirect_uri: format!("{app_url}{}", dev::AIHUBMIX_REDIRECT_PATH),
            name: "Keyhole (dev)".to_owned(),
        });
        clients.upsert(Client {
            dialect: Dialect::Elice,
            client_id: dev::ELICE_CLIENT_ID.to_owned(),
            client_secret: dev::ELICE_CLIENT_SECRET.to_owned(),
            redirect_uri: format!("{app_url}{}", dev::ELICE_REDIRECT_PATH),
            name: "Keyhole (dev)".to_owned(),
        });
        // Feishu calls the client id `app_id` and the secret `app_secret`.
        clients.upsert(Client {
            dialect: Dialect::Feishu,
            client_id: dev::FEISHU_APP_ID.to_owned(),
            client_secret: dev::FEISHU_APP_SECRET.to_owned(),
            redirect_uri: format!("{app_url}{}", dev::FEISHU_REDIRECT_PATH),
            name: "Keyhole (dev)".to_owned(),
        });
        clients.upsert(Client {
            dialect: Dialect::Oidc,
            client_id: dev::OIDC_CLIENT_ID.to_owned(),
            client_secret: dev::OIDC_CLIENT_SECRET.to_owned(),
            redirect_uri: format!("{app_url}{}", dev::OIDC_REDIRECT_PATH),
            name: "Keyhole (dev)".to_owned(),
        });
        let line_login = [
            (dev::LINE_LOGIN_CHANNEL_ID, dev::LINE_LOGIN_CHANNEL_SECRET),
            (
                dev::LINE_LOGIN_NATIVE_CHANNEL_ID,
                dev::LINE_LOGIN_NATIVE_CHANNEL_SECRET,
            ),
        ];
        for (channel_id, secret) in line_login {
            clients.upsert(Client {
                dialect: Dialect::LineLogin,
                client_id: channel_id.to_owned(),
                client_secret: secret.to_owned(),
                redirect_uri: format!("{app_url}{}", dev::LINE_LOGIN_REDIRECT_PATH),
                name: "Keyhole (dev)".to_owned(),
            });
        }
        clients.upsert(Client {
            dialect: Dialect::LineNotify,
            client_id: dev::LINE_NOTIFY_CLIENT_ID.to_owned(),
            client_secret: dev::LINE_NOTIFY_CLIENT_SECRET.to_owned(),
            redirect_uri: format!("{app_url}{}", dev::LINE_NOTIFY_REDIRECT_PATH),
            name: "Keyhole (dev)".to_owned(),
        });
        clients.upsert(Client {
            dialect: Dialect::LineMessaging,
            client_id: dev::LINE_BOT_CHANNEL_ID.to_owned(),
            client_secret: dev::LINE_BOT_CHANNEL_SECRET.to_owned(),
            redirect_uri: format!("{app_url}{}", dev::LINE_BOT_WEBHOOK_PATH),
            name: dev::LINE_BOT_OFFICIAL_ACCOUNT_NAME.to_owned(),
        });
        clients
    }

    pub(crate) fn get(&self, dialect: Dialect, client_id: &str) -> Option<&Client> {
        self.by_id.get(&(dialect, client_id.to_owned()))
    }

    /// The names of one dialect's clients.
    pub(crate) fn names(&self, dialect: Dialect) -> impl Iterator<Item = &str> {
        self.by_id
            .values()
            .filter(move |client| client.dialect == dialect)
            .map(|client| client.name.as_str())
    }

    /// Adds or replaces a client; `true` when it is new.
    pub(crate) fn upsert(&mut self, client: Client) -> bool {
        let key = (client.dialect, client.client_id.clone());
        self.by_id.insert(key, client).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_client_redirects_to_the_app_callback() {
        let clients = Clients::seeded("http://127.0.0.1:8080");
        let client = clients
            .get(Dialect::Aihubmix, dev::AIHUBMIX_CLIENT_ID)
            .expect("dev client");
        assert_eq!(
            client.redirect_uri,
            "http://127.0.0.1:8080/api/auth/aihubmix/callback"
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let clients = Clients::seeded("http://app");
        let client = clients
            .get(Dialect::Aihubmix, dev::AIHUBMIX_CLIENT_ID)
            .expect("dev client");
        let printed = format!("{client:?}");
        assert!(!printed.contains(dev::AIHUBMIX_CLIENT_SECRET));
        assert!(printed.contains("[redacted]"));
    }
}
