//! `cargo xtask bench`: keyhole measured against baselines in one run on this
//! machine, printed as one Markdown table and written to
//! `target/bench/RESULTS.md`. Nothing here asserts on time.
//!
//! Two phases:
//! 1. [`run`] (the debug xtask `cargo xtask` starts): picks the load
//!    generator, builds release binaries of keyhole, the simulator *and
//!    xtask*, builds the app, and hands over to
//! 2. [`measure`] (`target/release/xtask bench-measure SETUP.json`, hidden):
//!    the bare-axum baseline and the login client live in xtask, so they must
//!    be optimised like keyhole is, or the ratios would flatter keyhole.
//!
//! For each session store (memory, SQLite, and Redis when `redis-server` is
//! installed) a fresh simulator and keyhole start on loopback ports; then:
//! start-up time, `GET /api/me` against a bare axum handler serving the same
//! body, the balance route against the simulator's userinfo called directly,
//! complete logins per second, a refresh storm, and keyhole's RSS (the memory
//! store also gets a bounded fill towards 100 000 sessions). Every load is
//! bounded in time and count; every process started here stops when its
//! guard drops.
//!
//! The load generator is `oha` when it is installed, else Debian's `wrk`
//! (installed with apt in seconds; building `oha` takes about ten minutes on
//! two shared cores). `--oha` or `--wrk` choose, installing what is missing.

use crate::{
    bundle::{self, AssetSize},
    e2e,
    proc::{Server, free_port, run as run_cmd},
    root, target_dir, tools,
};
use anyhow::{Context, Result, bail, ensure};
use reqwest::{StatusCode, Url, header};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// Length of each load-generator run. A measurement and its baseline run
/// interleaved, A B B A, so drift in the machine's speed (other agents,
/// the VM's host) falls on both: each side gets two runs.
const LOAD: Duration = Duration::from_secs(3);
/// How long the login load runs.
const LOGIN_LOAD: Duration = Duration::from_secs(5);
/// Uncounted warm-up before each measured run.
const WARMUP: Duration = Duration::from_secs(1);
/// Concurrent connections of every load-generator run (the issue's goal is
/// at 64).
const CONNECTIONS: u32 = 64;
/// Concurrent login clients.
const LOGIN_WORKERS: usize = 16;
/// Concurrent balance requests in the refresh storm.
const STORM: usize = 100;
/// How far the simulator's clock jumps before the storm: past the 7200 s
/// access-token lifetime.
const STORM_ADVANCE_SECS: u64 = 7300;
/// Sessions the memory-store fill aims for, and the time it may take.
const FILL_TARGET: u64 = 100_000;
const FILL_BUDGET: Duration = Duration::from_secs(40);

/// Cookie names for an `http://` public URL (`__Host-` ones need https).
const SESSION_COOKIE: &str = "keyhole_session";
const BINDING_COOKIE: &str = "keyhole_login";
/// The provider every measurement signs in with.
const PROVIDER: &str = "aihubmix";
const REFRESH_COUNTER: &str = "aihubmix.token.refresh_token";
/// `KEYHOLE_SESSION_KEY` for the Redis variant only (keyhole requires one
/// there): base64 of the 32 bytes `keyhole-bench-key-32-bytes-long!`.
/// Loopback, throw-away store: never a key for anything real.
const BENCH_SESSION_KEY: &str = "a2V5aG9sZS1iZW5jaC1rZXktMzItYnl0ZXMtbG9uZyE=";
/// Linux's `USER_HZ`: the unit of CPU times in `/proc/*/stat`.
const TICK_MICROS: f64 = 10_000.0;

// ---------------------------------------------------------------------------
// Phase 1: tools and builds

/// `cargo xtask bench [--oha | --wrk]`.
pub(crate) fn run(args: &[String]) -> Result<bool> {
    let started_ms = unix_ms();
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    // Two runs at once would share target/bench/ and each other's CPU.
    let _lock = exclusive(&dir.join(".lock"))?;

    let choice = match args.first().map(String::as_str) {
        None => None,
        Some("--oha") => Some(LoadTool::OHA),
        Some("--wrk") => Some(LoadTool::WRK),
        Some(other) => {
            bail!("unknown argument {other:?}; usage: cargo xtask bench [--oha | --wrk]")
        }
    };
    let tool = choice.unwrap_or(if tools::oha_installed() {
        LoadTool::OHA
    } else {
        LoadTool::WRK
    });
    let t = Instant::now();
    let installed = if tool == LoadTool::OHA {
        tools::ensure_oha()?
    } else {
        tools::ensure_wrk()?
    };
    let tool_install = installed.then(|| t.elapsed().as_secs_f64());
    let tool_path = if tool == LoadTool::OHA {
        tools::oha_path()
    } else {
        tools::wrk_path()
    };

    let t = Instant::now();
    run_cmd(Command::new("cargo").current_dir(root()).args([
        "build",
        "--release",
        "-p",
        "keyhole",
        "-p",
        "provider-sim",
        "-p",
        "xtask",
    ]))?;
    let build = t.elapsed().as_secs_f64();

    let t = Instant::now();
    tools::ensure_build_tools()?;
    let app_tools = t.elapsed().as_secs_f64();
    let t = Instant::now();
    e2e::build_dist()?;
    let app_build = t.elapsed().as_secs_f64();

    let setup = json!({
        "started_unix_ms": started_ms,
        "load_tool": tool,
        "load_tool_path": tool_path,
        "load_tool_install_secs": tool_install,
        "release_build_secs": build,
        "app_tools_secs": app_tools,
        "app_build_secs": app_build,
    });
    let path = dir.join("setup.json");
    std::fs::write(&path, serde_json::to_string_pretty(&setup)?)?;
    run_cmd(
        Command::new(target_dir().join("release/xtask"))
            .arg("bench-measure")
            .arg(&path),
    )?;
    Ok(true)
}

/// Holds `path` locked (waiting if another run holds it) until dropped.
fn exclusive(path: &Path) -> Result<std::fs::File> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
        eprintln!("xtask bench: another `cargo xtask bench` is running; waiting for it");
        file.lock()?;
    }
    Ok(file)
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

