//! Store conformance: the same behaviour from every backend (memory, SQLite,
//! Redis on a real `redis-server`), plus what only a file or a server can
//! show: nothing readable at rest, restarts, key rotation, an unreachable
//! Redis.

#![allow(clippy::unwrap_used)]

mod redis_server;

use keyhole::{
    providers::Grant,
    session::{
        Backend, ConnectionRecord, Keyring, LoginMode, MemoryBackend, PendingLogin, RedisBackend,
        SessionId, SessionRecord, SessionStore, SqliteBackend,
    },
};
use keyhole_api::{Balance, ConnectionStatus, Profile};
use oauth2::{AccessToken, RefreshToken};
use redis_server::RedisServer;
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

/// Every backend, fresh; iterating keeps this test's `redis-server` alive.
async fn backends() -> Backends {
    let redis = RedisServer::start().await;
    let list: Vec<(&'static str, Arc<dyn Backend>)> = vec![
        ("memory", Arc::new(MemoryBackend::new())),
        (
            "sqlite",
            Arc::new(SqliteBackend::open(&temp_db("conf")).await.unwrap()),
        ),
        ("redis", Arc::new(redis_backend(&redis, &test_prefix()))),
    ];
    Backends { list, redis }
}

/// The backends of one test and the Redis server behind one of them.
struct Backends {
    list: Vec<(&'static str, Arc<dyn Backend>)>,
    redis: RedisServer,
}

/// Iterates the backends while keeping the server up until the loop ends.
struct BackendsIter {
    list: std::vec::IntoIter<(&'static str, Arc<dyn Backend>)>,
    _redis: RedisServer,
}

impl Iterator for BackendsIter {
    type Item = (&'static str, Arc<dyn Backend>);

    fn next(&mut self) -> Option<Self::Item> {
        self.list.next()
    }
}

impl IntoIterator for Backends {
    type Item = (&'static str, Arc<dyn Backend>);
    type IntoIter = BackendsIter;

    fn into_iter(self) -> BackendsIter {
        BackendsIter {
            list: self.list.into_iter(),
            _redis: self.redis,
        }
    }
}

const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

fn test_prefix() -> String {
    format!("keyhole-test-{}:", rand_suffix())
}

fn redis_backend(server: &RedisServer, prefix: &str) -> RedisBackend {
    RedisBackend::open(&server.url(), prefix, REDIS_TIMEOUT).unwrap()
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

/// Creating a session under an id that exists replaces it whole: the new
/// connections, none of the old ones (a login is written in one step where
/// the backend can).
#[tokio::test]
async fn creating_a_session_again_replaces_it_and_its_connections() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let mut record = session(&[connection("a", "old-a"), connection("b", "old-b")]);
        store.create(&record).await.unwrap();
        record.connections = [("c".to_owned(), connection("c", "new-c"))].into();
        store.create(&record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().expect(name);
        let providers: Vec<&str> = loaded.connections.keys().map(String::as_str).collect();
        assert_eq!(providers, ["c"], "{name}");
        assert_eq!(
            loaded.connections["c"].grant.access_token.secret(),
            "new-c",
            "{name}"
        );
        record.connections.clear();
        store.create(&record).await.unwrap();
        let empty = store.load(&record.id).await.unwrap().expect(name);
        assert!(empty.connections.is_empty(), "{name}");
    }
}

/// A grant that cannot be renewed reads as `ReauthRequired` in the summary
/// once its access token has expired, though its stored status still says
/// `Active`; an expired grant that can be refreshed stays `Active`.
#[tokio::test]
async fn summaries_show_an_expired_grant_without_refresh_as_reauth_required() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let expired = now() - time::Duration::seconds(1);
        let mut dead = connection("dead", "at-dead");
        dead.grant.refresh_token = None;
        dead.grant.expires_at = Some(expired);
        let mut live = connection("live", "at-live");
        live.grant.refresh_token = None;
        let mut renewable = connection("renewable", "at-renewable");
        renewable.grant.expires_at = Some(expired);
        let record = session(&[dead, live, renewable]);
        store.create(&record).await.unwrap();

