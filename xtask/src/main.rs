//! Project commands, run from anywhere in the workspace:
//!
//! ```text
//! cargo xtask dev     # simulator :9000 + keyhole :3000 + trunk serve :8080
//! cargo xtask test    # fmt, clippy, cargo test, release build, Playwright
//! cargo xtask e2e     # release build + Playwright only (fast iteration)
//! cargo xtask bench   # release builds + load tests → target/bench/RESULTS.md
//! ```
//!
//! Each installs what is missing first, from the package registries only
//! (see `../shared/TOOLCHAIN.md`), and is safe to run again.

mod bench;
mod bundle;
mod dev;
mod e2e;
mod proc;
mod test;
mod tools;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Each command returns whether everything passed.
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run().map(|()| true),
        Some("test") => test::run(),
        Some("e2e") => e2e::run_alone(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        // Hidden: the measuring half of `bench`, run from a release build.
        Some("bench-measure") => bench::measure(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <dev|test|e2e|bench>");
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

/// Cargo's target directory (`CARGO_TARGET_DIR`, else `target/`).
fn target_dir() -> PathBuf {
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
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
