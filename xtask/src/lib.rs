//! What the project commands share: child processes, tool installs, the app
//! build and its sizes, the end-to-end stage, the release package and its
//! check, and the simulator's dev credentials. `main.rs` is the
//! `cargo xtask` dispatcher; the `keyhole-bench` binary (`bench/`) uses
//! this library too, so both run the same code.
//!
//! Kept light on purpose: `cargo xtask` is compiled in debug on first use, so
//! nothing here may pull in a web stack (tokio, axum, reqwest).

pub mod bundle;
pub mod e2e;
pub mod package;
pub mod package_check;
pub mod proc;
pub mod tools;

/// The simulator's dev client credentials: the very file behind
/// `provider_sim::dev`, compiled in here rather than depending on the
/// `provider-sim` crate, which would bring its web stack into xtask's debug
/// build. The file holds constants only, so both crates share one copy.
#[path = "../../provider-sim/src/dev.rs"]
pub mod sim_dev;

use std::{
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

/// Cargo's target directory (`CARGO_TARGET_DIR`, else `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        })
        .unwrap_or_else(|| root().join("target"))
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Milliseconds since the Unix epoch: `cargo xtask bench` records its start
/// in `setup.json`, and `keyhole-bench` reports the whole run's time from it.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
