//! Registered OAuth clients: one dev client per dialect, plus any a test registers.

use std::{collections::HashMap, fmt};

/// A registered application: exact credentials and exactly one redirect URI,
/// as AIHubMix's app registration allows.
#[derive(Clone)]
pub(crate) struct Client {
    /// The dialect's registered name, e.g. `line_login`.
    pub(crate) dialect: &'static str,
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
    by_dialect: HashMap<&'static str, HashMap<String, Client>>,
}

impl Clients {
    pub(crate) fn get(&self, dialect: &str, client_id: &str) -> Option<&Client> {
        self.by_dialect.get(dialect)?.get(client_id)
    }

    /// The names of one dialect's clients.
    pub(crate) fn names(&self, dialect: &str) -> impl Iterator<Item = &str> {
        self.by_dialect
            .get(dialect)
            .into_iter()
            .flat_map(HashMap::values)
            .map(|client| client.name.as_str())
    }

    /// Adds or replaces a client; `true` when it is new.
    pub(crate) fn upsert(&mut self, client: Client) -> bool {
        let clients = self.by_dialect.entry(client.dialect).or_default();
        clients.insert(client.client_id.clone(), client).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client {
            dialect: "aihubmix",
            client_id: "id".to_owned(),
            client_secret: "sim-secret".to_owned(),
            redirect_uri: "http://127.0.0.1:8080/api/auth/aihubmix/callback".to_owned(),
            name: "Keyhole (dev)".to_owned(),
        }
    }

    #[test]
    fn clients_are_found_by_dialect_and_id() {
        let mut clients = Clients::default();
        assert!(clients.upsert(client()));
        assert!(!clients.upsert(client()));
        assert!(clients.get("aihubmix", "id").is_some());
        assert!(clients.get("elice", "id").is_none());
        assert_eq!(clients.names("aihubmix").count(), 1);
    }

    #[test]
    fn debug_redacts_the_secret() {
        let printed = format!("{:?}", client());
        assert!(!printed.contains("sim-secret"));
        assert!(printed.contains("[redacted]"));
    }
}