// ---------------------------------------------------------------------------
// Phase 2: measurements

/// `xtask bench-measure SETUP.json` (release build, started by [`run`]).
pub(crate) fn measure(args: &[String]) -> Result<bool> {
    let path = args
        .first()
        .context("usage: xtask bench-measure target/bench/setup.json")?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let setup: Value = serde_json::from_str(&text).context("parsing the bench setup")?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(measure_all(&setup))
}

async fn measure_all(setup: &Value) -> Result<bool> {
    let measuring = Instant::now();
    let tool = LoadTool::from_setup(setup)?;
    let machine = Machine::read(&tool);
    let sizes = bundle::print_sizes()?;
    let bin = target_dir().join("release");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;

    let mut stores = vec![Store::Memory, Store::Sqlite];
    if tools::redis_server_installed() {
        stores.push(Store::Redis);
    }
    let mut variants = Vec::new();
    for store in stores {
        eprintln!("xtask bench: {} store", store.name());
        let variant = measure_store(&bin, &tool, &http, store)
            .await
            .with_context(|| format!("{} store", store.name()))?;
        variants.push(variant);
    }

    let report = Report {
        machine,
        load_after: loadavg(),
        setup,
        sizes: &sizes,
        variants: &variants,
        measuring: measuring.elapsed(),
        total: Duration::from_millis(
            unix_ms().saturating_sub(setup["started_unix_ms"].as_u64().unwrap_or(0)),
        ),
    }
    .render();
    println!("\n{report}");
    let out = target_dir().join("bench/RESULTS.md");
    std::fs::write(&out, &report).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("xtask bench: written to {}", out.display());
    Ok(true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    Memory,
    Sqlite,
    Redis,
}

impl Store {
    fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite => "SQLite",
            Self::Redis => "Redis",
        }
    }
}

/// Everything measured against one session store.
#[derive(Debug)]
struct Variant {
    store: Store,
    startup: Duration,
    me: Load,
    bare: Load,
    balance: Load,
    direct: Load,
    bare_proxy: Load,
    logins: Logins,
    logins_cpu: CpuUse,
    storm: Storm,
    idle_rss_kib: u64,
    rss_kib: u64,
    sessions: u64,
    fill: Option<Logins>,
}

async fn measure_store(
    bin: &Path,
    tool: &LoadTool,
    http: &reqwest::Client,
    store: Store,
) -> Result<Variant> {
    let dir = target_dir().join("bench");
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let slug = store.name().to_lowercase();

    let (sim, sim_url) = Server::start_announced(
        "sim",
        Command::new(bin.join("keyhole-sim"))
            .args(["--port", "0", "--app-url", &base])
            .env("RUST_LOG", "warn"),
    )?;
    // Stopped (dropped) after keyhole, which is declared later.
    let mut redis = None;
    let store_url = match store {
        Store::Memory => "memory".to_owned(),
        Store::Sqlite => {
            for file in [
                "keyhole.db",
                "keyhole.db-wal",
                "keyhole.db-shm",
                "session.key",
            ] {
                let _ = std::fs::remove_file(dir.join(file));
            }
            format!("sqlite://{}", dir.join("keyhole.db").display())
        }
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
    if store == Store::Redis {
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
    ensure!(
        !keyhole.exited(),
        "keyhole exited during the run (see {})",
        log.display()
    );
    drop(keyhole);
    drop(redis);

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

[[providers]]
id = "{PROVIDER}"
kind = "aihubmix"
name = "AIHubMix"
client_id = "{client_id}"
base_url = "{sim_url}/aihubmix"
scopes = ["profile", "balance"]
auto_authorize = true
"#,
        client_id = provider_sim::dev::AIHUBMIX_CLIENT_ID,
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
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("redis-server did not listen on {port} within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((server, port))
}

/// Time from spawn to the first `GET /readyz` answering 200, polled every
/// 2 ms (`proc::wait_ready` polls every 100 ms: fine for waiting, too coarse
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

// ---------------------------------------------------------------------------
// The bare baseline

/// The baselines, in this (release-built) process: a bare axum handler
/// serving a captured `/api/me` body (what the route would cost without
/// sessions, middleware and keyhole's work), and a bare axum + reqwest
/// pass-through to the simulator's userinfo with a fixed token (what any
/// proxy hop costs, before keyhole's own work).
#[derive(Debug)]
struct Bare {
    me_url: String,
    proxy_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Bare {
    async fn start(
        me_body: axum::body::Bytes,
        http: reqwest::Client,
        upstream: String,
        token: &str,
    ) -> Result<Self> {
        use axum::{
            http::{StatusCode as AxumStatus, header::CONTENT_TYPE},
            routing::get,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let bearer = format!("Bearer {token}");
        let app = axum::Router::new()
            .route(
                "/api/me",
                get(move || {
                    let body = me_body.clone();
                    async move { ([(CONTENT_TYPE, "application/json")], body) }
                }),
            )
            .route(
                "/balance",
                get(move || {
                    let (http, upstream, bearer) = (http.clone(), upstream.clone(), bearer.clone());
                    async move {
                        let body = async {
                            let response = http
                                .get(upstream)
                                .header(header::AUTHORIZATION, bearer)
                                .send()
                                .await?
                                .error_for_status()?;
                            response.bytes().await
                        };
                        match body.await {
                            Ok(body) => Ok(([(CONTENT_TYPE, "application/json")], body)),
                            Err(_) => Err(AxumStatus::BAD_GATEWAY),
                        }
                    }
                }),
            );
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("xtask bench: bare server: {e}");
            }
        });
        Ok(Self {
            me_url: format!("http://{addr}/api/me"),
            proxy_url: format!("http://{addr}/balance"),
            task,
        })
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------
// CPU accounting

/// The processes a measurement watches.
#[derive(Debug, Clone, Copy)]
struct Pids {
    keyhole: u32,
    sim: u32,
    /// A store server started here (`redis-server`).
    store: Option<u32>,
}

/// CPU time used during one measurement, per completed request or login.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    keyhole_us: f64,
    sim_us: f64,
    store_us: f64,
    /// This process: the bare server, or the login client.
    xtask_us: f64,
    /// The load generator (a child, counted once it has been waited for).
    generator_us: f64,
    /// Share of the machine's CPU time used by processes not ours
    /// (other agents' builds and tests, if any), in percent.
    others_pct: f64,
}

/// CPU counters at the start of a measurement.
#[derive(Debug)]
struct Meter {
    pids: Pids,
    keyhole: u64,
    sim: u64,
    store: u64,
    own: (u64, u64),
    machine: (u64, u64),
}

impl Meter {
    fn start(pids: Pids) -> Result<Self> {
        Ok(Self {
            pids,
            keyhole: pid_ticks(pids.keyhole)?,
            sim: pid_ticks(pids.sim)?,
            store: pids.store.map(pid_ticks).transpose()?.unwrap_or(0),
            own: process_ticks("self")?,
            machine: machine_ticks()?,
        })
    }

    /// CPU per unit of work since [`Meter::start`]; `count` units were done.
    fn finish(&self, count: u64) -> Result<CpuUse> {
        let keyhole = pid_ticks(self.pids.keyhole)? - self.keyhole;
        let sim = pid_ticks(self.pids.sim)? - self.sim;
        let store = self.pids.store.map(pid_ticks).transpose()?.unwrap_or(0) - self.store;
        let own = process_ticks("self")?;
        let (xtask, children) = (own.0 - self.own.0, own.1 - self.own.1);
        let machine = machine_ticks()?;
        let (busy, total) = (machine.0 - self.machine.0, machine.1 - self.machine.1);
        let ours = keyhole + sim + store + xtask + children;
        let per = |ticks: u64| ticks as f64 * TICK_MICROS / count.max(1) as f64;
        Ok(CpuUse {
            keyhole_us: per(keyhole),
            sim_us: per(sim),
            store_us: per(store),
            xtask_us: per(xtask),
            generator_us: per(children),
            others_pct: busy.saturating_sub(ours) as f64 * 100.0 / total.max(1) as f64,
        })
    }
}

fn pid_ticks(pid: u32) -> Result<u64> {
    Ok(process_ticks(&pid.to_string())?.0)
}

/// `(utime + stime, cutime + cstime)` of `/proc/<pid>/stat`, in ticks.
fn process_ticks(pid: &str) -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_process_ticks(&stat).with_context(|| format!("parsing /proc/{pid}/stat"))
}

fn parse_process_ticks(stat: &str) -> Option<(u64, u64)> {
    // Fields after the `(comm)`, which may contain spaces: state is field 3,
    // utime 14, stime 15, cutime 16, cstime 17.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match fields[..] {
        [utime, stime, cutime, cstime] => Some((utime + stime, cutime + cstime)),
        _ => None,
    }
}

/// `(busy, total)` ticks of all CPUs from `/proc/stat`.
fn machine_ticks() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    parse_machine_ticks(&stat).context("parsing /proc/stat")
}

