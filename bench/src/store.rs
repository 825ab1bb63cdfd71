//! One session store's run: fresh simulator, keyhole (and Redis), every measurement, then stop.

use anyhow::{Context, Result, bail, ensure};
use reqwest::{StatusCode, header};
use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};
use xtask::{
    e2e,
    proc::{Server, free_port, wait_listening},
    sim_dev, target_dir,
};

use crate::{
    FILL_BUDGET, FILL_TARGET, LOGIN_LOAD, LOGIN_WORKERS, PROVIDER, SESSION_COOKIE,
    baseline::Bare,
    cpu::{CpuUse, Meter, Pids, rss_kib},
    load::{Load, LoadTool, Spec, Target},
    login::{Logins, direct_token, login, login_load},
    storm::{Storm, storm},
};

/// `KEYHOLE_SESSION_KEY` for the Redis variant only (keyhole requires one
/// there): base64 of the 32 bytes `keyhole-bench-key-32-bytes-long!`.
/// Loopback, throw-away store: never a key for anything real.
pub(crate) const BENCH_SESSION_KEY: &str = "a2V5aG9sZS1iZW5jaC1rZXktMzItYnl0ZXMtbG9uZyE=";
/// The same key's bytes, for the growth fill written from this process.
pub(crate) const BENCH_SESSION_KEY_BYTES: [u8; 32] = *b"keyhole-bench-key-32-bytes-long!";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Store {
    Memory,
    Sqlite,
    Redis,
}

impl Store {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite => "SQLite",
            Self::Redis => "Redis",
        }
    }
}

/// Everything measured against one session store.
#[derive(Debug)]
pub(crate) struct Variant {
    pub(crate) store: Store,
    pub(crate) startup: Duration,
    pub(crate) me: Load,
    pub(crate) bare: Load,
    pub(crate) balance: Load,
    pub(crate) direct: Load,
    pub(crate) bare_proxy: Load,
    pub(crate) logins: Logins,
    pub(crate) logins_cpu: CpuUse,
    pub(crate) storm: Storm,
    pub(crate) idle_rss_kib: u64,
    pub(crate) rss_kib: u64,
    pub(crate) sessions: u64,
    pub(crate) fill: Option<Logins>,
}

/// A simulator, keyhole on one store (and its `redis-server`), started on
/// loopback ports; stopped when dropped (keyhole first, then Redis).
pub(crate) struct Instance {
    pub(crate) keyhole: Server,
    /// Held so they stop when the instance drops, after keyhole.
    _redis: Option<Server>,
    _sim: Server,
    pub(crate) sim_url: String,
    pub(crate) base: String,
    /// `sqlite://…`, `redis://…` or `memory`.
    pub(crate) store_url: String,
    pub(crate) pids: Pids,
    pub(crate) startup: Duration,
    pub(crate) log: std::path::PathBuf,
}

