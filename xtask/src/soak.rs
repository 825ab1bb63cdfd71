//! `cargo xtask soak [--minutes N]`: release builds, then the soak itself,
//! which is `keyhole-bench soak` (`bench/src/soak/`): two keyhole instances
//! on one Redis under a mixed load for N minutes (default 5, at most 60),
//! with one Redis restart and one instance restart. Loopback only; not part
//! of `cargo xtask test`. Prints its report and writes it to
//! `target/soak/RESULTS.md`; fails when a must-hold number does not hold.

use anyhow::{Context, Result, bail};
use std::process::Command;
use xtask::{
    proc::{exclusive, run},
    root, target_dir, tools,
};

/// Default and largest soak length, in minutes.
const DEFAULT_MINUTES: u64 = 5;
const MAX_MINUTES: u64 = 60;

/// `cargo xtask soak [--minutes N]`.
pub(crate) fn run_soak(args: &[String]) -> Result<bool> {
    let minutes = minutes(args)?;
    let dir = target_dir().join("soak");
    std::fs::create_dir_all(&dir)?;
    // Two soaks at once would share target/soak/ and each other's CPU.
    let _lock = exclusive(&dir.join(".lock"), "`cargo xtask soak`")?;
    tools::ensure_test_services()?;
    run(Command::new("cargo")
        .current_dir(root())
        .args(crate::bench::RELEASE_BUILD))?;
    let status = Command::new(target_dir().join("release/keyhole-bench"))
        .args(["soak", "--minutes", &minutes.to_string()])
        .status()
        .context("starting keyhole-bench soak")?;
    Ok(status.success())
}

/// `--minutes N` (1 to [`MAX_MINUTES`]), else [`DEFAULT_MINUTES`].
fn minutes(args: &[String]) -> Result<u64> {
    match args {
        [] => Ok(DEFAULT_MINUTES),
        [flag, n] if flag == "--minutes" => match n.parse() {
            Ok(n) if (1..=MAX_MINUTES).contains(&n) => Ok(n),
            _ => bail!("--minutes takes a whole number from 1 to {MAX_MINUTES}, not {n:?}"),
        },
        _ => bail!("usage: cargo xtask soak [--minutes N]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn minutes_default_to_five_and_are_bounded() {
        assert_eq!(minutes(&[]).unwrap(), 5);
        assert_eq!(minutes(&args(&["--minutes", "2"])).unwrap(), 2);
        assert!(minutes(&args(&["--minutes", "0"])).is_err());
        assert!(minutes(&args(&["--minutes", "61"])).is_err());
        assert!(minutes(&args(&["--minutes"])).is_err());
        assert!(minutes(&args(&["--hours", "1"])).is_err());
    }
}