        let summary = store.load_summary(&record.id).await.unwrap().expect(name);
        let status = |provider: &str| {
            let c = summary.connections.iter().find(|c| c.provider == provider);
            c.map(|c| (c.status, c.usable_until.is_some())).expect(name)
        };
        assert_eq!(
            status("dead"),
            (ConnectionStatus::ReauthRequired, true),
            "{name}"
        );
        assert_eq!(status("live"), (ConnectionStatus::Active, true), "{name}");
        assert_eq!(
            status("renewable"),
            (ConnectionStatus::Active, false),
            "{name}"
        );
        // Computed on read: nothing was written back.
        let stored = store.load_connection(&record.id, "dead").await.unwrap();
        assert_eq!(
            stored.expect(name).expect(name).status,
            ConnectionStatus::Active
        );
    }
}

#[tokio::test]
async fn summaries_and_single_connections_read_what_load_reads() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let mut b = connection("b", "at-b");
        b.status = ConnectionStatus::ReauthRequired;
        let record = session(&[b, connection("a", "at-a")]);
        store.create(&record).await.unwrap();

        let summary = store.load_summary(&record.id).await.unwrap().expect(name);
        assert_eq!(summary.expires_at, record.expires_at, "{name}");
        let providers: Vec<_> = summary.connections.iter().map(|c| &c.provider).collect();
        assert_eq!(providers, ["a", "b"], "{name}: ordered by provider");
        assert_eq!(summary.connections[0].profile.display_name, "王小明");
        assert_eq!(
            summary.connections[1].status,
            ConnectionStatus::ReauthRequired,
            "{name}"
        );

        let a = store.load_connection(&record.id, "a").await.unwrap();
        let a = a.expect(name).expect(name);
        assert_eq!(a.grant.access_token.secret(), "at-a", "{name}");
        assert_eq!(a.balance.unwrap().formatted, "2.00", "{name}");
        let missing = store.load_connection(&record.id, "c").await.unwrap();
        assert!(missing.expect(name).is_none(), "{name}: not connected");

        // A session without connections is still a session.
        let empty = session(&[]);
        store.create(&empty).await.unwrap();
        let summary = store.load_summary(&empty.id).await.unwrap().expect(name);
        assert!(summary.connections.is_empty(), "{name}");
        assert!(
            store
                .load(&empty.id)
                .await
                .unwrap()
                .expect(name)
                .connections
                .is_empty()
        );
        let none = store.load_connection(&empty.id, "a").await.unwrap();
        assert!(none.expect(name).is_none(), "{name}");