impl Instance {
    /// Starts everything for `store`, its files under `target/bench/<dir>`;
    /// with `key`, keyhole seals with [`BENCH_SESSION_KEY`] (always with Redis).
    pub(crate) async fn start(
        bin: &Path,
        http: &reqwest::Client,
        store: Store,
        dir: &str,
        key: bool,
    ) -> Result<Self> {
        let dir = target_dir().join(dir);
        std::fs::create_dir_all(&dir)?;
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let slug = store.name().to_lowercase();

        let (sim, sim_url) = Server::start_announced(
            "sim",
            Command::new(bin.join("keyhole-sim"))
                .args(["--port", "0", "--app-url", &base])
                .env("RUST_LOG", "warn"),
        )?;
        let mut redis = None;
        let store_url = match store {
            Store::Memory => "memory".to_owned(),
            Store::Sqlite => format!("sqlite://{}", e2e::fresh_sqlite(&dir).display()),
            Store::Redis => {
                let (server, redis_port) = start_redis()?;
                redis = Some(server);
                format!("redis://127.0.0.1:{redis_port}/0")
            }
        };
        let config = dir.join(format!("keyhole-{slug}.toml"));
        std::fs::write(&config, keyhole_config(&base, port, &store_url, &sim_url))?;

        // keyhole at its default log level, as operators run it, logging to a file.
        let log = dir.join(format!("keyhole-{slug}.log"));
        let mut cmd = Command::new(bin.join("keyhole"));
        cmd.args(["serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", "info")
            .envs(e2e::dev_secrets())
            .stderr(std::fs::File::create(&log)?);
        // Loopback only: a developer's proxy must not carry the upstream calls.
        for proxy in ["http_proxy", "https_proxy", "all_proxy"] {
            cmd.env_remove(proxy).env_remove(proxy.to_uppercase());
        }
        if key || store == Store::Redis {
            cmd.env("KEYHOLE_SESSION_KEY", BENCH_SESSION_KEY);
        }
        let spawned = Instant::now();
        let mut keyhole = Server::start("keyhole", &mut cmd)?;
        let startup = ready(http, &base, &mut keyhole, spawned).await?;
        let pids = Pids {
            keyhole: keyhole.pid(),
            sim: sim.pid(),
            store: redis.as_ref().map(Server::pid),
        };
        Ok(Self {
            keyhole,
            _redis: redis,
            _sim: sim,
            sim_url,
            base,
            store_url,
            pids,
            startup,
            log,
        })
    }

    /// Fails when keyhole exited during the run.
    pub(crate) fn check_alive(&mut self) -> Result<()> {
        ensure!(
            !self.keyhole.exited(),
            "keyhole exited during the run (see {})",
            self.log.display()
        );
        Ok(())
    }
}

pub(crate) async fn measure_store(
    bin: &Path,
    tool: &LoadTool,
    http: &reqwest::Client,
    store: Store,
) -> Result<Variant> {
    let mut instance = Instance::start(bin, http, store, "bench", false).await?;
    let (base, sim_url) = (instance.base.clone(), instance.sim_url.clone());
    let (pids, startup) = (instance.pids, instance.startup);
    let idle_rss_kib = rss_kib(pids.keyhole)?;

    // One signed-in session for the read, proxy and storm loads.
    let session = login(http, &base).await.context("first login")?;
    let cookie = format!("Cookie: {SESSION_COOKIE}={session}");
    let me_url = format!("{base}/api/me");
    let me_body = http
        .get(&me_url)
        .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
        .send()
        .await?;
    ensure!(
        me_body.status() == StatusCode::OK,
        "/api/me answered {}",
        me_body.status()
    );
    let me_body = me_body.bytes().await?;

    let token = direct_token(http, &sim_url, &base).await?;
    let userinfo = format!("{sim_url}/aihubmix/api/oauth2/userinfo");
    let bare_server = Bare::start(me_body, http.clone(), userinfo.clone(), &token).await?;
    let [bare, me] = tool
        .interleaved(
            [
                Spec::new(&bare_server.me_url, None, Target::Bare),
                Spec::new(&me_url, Some(&cookie), Target::Keyhole),
            ],
            pids,
        )
        .await?;
    let bearer = format!("Authorization: Bearer {token}");
    let [direct, bare_proxy, balance] = tool
        .interleaved(
            [
                Spec::new(&userinfo, Some(&bearer), Target::Sim),
                Spec::new(&bare_server.proxy_url, None, Target::Bare),
                Spec::new(
                    &format!("{base}/api/me/{PROVIDER}/balance"),
                    Some(&cookie),
                    Target::Keyhole,
                ),
            ],
            pids,
        )
        .await?;
    drop(bare_server);

    let meter = Meter::start(pids)?;
    let logins = login_load(http, &base, LOGIN_WORKERS, LOGIN_LOAD, u64::MAX).await;
    let logins_cpu = meter.finish(logins.ok)?;

    let storm = storm(http, &base, &sim_url, &session).await?;

    // The memory store keeps every session in keyhole's heap: fill it
    // towards FILL_TARGET with real logins, bounded in time.
    let mut sessions = 1 + logins.ok;
    let fill = if store == Store::Memory {
        let left = FILL_TARGET.saturating_sub(sessions);
        let fill = login_load(http, &base, LOGIN_WORKERS, FILL_BUDGET, left).await;
        sessions += fill.ok;
        Some(fill)
    } else {
        None
    };
    let rss_kib = rss_kib(pids.keyhole)?;
    instance.check_alive()?;
    drop(instance);

    Ok(Variant {
        store,
        startup,
        me,
        bare,
        balance,
        direct,
        bare_proxy,
        logins,
        logins_cpu,
        storm,
        idle_rss_kib,
        rss_kib,
        sessions,
        fill,
    })
}

/// keyhole's config: API only (no `dist`), one AIHubMix provider aimed at
/// this run's simulator, approving without a consent page.
fn keyhole_config(base: &str, port: u16, store: &str, sim_url: &str) -> String {
    format!(
        r#"# Written by `cargo xtask bench`.
public_url = "{base}"
bind = "127.0.0.1:{port}"

[session]
store = "{store}"

# The load comes from one address and one session: the limiter runs (its
# cost is measured) but never refuses.
[limits]
logins_per_minute = 100000000
logins_per_browser = 100000000
calls_per_minute = 100000000
max_connections = 100000

[[providers]]
id = "{PROVIDER}"
kind = "aihubmix"
name = "AIHubMix"
client_id = "{client_id}"
base_url = "{sim_url}/aihubmix"
scopes = ["profile", "balance"]
auto_authorize = true
"#,
        client_id = sim_dev::AIHUBMIX_CLIENT_ID,
    )
}

/// A throw-away `redis-server` on a free loopback port, no persistence.
fn start_redis() -> Result<(Server, u16)> {
    let port = free_port()?;
    let server = Server::start(
        "redis",
        Command::new("redis-server").args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ]),
    )?;
    wait_listening(port, Duration::from_secs(10)).context("redis-server")?;
    Ok((server, port))
}

/// Time from spawn to the first `GET /readyz` answering 200, polled every
/// 2 ms (`xtask::proc::wait_ready` polls every 100 ms: fine for waiting, too coarse
/// to measure a start-up).
async fn ready(
    http: &reqwest::Client,
    base: &str,
    server: &mut Server,
    spawned: Instant,
) -> Result<Duration> {
    let url = format!("{base}/readyz");
    loop {
        if let Ok(r) = http.get(&url).send().await
            && r.status() == StatusCode::OK
        {
            return Ok(spawned.elapsed());
        }
        if server.exited() {
            bail!("{} exited before it was ready", server.name());
        }
        if spawned.elapsed() > Duration::from_secs(30) {
            bail!("{url} not ready after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