fn parse_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let total: u64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Resident set size of `pid`, in KiB.
fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}

// ---------------------------------------------------------------------------
// The load generator

/// Which process serves the measured URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Keyhole,
    Bare,
    Sim,
}

/// One load-generator run: successes, latency, CPU.
#[derive(Debug, Clone, Default)]
struct Load {
    ok: u64,
    /// Answers other than 200 (wrk: other than 2xx and 3xx).
    not_ok: u64,
    /// Transport errors, not counting requests cut off by the deadline.
    errors: u64,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu: CpuUse,
    target: Option<Target>,
}

impl Load {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.secs.max(f64::EPSILON)
    }

    /// Two runs of the same spec as one: counts and time add up, CPU is
    /// weighted by requests, p50 is averaged and p99 is the worse one.
    fn merge(&self, other: &Self) -> Self {
        let (a, b) = (self.ok as f64, other.ok as f64);
        let total = (a + b).max(1.0);
        let per = |x: f64, y: f64| (x * a + y * b) / total;
        let (c, d) = (&self.cpu, &other.cpu);
        Self {
            ok: self.ok + other.ok,
            not_ok: self.not_ok + other.not_ok,
            errors: self.errors + other.errors,
            secs: self.secs + other.secs,
            p50_ms: (self.p50_ms + other.p50_ms) / 2.0,
            p99_ms: self.p99_ms.max(other.p99_ms),
            cpu: CpuUse {
                keyhole_us: per(c.keyhole_us, d.keyhole_us),
                sim_us: per(c.sim_us, d.sim_us),
                store_us: per(c.store_us, d.store_us),
                xtask_us: per(c.xtask_us, d.xtask_us),
                generator_us: per(c.generator_us, d.generator_us),
                others_pct: (c.others_pct * self.secs + d.others_pct * other.secs)
                    / (self.secs + other.secs).max(f64::EPSILON),
            },
            target: self.target.or(other.target),
        }
    }

    /// CPU of the process serving the URL, per request.
    fn server_us(&self) -> f64 {
        match self.target {
            Some(Target::Keyhole) => self.cpu.keyhole_us,
            Some(Target::Sim) => self.cpu.sim_us,
            Some(Target::Bare) => self.cpu.xtask_us,
            None => 0.0,
        }
    }
}

/// What one load-generator run requests.
#[derive(Debug, Clone)]
struct Spec {
    url: String,
    headers: Vec<String>,
    target: Target,
}

impl Spec {
    fn new(url: &str, header: Option<&str>, target: Target) -> Self {
        Self {
            url: url.to_owned(),
            headers: header.map(str::to_owned).into_iter().collect(),
            target,
        }
    }
}

/// The HTTP load generator: `oha` (crates.io) or `wrk` (Debian).
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoadTool {
    name: String,
    path: PathBuf,
}

impl LoadTool {
    const OHA: &str = "oha";
    const WRK: &str = "wrk";