        let unknown = SessionId::generate();
        assert!(
            store.load_summary(&unknown).await.unwrap().is_none(),
            "{name}"
        );
        assert!(
            store
                .load_connection(&unknown, "a")
                .await
                .unwrap()
                .is_none(),
            "{name}"
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

/// A refresh's write is a compare-and-set: it lands only over the grant
/// that was used, never over one another refresh stored meanwhile, and
/// never into a session that ended.
#[tokio::test]
async fn a_refreshed_grant_replaces_only_the_grant_it_was_made_from() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let record = session(&[connection("a", "g1")]);
        store.create(&record).await.unwrap();
        let used = record.connections["a"].grant.clone();
        let mut second = used.clone();
        second.access_token = AccessToken::new("g2".to_owned());
        let mut third = used.clone();
        third.access_token = AccessToken::new("g3".to_owned());
        assert!(
            store
                .replace_grant(&record.id, "a", &used, &second)
                .await
                .unwrap(),
            "{name}"
        );
        // A late refresh from the same old grant does not overwrite g2.
        assert!(
            !store
                .replace_grant(&record.id, "a", &used, &third)
                .await
                .unwrap(),
            "{name}"
        );
        let loaded = store.load(&record.id).await.unwrap().unwrap().connections["a"].clone();
        assert_eq!(loaded.grant.access_token.secret(), "g2", "{name}");
        store.delete(&record.id).await.unwrap();
        assert!(
            !store
                .replace_grant(&record.id, "a", &second, &third)
                .await
                .unwrap(),
            "{name}"
        );
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
        // Redis expires keys itself: its sweep finds nothing left to remove.
        let swept = short.sweep().await.unwrap();
        assert!(
            swept >= 1 || name == "redis",
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
        let taken = store
            .take_pending("s1", "aihubmix", "hash")
            .await
            .unwrap()
            .expect(name);
        assert_eq!(taken.pkce_verifier, "verifier-secret");
        assert!(
            store
                .take_pending("s1", "aihubmix", "hash")
                .await
                .unwrap()
                .is_none(),
            "{name}: replay"
        );
        assert!(
            store
                .take_pending("old", "aihubmix", "hash")
                .await
                .unwrap()
                .is_none(),
            "{name}: expired"
        );
        assert!(
            store
                .take_pending("never", "aihubmix", "hash")
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
    }
}

/// A pending login is taken only by a caller naming its provider and its
/// browser's binding: one who knows the state alone finds nothing, and the
/// login is still there for its own browser.
#[tokio::test]
async fn a_pending_login_is_not_spent_by_another_browser_or_provider() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        store
            .put_pending(&pending("s1", time::Duration::minutes(10)))
            .await
            .unwrap();
        for (provider, binding) in [("aihubmix", "other"), ("line", "hash"), ("aihubmix", "")] {
            assert!(
                store
                    .take_pending("s1", provider, binding)
                    .await
                    .unwrap()
                    .is_none(),
                "{name}: taken as {provider}/{binding:?}"
            );
        }
        let taken = store.take_pending("s1", "aihubmix", "hash").await.unwrap();
        assert!(taken.is_some(), "{name}: lost to a stranger");
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
async fn kv_records_expire_and_put_if_absent_wins_once() {
    for (name, backend) in backends().await {
        let soon = now() + time::Duration::minutes(5);
        backend.kv_put("k", "one", soon).await.unwrap();
        backend.kv_put("k", "two", soon).await.unwrap();
        assert_eq!(
            backend.kv_get("k").await.unwrap().as_deref(),
            Some("two"),
            "{name}"
        );
        assert!(
            !backend.kv_put_if_absent("k", "three", soon).await.unwrap(),
            "{name}: present"
        );
        backend.kv_delete("k").await.unwrap();
        assert!(backend.kv_get("k").await.unwrap().is_none(), "{name}");

        // Concurrent callers (as on several instances): exactly one wins.
        let mut racers = tokio::task::JoinSet::new();
        for i in 0..20 {
            let backend = Arc::clone(&backend);
            racers.spawn(async move {
                backend
                    .kv_put_if_absent("race", &format!("v{i}"), soon)
                    .await
                    .unwrap()
            });
        }
        let wins = racers.join_all().await.into_iter().filter(|w| *w).count();
        assert_eq!(wins, 1, "{name}: put-if-absent winners");

        // Expired records are absent, and can be claimed again.
        let past = now() - time::Duration::seconds(1);
        backend.kv_put("old", "x", past).await.unwrap();
        assert!(backend.kv_get("old").await.unwrap().is_none(), "{name}");
        let short = now() + time::Duration::milliseconds(50);
        assert!(backend.kv_put_if_absent("brief", "a", short).await.unwrap());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(backend.kv_get("brief").await.unwrap().is_none(), "{name}");
        assert!(
            backend.kv_put_if_absent("brief", "b", soon).await.unwrap(),
            "{name}: expired counts as absent"
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

#[tokio::test]
async fn nothing_is_readable_at_rest_in_redis_and_every_key_expires() {
    let server = RedisServer::start().await;
    let prefix = test_prefix();
    let store = SessionStore::new(
        Arc::new(redis_backend(&server, &prefix)),
        Keyring::ephemeral(),
        IDLE,
    );
    let record = session(&[connection("a", "ACCESS-TOKEN-PLAINTEXT")]);
    store.create(&record).await.unwrap();
    store
        .put_pending(&pending("STATE-PLAINTEXT", time::Duration::minutes(5)))
        .await
        .unwrap();
    assert!(store.try_lock("LOCK-NAME", "me", IDLE).await.unwrap());

    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 3, "{keys:?}");
    let mut dump = String::new();
    for key in &keys {
        assert!(key.starts_with(&prefix), "{key} outside the prefix");
        let ttl: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(ttl > 0, "{key} has no expiry ({ttl})");
        dump.push_str(key);
        let kind: String = redis::cmd("TYPE")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        if kind == "hash" {
            let fields: Vec<String> = redis::cmd("HGETALL")
                .arg(key)
                .query_async(&mut conn)
                .await
                .unwrap();
            dump.push_str(&fields.join(" "));
        } else {
            let value: String = redis::cmd("GET")
                .arg(key)
                .query_async(&mut conn)
                .await
                .unwrap();
            dump.push_str(&value);
        }
    }
    for secret in [
        "ACCESS-TOKEN-PLAINTEXT",
        "verifier-secret",
        "STATE-PLAINTEXT",
        "LOCK-NAME",
        "wang.xiaoming",
        record.id.secret(),
    ] {
        assert!(!dump.contains(secret), "{secret} readable at rest");
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_a_quick_error_not_a_hang() {
    // Nothing listens: refused at once.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = RedisBackend::open(
        &format!("redis://127.0.0.1:{closed}/0"),
        "k:",
        REDIS_TIMEOUT,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = refused.ping().await.unwrap_err();
    assert!(started.elapsed() < REDIS_TIMEOUT, "{:?}", started.elapsed());
    assert!(err.to_string().contains("redis"), "{err}");

    // Something accepts but never answers (a hung or partitioned server):
    // the deadline ends the wait.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let hung =
        RedisBackend::open(&format!("redis://127.0.0.1:{port}/0"), "k:", REDIS_TIMEOUT).unwrap();
    let store = SessionStore::new(Arc::new(hung), Keyring::ephemeral(), IDLE);
    let started = std::time::Instant::now();
    assert!(store.load(&SessionId::generate()).await.is_err());
    let waited = started.elapsed();
    assert!(
        waited >= REDIS_TIMEOUT && waited < REDIS_TIMEOUT * 3,
        "{waited:?}"
    );
    drop(silent);
}

#[tokio::test]
async fn a_redis_backend_recovers_by_itself_when_redis_returns() {
    let mut server = RedisServer::start().await;
    let backend: Arc<dyn Backend> = Arc::new(redis_backend(&server, &test_prefix()));
    let store = SessionStore::new(Arc::clone(&backend), Keyring::new([7u8; 32], &[]), IDLE);
    let record = session(&[connection("a", "x")]);
    store.create(&record).await.unwrap();

    server.stop();
    let started = std::time::Instant::now();
    assert!(store.load(&record.id).await.is_err(), "down: an error");
    assert!(store.ping().await.is_err());
    assert!(
        started.elapsed() < REDIS_TIMEOUT * 2,
        "{:?}",
        started.elapsed()
    );

    // Same port, empty (nothing persisted): the session is gone, but the
    // same backend answers again without being rebuilt.
    server.restart().await;
    store.ping().await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
    store.create(&record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_some());
}

#[tokio::test]
async fn rediss_urls_use_tls_and_a_failed_handshake_is_a_store_error() {
    // A plain server cannot complete the TLS handshake: the TLS path is
    // built in, and its failure is an ordinary, bounded store error.
    let server = RedisServer::start().await;
    let url = server.url().replace("redis://", "rediss://");
    let tls = RedisBackend::open(&url, "k:", REDIS_TIMEOUT).unwrap();
    let started = std::time::Instant::now();
    let err = tls.ping().await.unwrap_err();
    assert!(
        started.elapsed() < REDIS_TIMEOUT * 3,
        "{:?}",
        started.elapsed()
    );
    eprintln!(
        "rediss to a plain server: {err} after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn key_values_expire_are_sealed_and_put_if_absent_is_exclusive() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(Arc::clone(&backend), Keyring::ephemeral(), IDLE);
        let hour = Duration::from_secs(3600);
        store.kv_put("k", &"one", hour).await.unwrap();
        store.kv_put("k", &"two", hour).await.unwrap();
        let value: Option<String> = store.kv_get("k").await.unwrap();
        assert_eq!(value.as_deref(), Some("two"), "{name}: replaced");
        assert!(
            !store.kv_put_if_absent("k", &"three", hour).await.unwrap(),
            "{name}: present"
        );
        store.kv_delete("k").await.unwrap();
        store.kv_delete("k").await.unwrap();
        assert_eq!(store.kv_get::<String>("k").await.unwrap(), None, "{name}");

        // Exactly one of many concurrent claims wins.
        let claims = (0..8).map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.kv_put_if_absent("event", &i, hour).await.unwrap() })
        });
        let mut won = 0;
        for claim in claims {
            won += usize::from(claim.await.unwrap());
        }
        assert_eq!(won, 1, "{name}: one claim wins");

        // An expired value is absent, and can be claimed again.
        let short = Duration::from_millis(50);
        assert!(store.kv_put_if_absent("short", &1, short).await.unwrap());
        store.kv_put("gone", &1, short).await.unwrap();
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(store.kv_get::<u8>("gone").await.unwrap(), None, "{name}");
        assert!(
            store.kv_put_if_absent("short", &2, hour).await.unwrap(),
            "{name}: expired counts as absent"
        );

        // Sealed: another key opens nothing (and no error).
        let stranger = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        assert_eq!(
            stranger.kv_get::<u8>("short").await.unwrap(),
            None,
            "{name}"
        );
    }
}

/// The SQLite database and its WAL are readable by their owner only.
#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let path = temp_db("mode");
    let backend = SqliteBackend::open(&path).await.unwrap();
    let store = SessionStore::new(Arc::new(backend), Keyring::ephemeral(), IDLE);
    store
        .kv_put("k", &1, Duration::from_secs(60))
        .await
        .unwrap();
    let wal = path.with_file_name("keyhole.db-wal");
    for file in [&path, &wal] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

/// Counters count atomically, start again after their window, and are one
/// count for every instance on the same store.
#[tokio::test]
async fn counters_are_shared_and_start_again_after_their_window() {
    for (name, backend) in backends().await {
        let store = SessionStore::new(backend, Keyring::ephemeral(), IDLE);
        let window = Duration::from_millis(300);
        let mut counts = Vec::new();
        for _ in 0..3 {
            counts.push(store.kv_incr("quota:x", window).await.unwrap());
        }
        assert_eq!(counts, [1, 2, 3], "{name}");
        assert_eq!(store.kv_incr("quota:y", window).await.unwrap(), 1, "{name}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(store.kv_incr("quota:x", window).await.unwrap(), 1, "{name}");
    }
    // Two instances on one Redis: one count, racing or not.
    let redis = RedisServer::start().await;
    let prefix = test_prefix();
    let a = SessionStore::new(
        Arc::new(redis_backend(&redis, &prefix)),
        Keyring::ephemeral(),
        IDLE,
    );
    let b = SessionStore::new(
        Arc::new(redis_backend(&redis, &prefix)),
        Keyring::ephemeral(),
        IDLE,
    );
    let window = Duration::from_secs(60);
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        calls.spawn(async move { store.kv_incr("quota:shared", window).await.unwrap() });
    }
    let mut counts = calls.join_all().await;
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<u64>>());
}
