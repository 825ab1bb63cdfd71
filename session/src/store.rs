//! The session store the handlers use: typed records over any [`Backend`],
//! with ids hashed and every value sealed, idle and absolute expiry, and the
//! store-wide refresh lock.

use super::{
    ConnectionRecord, ConnectionView, SessionId, SessionRecord, SessionSummary,
    backend::{Backend, StoreError, StoredConnection, StoredSession},
    seal::Keyring,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use keyhole_api::{Balance, ConnectionStatus, Profile};
use keyhole_providers::grant::Grant;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use std::{sync::Arc, time::Duration};
use time::OffsetDateTime;

/// Sessions, connections, pending logins and locks; cheap to clone.
#[derive(Debug, Clone)]
pub struct SessionStore {
    pub(crate) backend: Arc<dyn Backend>,
    keys: Keyring,
    idle: time::Duration,
}

/// What the `meta` field holds.
#[derive(Serialize, Deserialize)]
struct Meta {
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

/// What a connection's `state` field holds (everything but the grant).
#[derive(Serialize, Deserialize)]
struct State {
    status: ConnectionStatus,
    /// [`ConnectionView::usable_until`], copied from the grant whenever the
    /// whole connection or its state is written, so the summary knows it
    /// without opening the grant. Absent in rows written before it existed:
    /// those read as before, and turn `ReauthRequired` when next used.
    #[serde(default, with = "time::serde::rfc3339::option")]
    usable_until: Option<OffsetDateTime>,
    profile: Profile,
    balance: Option<Balance>,
    #[serde(with = "time::serde::rfc3339")]
    connected_at: OffsetDateTime,
}

impl State {
    /// The connection as the person sees it at `now`.
    ///
    /// A grant that cannot be renewed and whose access token has expired
    /// reads as `ReauthRequired` here, computed on every read rather than
    /// written back: a read stays a read (no store write, no lock, and no
    /// race in which a late write marks a fresh sign-in that replaced the
    /// connection meanwhile), it needs no call to the provider, and every
    /// instance flips at the same moment. The stored status still changes
    /// the first time the dead token is used (`keyhole::tokens`).
    fn into_view(self, provider: &str, now: OffsetDateTime) -> ConnectionView {
        let status = match self.usable_until {
            Some(until) if until <= now => ConnectionStatus::ReauthRequired,
            _ => self.status,
        };
        ConnectionView {
            provider: provider.to_owned(),
            status,
            usable_until: self.usable_until,
            profile: self.profile,
            balance: self.balance,
            connected_at: self.connected_at,
        }
    }
}

/// The store key of a browser-held value: its SHA-256, so a copy of the
/// store does not yield working session ids or login states.
pub(crate) fn hashed(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

impl SessionStore {
    /// A store over `backend`, sealing with `keys`; sessions end after
    /// `idle` without use, and at their absolute expiry in any case.
    pub fn new(backend: Arc<dyn Backend>, keys: Keyring, idle: Duration) -> Self {
        Self {
            backend,
            keys,
            idle: time::Duration::try_from(idle).unwrap_or(time::Duration::DAY),
        }
    }

    pub(crate) fn seal<T: Serialize>(&self, value: &T, aad: &str) -> Result<String, StoreError> {
        let json = serde_json::to_vec(value).map_err(|e| StoreError(format!("encode: {e}")))?;
        Ok(self.keys.seal(&json, aad))
    }

    /// Opens a sealed value; `None` (logged) when it no longer opens — a lost
    /// key or a tampered row signs the person out rather than failing.
    pub(crate) fn open<T: DeserializeOwned>(&self, sealed: &str, aad: &str) -> Option<T> {
        let bytes = self
            .keys
            .open(sealed, aad)
            .map_err(|e| tracing::warn!(error = %e, "unreadable session data dropped"))
            .ok()?;
        serde_json::from_slice(&bytes)
            .map_err(|e| tracing::warn!(error = %e, "undecodable session data dropped"))
            .ok()
    }

    fn row_expiry(&self, absolute: OffsetDateTime) -> OffsetDateTime {
        absolute.min(keyhole_providers::clock::now() + self.idle)
    }

    /// The stored session and its opened metadata, unless missing, expired,
    /// or unreadable. Extends its idle expiry when a tenth of the idle
    /// window has passed since the last time.
    async fn load_stored(&self, sid: &str) -> Result<Option<(StoredSession, Meta)>, StoreError> {
        let Some(stored) = self.backend.load(sid).await? else {
            return Ok(None);
        };
        let Some(meta) = self.open::<Meta>(&stored.meta, &format!("session:{sid}")) else {
            return Ok(None);
        };
        let wanted = self.row_expiry(meta.expires_at);
        if wanted - stored.expires_at > self.idle / 10 {
            self.backend.touch(sid, wanted).await?;
        }
        Ok(Some((stored, meta)))
    }

    /// The session with every connection's grant opened.
    pub async fn load(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let sid = hashed(id.secret());
        let Some((stored, meta)) = self.load_stored(&sid).await? else {
            return Ok(None);
        };
        let connections = stored
            .connections
            .iter()
            .filter_map(|c| self.open_connection(&sid, c))
            .map(|c| (c.provider.clone(), c))
            .collect();
        Ok(Some(SessionRecord {
            id: id.clone(),
            created_at: meta.created_at,
            expires_at: meta.expires_at,
            connections,
        }))
    }

    /// The session as the person sees it: no grant is opened (no tokens
    /// are decrypted or parsed for a read that never shows them).
    pub async fn load_summary(&self, id: &SessionId) -> Result<Option<SessionSummary>, StoreError> {
        let sid = hashed(id.secret());
        let Some((stored, meta)) = self.load_stored(&sid).await? else {
            return Ok(None);
        };
        let now = keyhole_providers::clock::now();
        let mut connections: Vec<ConnectionView> = stored
            .connections
            .iter()
            .filter_map(|c| {
                let state: State = self.open(&c.state, &state_aad(&sid, &c.provider))?;
                Some(state.into_view(&c.provider, now))
            })
            .collect();
        connections.sort_by(|a, b| a.provider.cmp(&b.provider));
        Ok(Some(SessionSummary {
            expires_at: meta.expires_at,
            connections,
        }))
    }

    /// One connection with its grant, opening nothing else. `None` without
    /// a session; `Some(None)` when the session has no readable connection
    /// to `provider`.
    pub async fn load_connection(
        &self,
        id: &SessionId,
        provider: &str,
    ) -> Result<Option<Option<ConnectionRecord>>, StoreError> {
        let sid = hashed(id.secret());
        let Some((stored, _)) = self.load_stored(&sid).await? else {
            return Ok(None);
        };
        Ok(Some(
            stored
                .connections
                .iter()
                .find(|c| c.provider == provider)
                .and_then(|c| self.open_connection(&sid, c)),
        ))
    }

    fn open_connection(&self, sid: &str, c: &StoredConnection) -> Option<ConnectionRecord> {
        let grant: Grant = self.open(&c.grant, &grant_aad(sid, &c.provider))?;
        let state: State = self.open(&c.state, &state_aad(sid, &c.provider))?;
        Some(ConnectionRecord {
            provider: c.provider.clone(),
            grant,
            status: state.status,
            profile: state.profile,
            balance: state.balance,
            connected_at: state.connected_at,
        })
    }

    /// Creates the session with all its connections.
    pub async fn create(&self, record: &SessionRecord) -> Result<(), StoreError> {
        let sid = hashed(record.id.secret());
        let meta = Meta {
            created_at: record.created_at,
            expires_at: record.expires_at,
        };
        let sealed = self.seal(&meta, &format!("session:{sid}"))?;
        let connections = record
            .connections
            .values()
            .map(|c| self.seal_connection(&sid, c))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.backend
            .create_with(
                &sid,
                &sealed,
                self.row_expiry(record.expires_at),
                &connections,
            )
            .await
    }

    /// Deletes the session and its connections.
    pub async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.backend.delete(&hashed(id.secret())).await
    }

    /// Writes a whole connection (login). False if the session is gone.
    pub async fn put_connection(
        &self,
        id: &SessionId,
        connection: &ConnectionRecord,
    ) -> Result<bool, StoreError> {
        let sid = hashed(id.secret());
        let sealed = self.seal_connection(&sid, connection)?;
        self.backend
            .put_connection(
                &sid,
                &sealed.provider,
                Some(&sealed.grant),
                Some(&sealed.state),
            )
            .await
    }

    /// A whole connection's grant and state, each sealed for its row.
    fn seal_connection(
        &self,
        sid: &str,
        connection: &ConnectionRecord,
    ) -> Result<StoredConnection, StoreError> {
        let provider = &connection.provider;
        Ok(StoredConnection {
            provider: provider.clone(),
            grant: self.seal(&connection.grant, &grant_aad(sid, provider))?,
            state: self.seal(&state_of(connection), &state_aad(sid, provider))?,
        })
    }

    /// Writes only the grant (after a refresh). False if the session is gone.
    /// The state's `usable_until` stays as it was: a refresh needs a refresh
    /// token and keeps one, so a refreshed grant stays renewable. A grant
    /// with a new expiry and no refresh token goes through
    /// [`put_connection`](Self::put_connection).
    pub async fn put_grant(
        &self,
        id: &SessionId,
        provider: &str,
        grant: &Grant,
    ) -> Result<bool, StoreError> {
        let sid = hashed(id.secret());
        let grant = self.seal(grant, &grant_aad(&sid, provider))?;
        self.backend
            .put_connection(&sid, provider, Some(&grant), None)
            .await
    }

    /// Writes `fresh` in place of `used`, only if the stored grant still is
    /// `used` (a compare-and-set on the sealed value), so a refresh never
    /// overwrites a grant that changed meanwhile. False when it changed, or
    /// the session is gone. Leaves `usable_until` as [`put_grant`](Self::put_grant) does.
    pub async fn replace_grant(
        &self,
        id: &SessionId,
        provider: &str,
        used: &Grant,
        fresh: &Grant,
    ) -> Result<bool, StoreError> {
        let sid = hashed(id.secret());
        let Some(stored) = self.backend.load(&sid).await? else {
            return Ok(false);
        };
        let Some(sealed) = stored.connections.iter().find(|c| c.provider == provider) else {
            return Ok(false);
        };
        let aad = grant_aad(&sid, provider);
        let current: Option<Grant> = self.open(&sealed.grant, &aad);
        if current.is_none_or(|c| c.access_token.secret() != used.access_token.secret()) {
            return Ok(false);
        }
        let fresh = self.seal(fresh, &aad)?;
        self.backend
            .put_grant_if(&sid, provider, &sealed.grant, &fresh)
            .await
    }

    /// Writes everything but the grant (status, profile, balance).
    pub async fn put_state(
        &self,
        id: &SessionId,
        connection: &ConnectionRecord,
    ) -> Result<bool, StoreError> {
        let sid = hashed(id.secret());
        let state = self.seal(
            &state_of(connection),
            &state_aad(&sid, &connection.provider),
        )?;
        self.backend
            .put_connection(&sid, &connection.provider, None, Some(&state))
            .await
    }

    /// Removes one connection.
    pub async fn delete_connection(
        &self,
        id: &SessionId,
        provider: &str,
    ) -> Result<(), StoreError> {
        self.backend
            .delete_connection(&hashed(id.secret()), provider)
            .await
    }

    /// Tries to take a store-wide lock for `ttl`.
    pub async fn try_lock(
        &self,
        name: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.backend.try_lock(&hashed(name), owner, ttl).await
    }

    /// Releases a lock taken by `owner`.
    pub async fn unlock(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        self.backend.unlock(&hashed(name), owner).await
    }

    /// Deletes expired rows.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        self.backend.sweep().await
    }

    /// Unexpired sessions, where the backend can count them cheaply.
    pub async fn count(&self) -> Result<Option<u64>, StoreError> {
        self.backend.count_sessions().await
    }

    /// Whether the backend answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.backend.ping().await
    }
}

fn state_of(c: &ConnectionRecord) -> State {
    State {
        status: c.status,
        usable_until: c
            .grant
            .refresh_token
            .is_none()
            .then_some(c.grant.expires_at)
            .flatten(),
        profile: c.profile.clone(),
        balance: c.balance.clone(),
        connected_at: c.connected_at,
    }
}

fn grant_aad(sid: &str, provider: &str) -> String {
    format!("grant:{sid}:{provider}")
}

fn state_aad(sid: &str, provider: &str) -> String {
    format!("state:{sid}:{provider}")
}