    fn from_setup(setup: &Value) -> Result<Self> {
        let name = setup["load_tool"].as_str().context("setup: no load_tool")?;
        let path = setup["load_tool_path"]
            .as_str()
            .context("setup: no load_tool_path")?;
        ensure!(
            [Self::OHA, Self::WRK].contains(&name),
            "unknown load tool {name:?}"
        );
        Ok(Self {
            name: name.to_owned(),
            path: PathBuf::from(path),
        })
    }

    fn is_oha(&self) -> bool {
        self.name == Self::OHA
    }

    /// `oha 1.16.0` / `wrk 4.1.0`.
    fn version(&self) -> String {
        let Ok(out) = Command::new(&self.path)
            .arg(if self.is_oha() { "--version" } else { "-v" })
            .output()
        else {
            return self.name.clone();
        };
        // wrk prints its version (and exits 1) on -v, to stdout.
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        if version.is_empty() {
            self.name.clone()
        } else {
            version
        }
    }

    /// Each spec warmed up, then measured in the order given and again in
    /// reverse (A B C C B A); the two runs of each are merged.
    async fn interleaved<const N: usize>(&self, specs: [Spec; N], pids: Pids) -> Result<[Load; N]> {
        let mut first = Vec::with_capacity(N);
        for spec in &specs {
            self.output(&spec.url, &spec.headers, WARMUP).await?;
            first.push(self.run(spec, pids).await?);
        }
        let mut merged = Vec::with_capacity(N);
        for (spec, load) in specs.iter().zip(first).rev() {
            merged.push(load.merge(&self.run(spec, pids).await?));
        }
        merged.reverse();
        for (spec, load) in specs.iter().zip(&merged) {
            eprintln!(
                "xtask bench: {}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                spec.url,
                load.rate(),
                load.p50_ms,
                load.p99_ms
            );
        }
        merged
            .try_into()
            .map_err(|_| anyhow::anyhow!("interleaved: lost a run"))
    }

    /// One [`LOAD`]-long run at [`CONNECTIONS`] connections, with the CPU
    /// each process spent per successful request.
    async fn run(&self, spec: &Spec, pids: Pids) -> Result<Load> {
        let meter = Meter::start(pids)?;
        let text = self.output(&spec.url, &spec.headers, LOAD).await?;
        let mut load = if self.is_oha() {
            parse_oha(&text)?
        } else {
            parse_wrk(&text)?
        };
        load.cpu = meter.finish(load.ok)?;
        load.target = Some(spec.target);
        Ok(load)
    }

