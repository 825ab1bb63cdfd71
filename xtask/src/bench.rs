//! `cargo xtask bench [--oha | --wrk]`: phase 1 of the benchmark, the tools
//! and builds; phase 2, the measurements, is the `keyhole-bench` binary
//! (`bench/`), which this hands over to. Together they measure keyhole
//! against baselines in one run on this machine, print one Markdown table
//! and write it to `target/bench/RESULTS.md`. Nothing here asserts on time.
//!
//! Phase 1 picks the load generator (`oha` when it is installed, else
//! Debian's `wrk`, installed with apt in seconds; building `oha` takes about
//! ten minutes on two shared cores; `--oha` or `--wrk` choose, installing what
//! is missing), builds release binaries of keyhole, the simulator and
//! `keyhole-bench` *while* installing the app's build tools, builds the app,
//! writes `target/bench/setup.json` and runs
//! `target/release/keyhole-bench target/bench/setup.json`.
//!
//! The measuring half is a crate of its own so that (a) its bare-axum
//! baseline and login client are optimised like keyhole is, or the ratios
//! would flatter keyhole, and (b) `cargo xtask`, compiled in debug on first
//! use, needs no web stack.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
use std::{
    process::{Command, ExitStatus},
    thread::{self, JoinHandle},
    time::Instant,
};
use xtask::{
    e2e,
    proc::{describe, exclusive, run as run_cmd},
    root, target_dir, tools, unix_ms,
};

/// `cargo xtask bench [--oha | --wrk]`.
pub(crate) fn run(args: &[String]) -> Result<bool> {
    let started_ms = unix_ms();
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    // Two runs at once would share target/bench/ and each other's CPU.
    let _lock = exclusive(&dir.join(".lock"), "`cargo xtask bench`")?;

    let choice = match args.first().map(String::as_str) {
        None => None,
        Some("--oha") => Some(tools::OHA),
        Some("--wrk") => Some(tools::WRK),
        Some(other) => {
            bail!("unknown argument {other:?}; usage: cargo xtask bench [--oha | --wrk]")
        }
    };
    let tool = choice.unwrap_or(if tools::oha_installed() {
        tools::OHA
    } else {
        tools::WRK
    });
    let t = Instant::now();
    let installed = if tool == tools::OHA {
        tools::ensure_oha()?
    } else {
        tools::ensure_wrk()?
    };
    // The Redis rows need a real redis-server (Debian's, seconds to install).
    tools::ensure_test_services()?;
    let tool_install = installed.then(|| t.elapsed().as_secs_f64());
    let tool_path = if tool == tools::OHA {
        tools::oha_path()
    } else {
        tools::wrk_path()
    };

    // The release build runs while the app's tools install: on a fresh
    // machine those are two `cargo install`s (trunk ~9 min, wasm-bindgen-cli
    // ~3 min), and two cargo processes fill two cores better than one (each
    // cold build has long single-crate phases).
    let together = Instant::now();
    let build = ReleaseBuild::start()?;
    let t = Instant::now();
    let app_tools_result = tools::ensure_build_tools();
    let app_tools = t.elapsed().as_secs_f64();
    if app_tools_result.is_err() {
        eprintln!("xtask bench: the app tools failed; letting the release build finish");
    }
    // Waited for in any case: nothing this run started outlives it.
    let build = build.wait();
    let build_and_tools = together.elapsed().as_secs_f64();
    app_tools_result?;
    let build = build?;

    let t = Instant::now();
    e2e::build_dist()?;
    let app_build = t.elapsed().as_secs_f64();

    let setup = json!({
        "started_unix_ms": started_ms,
        "load_tool": tool,
        "load_tool_path": tool_path,
        "load_tool_install_secs": tool_install,
        // Wall time of each of the two overlapping steps, and of both.
        "overlapped": ["release build", "app tools"],
        "release_build_secs": build,
        "app_tools_secs": app_tools,
        "build_and_tools_secs": build_and_tools,
        "app_build_secs": app_build,
    });
    let path = dir.join("setup.json");
    std::fs::write(&path, serde_json::to_string_pretty(&setup)?)?;
    run_cmd(Command::new(target_dir().join("release/keyhole-bench")).arg(&path))?;
    Ok(true)
}

/// `cargo` arguments building the three binaries the measurements (and
/// `cargo xtask soak`) run.
pub(crate) const RELEASE_BUILD: [&str; 8] = [
    "build",
    "--release",
    "-p",
    "keyhole",
    "-p",
    "provider-sim",
    "-p",
    "keyhole-bench",
];

/// `cargo build --release` of the three binaries the measurements run,
/// started in the background; [`ReleaseBuild::wait`] collects it.
#[derive(Debug)]
struct ReleaseBuild {
    shown: String,
    /// Waits for cargo; gives its status and how long it ran.
    waiter: JoinHandle<std::io::Result<(ExitStatus, f64)>>,
}

impl ReleaseBuild {
    fn start() -> Result<Self> {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(root()).args(RELEASE_BUILD);
        let shown = describe(&cmd);
        eprintln!("xtask bench: ▶ {shown} (alongside the app tools)");
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start `{shown}`"))?;
        let waiter = thread::spawn(move || {
            let status = child.wait()?;
            Ok((status, started.elapsed().as_secs_f64()))
        });
        Ok(Self { shown, waiter })
    }

    /// Waits for the build; its wall time in seconds, or an error if it failed.
    fn wait(self) -> Result<f64> {
        let (status, secs) = self
            .waiter
            .join()
            .map_err(|_| anyhow!("the thread waiting for `{}` panicked", self.shown))?
            .with_context(|| format!("waiting for `{}`", self.shown))?;
        if !status.success() {
            bail!("`{}` failed ({status})", self.shown);
        }
        eprintln!("xtask bench: release build done in {secs:.0} s");
        Ok(secs)
    }
}
