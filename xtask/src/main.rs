//! Project commands, run from anywhere in the workspace:
//!
//! ```text
//! cargo xtask dev     # simulator :9000 + keyhole :3000 + trunk serve :8080
//! cargo xtask test    # fmt, clippy, cargo test, release build, Playwright
//! cargo xtask e2e     # release build + Playwright only (fast iteration)
//! cargo xtask bench   # release builds + load tests → target/bench/RESULTS.md
//! cargo xtask soak    # two instances on Redis, restarts, N minutes (not in test)
//! cargo xtask fuzz    # cargo-fuzz targets, N seconds each, nightly (not in test)
//! cargo xtask dist    # release package → target/dist/keyhole-<version>-<target>.tar.gz
//! cargo xtask lint    # deny.toml: licences, bans, sources, advisories (not in test)
//! ```
//!
//! Each installs what is missing first, from the package registries only
//! (see `docs/contributing.md`), and is safe to run again. The shared parts
//! live in the `xtask` library (`lib.rs`); this binary only dispatches.

mod bench;
mod dev;
mod dist;
mod fuzz;
mod lint;
mod soak;
mod test;

use std::process::ExitCode;
use xtask::e2e;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Each command returns whether everything passed.
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run().map(|()| true),
        Some("test") => test::run(),
        Some("e2e") => e2e::run_alone(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("soak") => soak::run_soak(&args[1..]),
        Some("fuzz") => fuzz::run_fuzz(&args[1..]),
        Some("dist") => dist::run(&args[1..]),
        Some("lint") => lint::run_lint(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <dev|test|e2e|bench|soak|fuzz|dist|lint>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