    async fn output(&self, url: &str, headers: &[String], length: Duration) -> Result<String> {
        let secs = format!("{}s", length.as_secs());
        let mut cmd = tokio::process::Command::new(&self.path);
        if self.is_oha() {
            cmd.args(["--no-tui", "--output-format", "json", "-z", &secs]);
        } else {
            // Two threads: one per core of the target machines.
            cmd.args(["--latency", "-t", "2", "-d", &secs]);
        }
        cmd.arg("-c").arg(CONNECTIONS.to_string());
        for h in headers {
            cmd.arg("-H").arg(h);
        }
        let out = cmd
            .arg(url)
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("running {}", self.path.display()))?;
        ensure!(
            out.status.success(),
            "{} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Reads `oha --output-format json`: 200s, other statuses, errors (except
/// requests aborted at the deadline), duration, and p50/p99 latency.
fn parse_oha(text: &str) -> Result<Load> {
    let v: Value = serde_json::from_str(text).context("oha's output is not JSON")?;
    let secs = v["summary"]["total"]
        .as_f64()
        .context("oha: no summary.total")?;
    let statuses = v["statusCodeDistribution"]
        .as_object()
        .context("oha: no statusCodeDistribution")?;
    let (mut ok, mut not_ok) = (0, 0);
    for (code, n) in statuses {
        let n = n.as_u64().unwrap_or(0);
        if code == "200" {
            ok += n;
        } else {
            not_ok += n;
        }
    }
    let errors = v["errorDistribution"].as_object().map_or(0, |m| {
        m.iter()
            .filter(|(what, _)| !what.contains("aborted due to deadline"))
            .map(|(_, n)| n.as_u64().unwrap_or(0))
            .sum()
    });
    // Seconds; `metrics.latency_ms` only exists in recent versions.
    let percentile = |p: &str| -> Result<f64> {
        v["latencyPercentiles"][p]
            .as_f64()
            .map(|s| s * 1000.0)
            .with_context(|| format!("oha: no latencyPercentiles.{p}"))
    };
    Ok(Load {
        ok,
        not_ok,
        errors,
        secs,
        p50_ms: if ok > 0 { percentile("p50")? } else { 0.0 },
        p99_ms: if ok > 0 { percentile("p99")? } else { 0.0 },
        ..Load::default()
    })
}

/// Reads `wrk --latency` text: `N requests in 5.00s`, the `Non-2xx or 3xx`
/// count, socket errors, and the 50% / 99% lines of the distribution.
fn parse_wrk(text: &str) -> Result<Load> {
    let (mut requests, mut secs) = (None, None);
    let (mut not_ok, mut errors) = (0, 0);
    let (mut p50, mut p99) = (None, None);
    for line in text.lines().map(str::trim) {
        if let Some((count, rest)) = line.split_once(" requests in ") {
            requests = count.trim().parse::<u64>().ok();
            secs = rest.split(',').next().and_then(wrk_seconds);
        } else if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
            not_ok = n.trim().parse().context("wrk: Non-2xx count")?;
        } else if let Some(list) = line.strip_prefix("Socket errors:") {
            // connect 0, read 0, write 0, timeout 0
            errors = list
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
        } else if let Some(value) = line.strip_prefix("50%") {
            p50 = wrk_seconds(value.trim());
        } else if let Some(value) = line.strip_prefix("99%") {
            p99 = wrk_seconds(value.trim());
        }
    }
    let requests = requests.context("wrk: no `requests in` line")?;
    Ok(Load {
        ok: requests.saturating_sub(not_ok),
        not_ok,
        errors,
        secs: secs.context("wrk: no duration")?,
        p50_ms: p50.context("wrk: no 50% line (run with --latency)")? * 1000.0,
        p99_ms: p99.context("wrk: no 99% line (run with --latency)")? * 1000.0,
        ..Load::default()
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `5.00s`, `1.00m`.
fn wrk_seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Some(number * scale)
}

// ---------------------------------------------------------------------------
// The login client

/// A complete login as a browser does it, redirects followed by hand:
/// keyhole's login URL → the simulator's auto-approval → keyhole's callback.
/// Returns the new session cookie's value.
async fn login(http: &reqwest::Client, base: &str) -> Result<String> {
    let start = http
        .get(format!(
            "{base}/api/auth/{PROVIDER}/login?mode=redirect&return_to=/"
        ))
        .send()
        .await?;
    ensure!(
        start.status() == StatusCode::FOUND,
        "login start answered {}",
        start.status()
    );
    let binding = set_cookie(&start, BINDING_COOKIE).context("no login-binding cookie")?;
    let authorize = location(&start)?;
    drain(start).await;

    let approved = http.get(authorize).send().await?;
    ensure!(
        approved.status().is_redirection(),
        "the simulator answered {} (no auto_authorize?)",
        approved.status()
    );
    let callback = location(&approved)?;
    drain(approved).await;

    let done = http
        .get(callback)
        .header(header::COOKIE, format!("{BINDING_COOKIE}={binding}"))
        .send()
        .await?;
    ensure!(
        done.status().is_redirection(),
        "callback answered {}",
        done.status()
    );
    let back = location(&done)?;
    ensure!(
        back.query_pairs().any(|(k, v)| k == "login" && v == "ok"),
        "login failed: back to {back}"
    );
    let session = set_cookie(&done, SESSION_COOKIE).context("no session cookie")?;
    drain(done).await;
    Ok(session)
}

/// The value of cookie `name` set by `response`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, v)| n.trim() == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The redirect target, resolved against the request URL.
fn location(response: &reqwest::Response) -> Result<Url> {
    let to = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("{} without Location", response.status()))?;
    Ok(response.url().join(to)?)
}

/// Reads the body so the connection goes back to the pool.
async fn drain(response: reqwest::Response) {
    let _ = response.bytes().await;
}

/// Logins done by a set of concurrent clients.
#[derive(Debug, Default)]
struct Logins {
    ok: u64,
    failed: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    first_error: Option<String>,
}

impl Logins {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// `workers` clients logging in one after another until `budget` has passed
/// or `max` logins have started.
async fn login_load(
    http: &reqwest::Client,
    base: &str,
    workers: usize,
    budget: Duration,
    max: u64,
) -> Logins {
    let started = Instant::now();
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (http, base, issued) = (http.clone(), base.to_owned(), Arc::clone(&issued));
        tasks.spawn(async move {
            let mut mine = Logins::default();
            while started.elapsed() < budget && issued.fetch_add(1, Ordering::Relaxed) < max {
                let t = Instant::now();
                match login(&http, &base).await {
                    Ok(_) => {
                        mine.ok += 1;
                        mine.latencies.push(t.elapsed());
                    }
                    Err(e) => {
                        mine.failed += 1;
                        mine.first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            mine
        });
    }
    let mut all = Logins::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(mine) => {
                all.ok += mine.ok;
                all.failed += mine.failed;
                all.latencies.extend(mine.latencies);
                if all.first_error.is_none() {
                    all.first_error = mine.first_error;
                }
            }
            Err(e) => {
                all.failed += 1;
                all.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    all.elapsed = started.elapsed();
    all.latencies.sort();
    if let Some(e) = &all.first_error {
        eprintln!("xtask bench: {} logins failed; first: {e}", all.failed);
    }
    eprintln!(
        "xtask bench: {} logins in {:.1} s ({:.0}/s)",
        all.ok,
        all.elapsed.as_secs_f64(),
        all.rate()
    );
    all
}

/// Signs in to the simulator as a plain OAuth client (the dev client, no
/// PKCE) and returns an access token for calling userinfo directly.
async fn direct_token(http: &reqwest::Client, sim_url: &str, app_url: &str) -> Result<String> {
    use provider_sim::dev;
    let redirect_uri = format!("{app_url}{}", dev::AIHUBMIX_REDIRECT_PATH);
    let mut authorize = Url::parse(&format!("{sim_url}/aihubmix/api/oauth2/authorize"))?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", dev::AIHUBMIX_CLIENT_ID)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "profile balance")
        .append_pair("state", "bench")
        .append_pair("auto_authorize", "true");
    let approved = http.get(authorize).send().await?;
    let back = location(&approved)?;
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no code in {back}"))?;
    let tokens: Value = http
        .post(format!("{sim_url}/aihubmix/api/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", dev::AIHUBMIX_CLIENT_ID),
            ("client_secret", dev::AIHUBMIX_CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
        ])
        .send()
        .await?
        .json()
        .await?;
    tokens["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("the simulator issued no access_token")
}

// ---------------------------------------------------------------------------
// The refresh storm

#[derive(Debug)]
struct Storm {
    refreshes: u64,
    /// HTTP status → count; 0 is a transport error.
    statuses: BTreeMap<u16, usize>,
    latencies: Vec<Duration>,
}

/// Expires the session's access token at the simulator, then sends
/// [`STORM`] balance requests at once on that session: keyhole must refresh
/// exactly once and answer all of them.
async fn storm(http: &reqwest::Client, base: &str, sim_url: &str, session: &str) -> Result<Storm> {
    let before = counter(http, sim_url, REFRESH_COUNTER).await?;
    let advanced = http
        .post(format!("{sim_url}/_sim/clock/advance"))
        .json(&json!({ "seconds": STORM_ADVANCE_SECS }))
        .send()
        .await?;
    ensure!(
        advanced.status().is_success(),
        "clock/advance answered {}",
        advanced.status()
    );

    let gate = Arc::new(tokio::sync::Barrier::new(STORM));
    let url = format!("{base}/api/me/{PROVIDER}/balance");
    let cookie = format!("{SESSION_COOKIE}={session}");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..STORM {
        let (http, gate, url, cookie) =
            (http.clone(), Arc::clone(&gate), url.clone(), cookie.clone());
        tasks.spawn(async move {
            gate.wait().await;
            let t = Instant::now();
            let status = match http.get(&url).header(header::COOKIE, cookie).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    drain(r).await;
                    status
                }
                Err(_) => 0,
            };
            (status, t.elapsed())
        });
    }
    let mut statuses = BTreeMap::new();
    let mut latencies = Vec::with_capacity(STORM);
    while let Some(done) = tasks.join_next().await {
        let (status, took) = done.unwrap_or((0, Duration::ZERO));
        *statuses.entry(status).or_default() += 1;
        latencies.push(took);
    }
    latencies.sort();
    let refreshes = counter(http, sim_url, REFRESH_COUNTER).await? - before;
    eprintln!("xtask bench: storm: {refreshes} refresh(es), statuses {statuses:?}");
    Ok(Storm {
        refreshes,
        statuses,
        latencies,
    })
}

/// One of the simulator's call counters.
async fn counter(http: &reqwest::Client, sim_url: &str, name: &str) -> Result<u64> {
    let counters: Value = http
        .get(format!("{sim_url}/_sim/counters"))
        .send()
        .await?
        .json()
        .await?;
    Ok(counters[name].as_u64().unwrap_or(0))
}

/// Nearest-rank percentile of sorted samples, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------
// The machine and the report

#[derive(Debug)]
struct Machine {
    cpus: usize,
    model: String,
    memory: String,
    kernel: String,
    rustc: String,
    generator: String,
    load_before: String,
}

impl Machine {
    fn read(tool: &LoadTool) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                let kib: u64 = m
                    .lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()?;
                Some(format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let rustc = Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "rustc unknown".to_owned());
        Self {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            model,
            memory,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            rustc,
            generator: tool.version(),
            load_before: loadavg(),
        }
    }
}

/// The 1-, 5- and 15-minute load averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[derive(Debug)]
struct Report<'a> {
    machine: Machine,
    load_after: String,
    setup: &'a Value,
    sizes: &'a [AssetSize],
    variants: &'a [Variant],
    measuring: Duration,
    total: Duration,
}

/// One line of the results table.
#[derive(Debug, Default)]
struct Line {
    n: u8,
    what: String,
    store: String,
    result: String,
    p50: String,
    p99: String,
    cpu: String,
    baseline: String,
    ratio: String,
    goal: String,
    others: String,
}

impl Report<'_> {
    fn render(&self) -> String {
        let mut lines = Vec::new();
        for v in self.variants {
            lines.push(me_line(v));
        }
        for v in self.variants {
            lines.push(balance_line(v));
        }
        for v in self.variants {
            lines.push(bare_proxy_line(v));
        }
        for v in self.variants {
            lines.push(logins_line(v));
        }
        for v in self.variants {
            lines.push(storm_line(v));
        }
        let (raw, gzip) = bundle::totals(self.sizes);
        for size in self.sizes {
            lines.push(Line {
                n: 5,
                what: format!("first-load bytes: {}", size.ext),
                store: "—".to_owned(),
                result: format!(
                    "{:.1} KB raw, {:.1} KB gzip",
                    bundle::kb(size.raw),
                    bundle::kb(size.gzip)
                ),
                ..Line::default()
            });
        }
        lines.push(Line {
            n: 5,
            what: "first-load bytes: total".to_owned(),
            store: "—".to_owned(),
            result: format!(
                "**{:.1} KB raw, {:.1} KB gzip**",
                bundle::kb(raw),
                bundle::kb(gzip)
            ),
            ..Line::default()
        });
        for v in self.variants {
            lines.push(rss_line(v));
        }
        for v in self.variants {
            lines.push(Line {
                n: 6,
                what: "start-up: spawn → `/readyz` 200".to_owned(),
                store: v.store.name().to_owned(),
                result: format!("{:.0} ms", v.startup.as_secs_f64() * 1000.0),
                ..Line::default()
            });
        }

        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "## `cargo xtask bench` results\n");
        let _ = writeln!(
            out,
            "Machine: {} CPUs ({}), {} RAM, Linux {}; {}; {}. Load average {} before, {} after.\n",
            m.cpus,
            m.model,
            m.memory,
            m.kernel,
            m.rustc,
            m.generator,
            m.load_before,
            self.load_after
        );
        let _ = writeln!(
            out,
            "| # | measurement | store | result | p50 ms | p99 ms | CPU per request | baseline, same run | ratio | goal | others' CPU |"
        );
        let _ = writeln!(out, "|---|---|---|---:|---:|---:|---|---|---:|---|---:|");
        for l in &lines {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                l.n,
                l.what,
                l.store,
                l.result,
                l.p50,
                l.p99,
                l.cpu,
                l.baseline,
                l.ratio,
                l.goal,
                l.others
            );
        }
        let secs = |key: &str| self.setup[key].as_f64();
        let generator = self.setup["load_tool"].as_str().unwrap_or("?");
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Loads: `{generator}` with {CONNECTIONS} connections, one session cookie; each \
             measurement and its baselines warmed up ({} s, uncounted), then run interleaved \
             A B B A, {} s a run: rates are over both runs, p50 their mean, p99 the worse. \
             Logins: {LOGIN_WORKERS} concurrent clients for {} s; storm: {STORM} concurrent requests after the simulator's clock moved \
             {STORM_ADVANCE_SECS} s. CPU per request is from /proc (10 ms ticks): keyhole (kh), \
             simulator (sim), redis-server, xtask (bare server or login client), and the load \
             generator (gen). \"Others' CPU\" is the share of the whole machine used by \
             processes this run did not start.\n",
            WARMUP.as_secs(),
            LOAD.as_secs(),
            LOGIN_LOAD.as_secs(),
        );
        let _ = writeln!(
            out,
            "Time: {:.0} s in all: {generator} {}, release build {:.0} s, app tools {:.0} s, \
             app build {:.0} s, measurements {:.0} s.",
            self.total.as_secs_f64(),
            secs("load_tool_install_secs").map_or("already installed".to_owned(), |s| format!(
                "installed in {s:.0} s"
            )),
            secs("release_build_secs").unwrap_or(0.0),
            secs("app_tools_secs").unwrap_or(0.0),
            secs("app_build_secs").unwrap_or(0.0),
            self.measuring.as_secs_f64(),
        );
        out
    }
}

