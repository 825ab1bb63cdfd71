//! `keyhole-bench SETUP.json`: phase 2 of `cargo xtask bench`, the measurements.
//!
//! `cargo xtask bench` (phase 1, in xtask) installs the load generator,
//! builds release binaries of keyhole, the simulator and this crate, builds
//! the app, writes `target/bench/setup.json` and runs
//! `target/release/keyhole-bench target/bench/setup.json`. The bare-axum
//! baselines and the login client live here, so they are optimised like
//! keyhole is, or the ratios would flatter keyhole. Nothing here asserts on
//! time.
//!
//! For each session store (memory, SQLite, and Redis when `redis-server` is
//! installed) a fresh simulator and keyhole start on loopback ports; then:
//! start-up time, `GET /api/me` against a bare axum handler serving the same
//! body, the balance route against the simulator's userinfo called directly,
//! complete logins per second, a refresh storm, and keyhole's RSS (the memory
//! store also gets a bounded fill towards 100 000 sessions); then SQLite
//! and Redis again, filled through the store to 1 000 and to 1 000 000
//! sessions (module `growth`). Every load is
//! bounded in time and count; every process started here stops when its
//! guard drops. The table is printed and written to `target/bench/RESULTS.md`.
//!
//! `keyhole-bench soak --minutes N` is `cargo xtask soak` (module `soak`):
//! two instances on one Redis under a mixed load, with restarts.
//!
//! Modules: `store` (one store's run), `baseline` (the bare servers), `cpu`
//! (/proc accounting), `growth` (the store sizes), `load`, `parse` and `run` (the load generator), `login` (the
//! login client), `storm` (the refresh storm), `machine`, `report` and `rows`
//! (the table).

mod baseline;
mod cpu;
mod growth;
mod load;
mod login;
mod machine;
mod pair;
mod parse;
mod report;
mod rows;
mod run;
mod soak;
mod store;
mod storm;

use anyhow::{Context, Result};
use serde_json::Value;
use std::{
    process::ExitCode,
    time::{Duration, Instant},
};
use xtask::{bundle, target_dir, tools, unix_ms};

/// The allocator keyhole ships with: the baselines and the login client in
/// this process use it too, so a ratio measures keyhole's work, not malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::{
    growth::measure_growth,
    load::LoadTool,
    machine::{Machine, loadavg},
    pair::measure_versus,
    report::Report,
    store::{Store, measure_store},
};

/// Length of each load-generator run. A measurement and its baseline run
/// interleaved, A B B A, so drift in the machine's speed (other agents,
/// the VM's host) falls on both: each side gets two runs.
const LOAD: Duration = Duration::from_secs(3);
/// How long the login load runs.
const LOGIN_LOAD: Duration = Duration::from_secs(5);
/// Uncounted warm-up before each measured run.
const WARMUP: Duration = Duration::from_secs(1);
/// Concurrent connections of every load-generator run (the goal is
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("soak") => soak::run(&args[1..]),
        _ => measure(args.first().cloned()).map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("keyhole-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `keyhole-bench SETUP.json` (release build, started by `cargo xtask bench`).
fn measure(path: Option<String>) -> Result<()> {
    let path = path.context("usage: keyhole-bench target/bench/setup.json")?;
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let setup: Value = serde_json::from_str(&text).context("parsing the bench setup")?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(measure_all(&setup))
}

async fn measure_all(setup: &Value) -> Result<()> {
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
    for &store in &stores {
        eprintln!("xtask bench: {} store", store.name());
        let variant = measure_store(&bin, &tool, &http, store)
            .await
            .with_context(|| format!("{} store", store.name()))?;
        variants.push(variant);
    }
    eprintln!("xtask bench: SQLite against memory, side by side");
    let versus = measure_versus(&bin, &tool, &http)
        .await
        .context("SQLite against memory")?;
    let mut growth = Vec::new();
    for &store in stores.iter().filter(|s| **s != Store::Memory) {
        eprintln!("xtask bench: {} store, growth", store.name());
        let run = measure_growth(&bin, &tool, &http, store)
            .await
            .with_context(|| format!("{} store, growth", store.name()))?;
        growth.push(run);
    }

    let report = Report {
        machine,
        load_after: loadavg(),
        setup,
        sizes: &sizes,
        variants: &variants,
        versus: &versus,
        growth: &growth,
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
    Ok(())
}
