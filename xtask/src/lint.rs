//! `cargo xtask lint [--no-advisories]`: the dependency policy of `deny.toml`
//! with cargo-deny (installed when missing): licences, bans and sources,
//! then RustSec advisories. Not part of `cargo xtask test`.
//!
//! The advisory database is cloned from GitHub. Where GitHub cannot be
//! reached (these build machines reach package registries only) that check
//! fails and says so, never a silent pass; `--no-advisories` runs the other
//! three and prints that advisories were not checked.

use anyhow::{Result, bail};
use std::process::Command;
use xtask::{
    proc::{describe, run},
    root, tools,
};

/// The checks that need nothing but the lockfile and the registry index.
const OFFLINE_CHECKS: [&str; 3] = ["licenses", "bans", "sources"];

pub(crate) fn run_lint(args: &[String]) -> Result<bool> {
    let advisories = match args {
        [] => true,
        [flag] if flag == "--no-advisories" => false,
        _ => bail!("usage: cargo xtask lint [--no-advisories]"),
    };
    tools::ensure_cargo_deny()?;
    let mut deny = Command::new("cargo");
    deny.args(["deny", "check"])
        .args(OFFLINE_CHECKS)
        .current_dir(root());
    eprintln!("xtask: ▶ {}", describe(&deny));
    let mut ok = run(&mut deny).is_ok();
    if advisories {
        let mut check = Command::new("cargo");
        check
            .args(["deny", "check", "advisories"])
            .current_dir(root());
        eprintln!("xtask: ▶ {}", describe(&check));
        if run(&mut check).is_err() {
            eprintln!(
                "xtask: advisories failed. If the lines above say the RustSec database \
                 could not be fetched (no route to github.com), nothing was checked: run \
                 this where GitHub is reachable, or `cargo xtask lint --no-advisories` \
                 for the rest."
            );
            ok = false;
        }
    } else {
        eprintln!("xtask: advisories NOT checked (--no-advisories)");
    }
    println!("xtask: lint {}", if ok { "passed" } else { "failed" });
    Ok(ok)
}
