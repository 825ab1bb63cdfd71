//! `cargo xtask test`: every check CI runs, in order, ending with the line
//! `xtask: N passed, M failed, K skipped`. A stage that fails (fmt, clippy,
//! a build) counts as one failure, so the total can never read as a silent
//! pass; an ignored test or a skipped spec counts as skipped, never passed.
//! The last stage packs `cargo xtask dist`'s archive from the same app build
//! and checks it (one test).

use anyhow::{Context, Result};
use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Instant, SystemTime},
};
use xtask::{
    bundle,
    e2e::{self, Totals},
    package, package_check,
    proc::{describe, disk_report},
    root, tools,
};

#[derive(Debug, Default)]
struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
    failures: Vec<String>,
}

impl Tally {
    fn stage(&mut self, name: &str, ok: bool) {
        if !ok {
            self.failed += 1;
            self.failures.push(name.to_owned());
        }
    }

    /// A stage that is a test in itself: counted as passed when it passes.
    fn test(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.stage(name, false);
        }
    }
}

pub(crate) fn run() -> Result<bool> {
    let started = Instant::now();
    let mut tally = Tally::default();

    tools::ensure_build_tools()?;
    tools::ensure_browser_tools()?;
    tools::ensure_test_services()?;
    eprintln!("xtask: disk: {}", disk_report(&xtask::target_dir()));

    tally.stage(
        "cargo fmt --check",
        step(cargo(&["fmt", "--all", "--", "--check"])),
    );
    tally.stage(
        "clippy (host)",
        step(cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    );
    tally.stage(
        "clippy (wasm app)",
        step(cargo(&[
            "clippy",
            "-p",
            "app",
            "-p",
            "keyhole-leptos",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ])),
    );
    // The library with only the memory store and no allocator: the feature
    // gates must keep compiling, and its refusals are tested there.
    tally.stage(
        "clippy (keyhole, no default features)",
        step(cargo(&[
            "clippy",
            "-p",
            "keyhole",
            "--no-default-features",
            "--lib",
            "--bins",
            "--",
            "-D",
            "warnings",
        ])),
    );
    tally.stage(
        "unit tests (keyhole, no default features)",
        step(cargo(&[
            "test",
            "-p",
            "keyhole",
            "--no-default-features",
            "--lib",
        ])),
    );

    let (counts, ok) = cargo_tests()?;
    let failed = counts.failed;
    tally.passed += counts.passed;
    tally.failed += failed;
    tally.skipped += counts.skipped;
    if !ok && failed == 0 {
        tally.stage("cargo test (did not run to the end)", false);
    } else if failed > 0 {
        tally.failures.push(format!("cargo test: {failed} failed"));
    }

    // The end-to-end stage, from the app build through Playwright, takes
    // turns with other worktrees' runs on the shared target directory.
    let _turn = e2e::lock()?;
    let app_started = SystemTime::now();
    let built = report(
        e2e::build_dist().and_then(|()| e2e::build_host_dist()),
        "trunk build --release",
    );
    tally.stage("trunk build --release", built);
    if built {
        if let Err(e) = bundle::print_sizes() {
            eprintln!("xtask: cannot measure the bundle: {e:#}");
        }
        let servers = report(e2e::build_servers(), "build servers");
        tally.stage("build servers", servers);
        if servers {
            match e2e::playwright(&[]) {
                Ok(t) => {
                    tally.passed += t.passed;
                    tally.failed += t.failed;
                    tally.skipped += t.skipped;
                    if t.failed > 0 {
                        tally
                            .failures
                            .push(format!("playwright: {} failed", t.failed));
                    }
                }
                Err(e) => {
                    eprintln!("xtask: playwright stage: {e:#}");
                    tally.stage("playwright (could not run)", false);
                }
            }
            // The package of `cargo xtask dist`, from this run's app build,
            // unpacked and run as an operator would: one test.
            tally.test(
                "release package",
                report(package(app_started), "release package"),
            );
        } else {
            tally.stage("release package (skipped: no servers)", false);
        }
    } else {
        tally.stage("playwright (skipped: no build)", false);
        tally.stage("release package (skipped: no build)", false);
    }

    eprintln!("xtask: disk: {}", disk_report(&xtask::target_dir()));
    eprintln!(
        "xtask: finished in {:.0} s{}",
        started.elapsed().as_secs_f64(),
        if tally.failures.is_empty() {
            String::new()
        } else {
            format!("; failed: {}", tally.failures.join(", "))
        }
    );
    println!(
        "xtask: {} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.skipped
    );
    Ok(tally.failed == 0)
}

/// `cargo xtask dist --check` on this run's app build: a release `keyhole`,
/// the archive, and the package check with the simulator just built.
fn package(app_started: SystemTime) -> Result<()> {
    eprintln!("xtask: ▶ release package (cargo xtask dist --check)");
    let _turn = package::lock()?;
    let archive = package::build_and_pack(app_started)?;
    package_check::check(&archive, &xtask::target_dir().join("debug/keyhole-sim"))
}

fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.args(args).current_dir(root());
    cmd
}

/// Runs a stage command, printing its name first.
fn step(mut cmd: Command) -> bool {
    eprintln!("xtask: ▶ {}", describe(&cmd));
    report(xtask::proc::run(&mut cmd), &describe(&cmd))
}

fn report(result: Result<()>, name: &str) -> bool {
    match result {
        Ok(()) => true,
        Err(e) => {
            eprintln!("xtask: ✗ {name}: {e:#}");
            false
        }
    }
}

/// `cargo test --workspace`, echoing its output and summing every
/// `test result:` line. Returns the counts and whether cargo exited successfully.
fn cargo_tests() -> Result<(Totals, bool)> {
    let mut cmd = cargo(&["test", "--workspace", "--no-fail-fast"]);
    eprintln!("xtask: ▶ {}", describe(&cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start cargo test")?;
    let out = child.stdout.take().context("no stdout")?;
    let mut sum = Totals::default();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        println!("{line}");
        if let Some(t) = parse_result(&line) {
            sum.passed += t.passed;
            sum.failed += t.failed;
            sum.skipped += t.skipped;
        }
    }
    let status = child.wait()?;
    Ok((sum, status.success()))
}

/// `test result: ok. 12 passed; 0 failed; 1 ignored; ...` → 12, 0, 1.
fn parse_result(line: &str) -> Option<Totals> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let number_before = |word: &str| -> Option<u64> {
        let end = rest.find(word)?;
        rest[..end].trim_end().rsplit(' ').next()?.parse().ok()
    };
    Some(Totals {
        passed: number_before(" passed")?,
        failed: number_before(" failed")?,
        skipped: number_before(" ignored").unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_result;

    fn counts(line: &str) -> Option<(u64, u64, u64)> {
        parse_result(line).map(|t| (t.passed, t.failed, t.skipped))
    }

    #[test]
    fn parses_libtest_summaries_with_ignored_tests_as_skipped() {
        assert_eq!(
            counts(
                "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            Some((12, 0, 1))
        );
        assert_eq!(
            counts("test result: FAILED. 3 passed; 2 failed; 0 ignored"),
            Some((3, 2, 0))
        );
        assert_eq!(counts("running 3 tests"), None);
    }
}