fn me_line(v: &Variant) -> Line {
    let ratio = v.me.rate() / v.bare.rate().max(f64::EPSILON);
    let met = ratio >= 0.5 && v.me.p99_ms < 5.0;
    Line {
        n: 1,
        what: "`GET /api/me` (session read)".to_owned(),
        store: v.store.name().to_owned(),
        result: load_result(&v.me),
        p50: format!("{:.2}", v.me.p50_ms),
        p99: format!("{:.2}", v.me.p99_ms),
        cpu: format!(
            "kh {:.0} µs{}, gen {:.0} µs",
            v.me.cpu.keyhole_us,
            store_cpu(v, &v.me.cpu),
            v.me.cpu.generator_us
        ),
        baseline: format!(
            "bare axum: {}, p50 {:.2}, p99 {:.2} ms, {:.0} µs CPU",
            load_result(&v.bare),
            v.bare.p50_ms,
            v.bare.p99_ms,
            v.bare.server_us()
        ),
        ratio: format!("{ratio:.2}"),
        goal: format!("≥ 0.5 and p99 < 5 ms: {}", verdict(met)),
        others: format!("{:.0}%", v.me.cpu.others_pct.max(v.bare.cpu.others_pct)),
    }
}

fn balance_line(v: &Variant) -> Line {
    let ratio = v.balance.rate() / v.direct.rate().max(f64::EPSILON);
    Line {
        n: 2,
        what: format!("`GET /api/me/{PROVIDER}/balance` (1 upstream call)"),
        store: v.store.name().to_owned(),
        result: load_result(&v.balance),
        p50: format!("{:.2}", v.balance.p50_ms),
        p99: format!("{:.2}", v.balance.p99_ms),
        cpu: format!(
            "kh {:.0} µs{} + sim {:.0} µs, gen {:.0} µs",
            v.balance.cpu.keyhole_us,
            store_cpu(v, &v.balance.cpu),
            v.balance.cpu.sim_us,
            v.balance.cpu.generator_us
        ),
        baseline: format!(
            "simulator userinfo direct: {}, p50 {:.2}, p99 {:.2} ms, sim {:.0} µs CPU",
            load_result(&v.direct),
            v.direct.p50_ms,
            v.direct.p99_ms,
            v.direct.server_us()
        ),
        ratio: format!("{ratio:.2}"),
        goal: format!("≥ 0.5: {}", verdict(ratio >= 0.5)),
        others: format!(
            "{:.0}%",
            v.balance.cpu.others_pct.max(v.direct.cpu.others_pct)
        ),
    }
}

