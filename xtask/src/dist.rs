//! `cargo xtask dist`: the release package. Builds the app (`trunk build
//! --release`) and a release `keyhole`, packs them with `packaging/` and the
//! licences into `target/dist/keyhole-<version>-<target>.tar.gz` (see
//! `xtask::package`), and prints its path and size.

use anyhow::{Result, bail};
use std::time::SystemTime;
use xtask::{e2e, package, tools};

/// `cargo xtask dist`.
pub(crate) fn run(args: &[String]) -> Result<bool> {
    if !args.is_empty() {
        bail!("usage: cargo xtask dist");
    }
    tools::ensure_build_tools()?;
    let _turn = package::lock()?;
    let app_started = SystemTime::now();
    e2e::build_dist()?;
    let archive = package::build_and_pack(app_started)?;
    let size = std::fs::metadata(&archive)?.len();
    println!("{} ({})", archive.display(), package::megabytes(size));
    Ok(true)
}
