//! `cargo xtask dist [--check]`: the release package. Builds the app
//! (`trunk build --release`) and a release `keyhole`, packs them with
//! `packaging/` and the licences into
//! `target/dist/keyhole-<version>-<target>.tar.gz` (see `xtask::package`),
//! and prints its path and size. `--check` then runs the package check
//! `cargo xtask test` runs (`xtask::package_check`).

use anyhow::{Result, bail};
use std::time::SystemTime;
use xtask::{e2e, package, package_check, target_dir, tools};

/// `cargo xtask dist [--check]`.
pub(crate) fn run(args: &[String]) -> Result<bool> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => bail!("usage: cargo xtask dist [--check]"),
    };
    tools::ensure_build_tools()?;
    // The check runs the debug simulator the end-to-end stage shares: take
    // that turn first, as `cargo xtask test` does, so the two locks are
    // always taken in one order.
    let _e2e = if check { Some(e2e::lock()?) } else { None };
    let _turn = package::lock()?;
    let app_started = SystemTime::now();
    e2e::build_dist()?;
    let archive = package::build_and_pack(app_started)?;
    let size = std::fs::metadata(&archive)?.len();
    println!("{} ({})", archive.display(), package::megabytes(size));
    if check {
        e2e::build_servers()?;
        package_check::check(&archive, &target_dir().join("debug/keyhole-sim"))?;
    }
    Ok(true)
}