/// The reference for row 2: any proxy hop, without keyhole's work.
fn bare_proxy_line(v: &Variant) -> Line {
    let p = &v.bare_proxy;
    let ratio = p.rate() / v.direct.rate().max(f64::EPSILON);
    Line {
        n: 2,
        what: "reference: bare axum + reqwest pass-through to userinfo".to_owned(),
        store: "—".to_owned(),
        result: load_result(p),
        p50: format!("{:.2}", p.p50_ms),
        p99: format!("{:.2}", p.p99_ms),
        cpu: format!(
            "xtask {:.0} µs + sim {:.0} µs, gen {:.0} µs",
            p.cpu.xtask_us, p.cpu.sim_us, p.cpu.generator_us
        ),
        baseline: format!(
            "simulator userinfo direct, same run as {}; keyhole / this: {:.2}",
            v.store.name(),
            v.balance.rate() / p.rate().max(f64::EPSILON)
        ),
        ratio: format!("{ratio:.2}"),
        goal: "reference, no goal".to_owned(),
        others: format!("{:.0}%", p.cpu.others_pct),
    }
}

fn logins_line(v: &Variant) -> Line {
    let l = &v.logins;
    let failed = if l.failed > 0 {
        format!(", {} failed", l.failed)
    } else {
        String::new()
    };
    Line {
        n: 3,
        what: "complete logins (start → auto-approve → callback → session)".to_owned(),
        store: v.store.name().to_owned(),
        result: format!(
            "{:.0} logins/s ({} in {:.1} s{failed})",
            l.rate(),
            l.ok,
            l.elapsed.as_secs_f64()
        ),
        p50: format!("{:.2}", percentile_ms(&l.latencies, 50.0)),
        p99: format!("{:.2}", percentile_ms(&l.latencies, 99.0)),
        cpu: format!(
            "per login: kh {:.0} µs{} + sim {:.0} µs, client {:.0} µs",
            v.logins_cpu.keyhole_us,
            store_cpu(v, &v.logins_cpu),
            v.logins_cpu.sim_us,
            v.logins_cpu.xtask_us
        ),
        others: format!("{:.0}%", v.logins_cpu.others_pct),
        ..Line::default()
    }
}

fn storm_line(v: &Variant) -> Line {
    let s = &v.storm;
    let statuses: Vec<String> = s
        .statuses
        .iter()
        .map(|(code, n)| {
            if *code == 0 {
                format!("{n} × transport error")
            } else {
                format!("{n} × {code}")
            }
        })
        .collect();
    Line {
        n: 4,
        what: format!("refresh storm: {STORM} concurrent balance requests after expiry"),
        store: v.store.name().to_owned(),
        result: format!(
            "{} refresh(es); {}; max {:.1} ms",
            s.refreshes,
            statuses.join(", "),
            percentile_ms(&s.latencies, 100.0)
        ),
        p50: format!("{:.2}", percentile_ms(&s.latencies, 50.0)),
        p99: format!("{:.2}", percentile_ms(&s.latencies, 99.0)),
        goal: format!("exactly 1 refresh: {}", verdict(s.refreshes == 1)),
        ..Line::default()
    }
}

