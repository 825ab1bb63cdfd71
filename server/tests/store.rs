//! Store conformance: the same behaviour from every backend (memory, SQLite;
//! Redis joins with the scale-out work), plus what only a file can show:
//! nothing readable at rest, restarts, key rotation.

#![allow(clippy::unwrap_used)]

use keyhole::{
    providers::Grant,
    session::{
        Backend, ConnectionRecord, Keyring, LoginMode, MemoryBackend, PendingLogin, SessionId,
        SessionRecord, SessionStore, SqliteBackend,
    },
};
use keyhole_api::{Balance, ConnectionStatus, Profile};
use oauth2::{AccessToken, RefreshToken};
use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Duration};
use time::OffsetDateTime;

const IDLE: Duration = Duration::from_secs(3600);

fn now() -> OffsetDateTime {
    keyhole::clock::now()
}

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "keyhole-store-{}-{name}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("keyhole.db")
}

fn rand_suffix() -> String {
    keyhole::session::random_token()[..8].to_owned()
}

async fn backends() -> Vec<(&'static str, Arc<dyn Backend>)> {
    vec![
        ("memory", Arc::new(MemoryBackend::new())),
        (
            "sqlite",
            Arc::new(SqliteBackend::open(&temp_db("conf")).await.unwrap()),
        ),
    ]
}

fn connection(provider: &str, access: &str) -> ConnectionRecord {
    ConnectionRecord {
        provider: provider.to_owned(),
        grant: Grant {
            access_token: AccessToken::new(access.to_owned()),
            refresh_token: Some(RefreshToken::new(format!("refresh_{access}"))),
            expires_at: Some(now() + time::Duration::hours(2)),
            scopes: vec!["profile".to_owned()],
            claims: BTreeMap::new(),
        },
        status: ConnectionStatus::Active,
        profile: Profile {
            id: "12345".to_owned(),
            display_name: "王小明".to_owned(),
            email: Some("wang.xiaoming@example.com".to_owned()),
            avatar_url: None,
            locale: None,
            extra: BTreeMap::new(),
        },
        balance: Some(Balance {
            remaining: "1000000".to_owned(),
            used: None,
            total: None,
            unit: "quota".to_owned(),
            formatted: "2.00".to_owned(),
            as_of: "2026-11-22T00:00:00Z".to_owned(),
        }),
        connected_at: now(),
    }
}

fn session(connections: &[ConnectionRecord]) -> SessionRecord {
    SessionRecord {
        id: SessionId::generate(),
        created_at: now(),
        expires_at: now() + time::Duration::days(1),
        connections: connections
            .iter()
            .map(|c| (c.provider.clone(), c.clone()))
            .collect(),
    }
}

fn pending(state: &str, ttl: time::Duration) -> PendingLogin {
    PendingLogin {
        state: state.to_owned(),
        provider: "aihubmix".to_owned(),
        mode: LoginMode::Popup,
        return_to: "/".to_owned(),
        pkce_verifier: "verifier-secret".to_owned(),
        nonce: "nonce".to_owned(),
        binding_hash: "hash".to_owned(),
        expires_at: now() + ttl,
    }
}

#[tokio::test]
async fn sessions_round_trip_with_their_connections() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let record = session(&[connection("a", "at-a"), connection("b", "at-b")]);
        store.create(&record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().expect(name);
        assert_eq!(loaded.connections.len(), 2, "{name}");
        let a = &loaded.connections["a"];
        assert_eq!(a.grant.access_token.secret(), "at-a", "{name}");
        assert_eq!(a.profile.display_name, "王小明", "{name}");
        assert_eq!(a.balance.as_ref().unwrap().formatted, "2.00", "{name}");
        store.delete(&record.id).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none(), "{name}");
        assert!(
            store.load(&SessionId::generate()).await.unwrap().is_none(),
            "{name}: unknown id"
        );
    }
}

#[tokio::test]
async fn grant_and_state_writes_do_not_overwrite_each_other() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let record = session(&[connection("a", "old")]);
        store.create(&record).await.unwrap();
        // A refresh writes the grant while a balance read writes the state
        // from a copy taken before the refresh: both survive.
        let stale = store.load(&record.id).await.unwrap().unwrap().connections["a"].clone();
        let mut fresh = stale.grant.clone();
        fresh.access_token = AccessToken::new("new".to_owned());
        assert!(store.put_grant(&record.id, "a", &fresh).await.unwrap());
        let mut state = stale;
        state.balance.as_mut().unwrap().formatted = "9.99".to_owned();
        assert!(store.put_state(&record.id, &state).await.unwrap());
        let loaded = store.load(&record.id).await.unwrap().unwrap().connections["a"].clone();
        assert_eq!(loaded.grant.access_token.secret(), "new", "{name}");
        assert_eq!(loaded.balance.unwrap().formatted, "9.99", "{name}");
    }
}

#[tokio::test]
async fn writes_after_logout_do_not_bring_the_session_back() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let record = session(&[connection("a", "x")]);
        store.create(&record).await.unwrap();
        store.delete(&record.id).await.unwrap();
        let c = connection("a", "late");
        assert!(
            !store.put_grant(&record.id, "a", &c.grant).await.unwrap(),
            "{name}"
        );
        assert!(
            !store.put_connection(&record.id, &c).await.unwrap(),
            "{name}"
        );
        assert!(store.load(&record.id).await.unwrap().is_none(), "{name}");
    }
}