fn rss_line(v: &Variant) -> Line {
    let goal = match &v.fill {
        Some(fill) if v.sessions >= FILL_TARGET => format!(
            "{FILL_TARGET} sessions: reached ({:.0} logins/s)",
            fill.rate()
        ),
        Some(fill) => format!(
            "{FILL_TARGET} sessions: not reached in {:.0} s at {:.0} logins/s; nothing extrapolated",
            fill.elapsed.as_secs_f64(),
            fill.rate()
        ),
        None => "sessions live in the store, not in keyhole".to_owned(),
    };
    Line {
        n: 6,
        what: "keyhole RSS after real logins".to_owned(),
        store: v.store.name().to_owned(),
        result: format!(
            "{:.1} MiB with {} sessions (idle: {:.1} MiB; {:.1} KiB more per session)",
            v.rss_kib as f64 / 1024.0,
            v.sessions,
            v.idle_rss_kib as f64 / 1024.0,
            v.rss_kib.saturating_sub(v.idle_rss_kib) as f64 / v.sessions.max(1) as f64
        ),
        goal,
        ..Line::default()
    }
}

/// ` + redis N µs` where the store is a server of its own.
fn store_cpu(v: &Variant, cpu: &CpuUse) -> String {
    if v.store == Store::Redis {
        format!(" + redis {:.0} µs", cpu.store_us)
    } else {
        String::new()
    }
}

fn load_result(load: &Load) -> String {
    let mut s = format!("{:.0} req/s", load.rate());
    if load.not_ok > 0 {
        let _ = write!(s, " ({} non-200)", load.not_ok);
    }
    if load.errors > 0 {
        let _ = write!(s, " ({} errors)", load.errors);
    }
    s
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&samples, 50.0), 50.0);
        assert_eq!(percentile_ms(&samples, 99.0), 99.0);
        assert_eq!(percentile_ms(&samples, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }

    /// The fields `parse_oha` reads, as oha 1.16 printed them.
    const OHA_JSON: &str = r#"{
        "summary": {"successRate": 1.0, "total": 1.001693475, "requestsPerSec": 57426.7},
        "latencyPercentiles": {"p10": 3.1837e-05, "p50": 6.1041e-05, "p99": 0.000150234,
                               "p99.9": 0.000349361},
        "statusCodeDistribution": {"200": 57521, "404": 4},
        "errorDistribution": {"aborted due to deadline": 3, "connection closed": 2}
    }"#;

    #[test]
    fn oha_json_gives_200s_latency_and_real_errors() {
        let load = parse_oha(OHA_JSON).expect("parses");
        assert_eq!((load.ok, load.not_ok, load.errors), (57521, 4, 2));
        assert!((load.secs - 1.001693475).abs() < 1e-9);
        assert!((load.p50_ms - 0.061041).abs() < 1e-9);
        assert!((load.p99_ms - 0.150234).abs() < 1e-9);
        assert!(parse_oha("Error: connection refused").is_err());
    }

    const WRK_TEXT: &str = "Running 1s test @ http://127.0.0.1:41851/_sim/nothere
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   170.25us  554.09us   9.26ms   94.80%
    Req/Sec    33.06k     5.85k   39.87k    80.95%
  Latency Distribution
     50%   41.00us
     75%   65.00us
     90%  174.00us
     99%    2.92ms
  69049 requests in 1.10s, 5.40MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 49
Requests/sec:  62779.41
Transfer/sec:      4.91MB
";

    #[test]
    fn wrk_text_gives_successes_latency_and_errors() {
        let load = parse_wrk(WRK_TEXT).expect("parses");
        assert_eq!((load.ok, load.not_ok, load.errors), (69000, 49, 3));
        assert!((load.secs - 1.1).abs() < 1e-9);
        assert!((load.p50_ms - 0.041).abs() < 1e-9);
        assert!((load.p99_ms - 2.92).abs() < 1e-9);
        let without_latency = WRK_TEXT.replace("     50%   41.00us\n", "");
        assert!(parse_wrk(&without_latency).is_err());
    }

    #[test]
    fn merged_runs_add_counts_and_keep_the_worse_p99() {
        let run = |ok, secs, p99_ms, keyhole_us| Load {
            ok,
            secs,
            p50_ms: 1.0,
            p99_ms,
            cpu: CpuUse {
                keyhole_us,
                others_pct: 10.0,
                ..CpuUse::default()
            },
            ..Load::default()
        };
        let merged = run(300, 3.0, 4.0, 10.0).merge(&run(100, 3.0, 9.0, 30.0));
        assert_eq!(merged.ok, 400);
        assert!((merged.rate() - 400.0 / 6.0).abs() < 1e-9);
        assert_eq!(merged.p99_ms, 9.0);
        assert!((merged.cpu.keyhole_us - 15.0).abs() < 1e-9);
        assert!((merged.cpu.others_pct - 10.0).abs() < 1e-9);
    }

    #[test]
    fn wrk_durations_have_units() {
        assert_eq!(wrk_seconds("5.00s"), Some(5.0));
        assert_eq!(wrk_seconds("1.00m"), Some(60.0));
        assert!(wrk_seconds("812.00us").is_some_and(|s| (s - 0.000812).abs() < 1e-12));
        assert_eq!(wrk_seconds("12"), None);
        assert_eq!(wrk_seconds("3.0ks"), None);
    }

    #[test]
    fn proc_stat_ticks_skip_the_command_name() {
        let stat = "4242 (tokio (rt) x) S 1 2 3 4 5 6 7 8 9 10 120 30 7 3 20 0 4";
        assert_eq!(parse_process_ticks(stat), Some((150, 10)));
        assert_eq!(parse_process_ticks("1 (x) S 1"), None);
    }

    #[test]
    fn machine_ticks_leave_out_idle_and_iowait() {
        let stat = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        assert_eq!(parse_machine_ticks(stat), Some((160, 980)));
    }
}