#[tokio::test]
async fn one_connection_can_be_removed() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let record = session(&[connection("a", "x"), connection("b", "y")]);
        store.create(&record).await.unwrap();
        store.delete_connection(&record.id, "a").await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(
            loaded.connections.keys().collect::<Vec<_>>(),
            ["b"],
            "{name}"
        );
    }
}

#[tokio::test]
async fn absolute_and_idle_expiry_end_sessions() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(Arc::clone(&backend), Keyring::ephemeral(), IDLE);
        let mut over = session(&[]);
        over.expires_at = now() - time::Duration::seconds(1);
        store.create(&over).await.unwrap();
        assert!(
            store.load(&over.id).await.unwrap().is_none(),
            "{name}: absolute"
        );

        let short = SessionStore::new(backend, Keyring::ephemeral(), Duration::from_millis(300));
        let idle = session(&[]);
        short.create(&idle).await.unwrap();
        assert!(short.load(&idle.id).await.unwrap().is_some(), "{name}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            short.load(&idle.id).await.unwrap().is_none(),
            "{name}: idle"
        );
        assert!(
            short.sweep().await.unwrap() >= 1,
            "{name}: sweep removes expired rows"
        );
    }
}

#[tokio::test]
async fn using_a_session_extends_its_idle_expiry() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), Duration::from_millis(600));
        let record = session(&[]);
        store.create(&record).await.unwrap();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            assert!(
                store.load(&record.id).await.unwrap().is_some(),
                "{name}: kept alive"
            );
        }
    }
}

#[tokio::test]
async fn pending_logins_are_single_use_and_expire() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        store
            .put_pending(&pending("s1", time::Duration::minutes(10)))
            .await
            .unwrap();
        store
            .put_pending(&pending("old", time::Duration::seconds(-1)))
            .await
            .unwrap();
        let taken = store.take_pending("s1").await.unwrap().expect(name);
        assert_eq!(taken.pkce_verifier, "verifier-secret");
        assert!(
            store.take_pending("s1").await.unwrap().is_none(),
            "{name}: replay"
        );
        assert!(
            store.take_pending("old").await.unwrap().is_none(),
            "{name}: expired"
        );
        assert!(
            store.take_pending("never").await.unwrap().is_none(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn locks_are_exclusive_owned_and_expire() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let ttl = Duration::from_secs(30);
        assert!(store.try_lock("l", "me", ttl).await.unwrap(), "{name}");
        assert!(
            !store.try_lock("l", "you", ttl).await.unwrap(),
            "{name}: held"
        );
        store.unlock("l", "you").await.unwrap();
        assert!(
            !store.try_lock("l", "you", ttl).await.unwrap(),
            "{name}: not yours"
        );
        store.unlock("l", "me").await.unwrap();
        assert!(
            store.try_lock("l", "you", ttl).await.unwrap(),
            "{name}: released"
        );
        assert!(
            store
                .try_lock("short", "a", Duration::from_millis(50))
                .await
                .unwrap()
        );
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(
            store.try_lock("short", "b", ttl).await.unwrap(),
            "{name}: expired"
        );
    }
}

#[tokio::test]
async fn nothing_is_readable_at_rest_in_sqlite() {
    let path = temp_db("rest");
    let store = SessionStore::new(
        Arc::new(SqliteBackend::open(&path).await.unwrap()),
        Keyring::ephemeral(),
        IDLE,
    );
    let record = session(&[connection("a", "ACCESS-TOKEN-PLAINTEXT")]);
    store.create(&record).await.unwrap();
    store
        .put_pending(&pending("STATE-PLAINTEXT", time::Duration::minutes(5)))
        .await
        .unwrap();
    // Checkpoint-independent: read the database file and its WAL.
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    let text = String::from_utf8_lossy(&bytes);
    for secret in [
        "ACCESS-TOKEN-PLAINTEXT",
        "refresh_ACCESS-TOKEN-PLAINTEXT",
        "verifier-secret",
        "STATE-PLAINTEXT",
        "wang.xiaoming",
        record.id.secret(),
    ] {
        assert!(!text.contains(secret), "{secret} readable at rest");
    }
}

#[tokio::test]
async fn sqlite_sessions_survive_a_restart_and_a_key_rotation() {
    let path = temp_db("restart");
    let old = [3u8; 32];
    let new = [4u8; 32];
    let record = session(&[connection("a", "kept")]);
    {
        let store = SessionStore::new(
            Arc::new(SqliteBackend::open(&path).await.unwrap()),
            Keyring::new(old, &[]),
            IDLE,
        );
        store.create(&record).await.unwrap();
    }
    let reopened = SessionStore::new(
        Arc::new(SqliteBackend::open(&path).await.unwrap()),
        Keyring::new(new, &[old]),
        IDLE,
    );
    let loaded = reopened.load(&record.id).await.unwrap().unwrap();
    assert_eq!(loaded.connections["a"].grant.access_token.secret(), "kept");
    // Without the old key the data no longer opens: signed out, no error.
    let forgotten = SessionStore::new(
        Arc::new(SqliteBackend::open(&path).await.unwrap()),
        Keyring::new(new, &[]),
        IDLE,
    );
    assert!(forgotten.load(&record.id).await.unwrap().is_none());
}
