//! `cargo xtask fuzz [--seconds N] [TARGET…]`: coverage-guided fuzzing of
//! the entry points the property tests cover, with cargo-fuzz (libFuzzer)
//! on the nightly toolchain. Installs cargo-fuzz when it is missing, builds
//! every target of `fuzz/` once, then runs each chosen target (all by
//! default) for N seconds (default 30) on a scratch corpus in
//! `fuzz/target/corpus/<target>/`, seeded from the committed
//! `fuzz/seeds/<target>/`. Prints per target the runs, coverage and features,
//! and whether it found a crash; exits non-zero on one, naming the artifact.
//!
//! Loopback only: the targets drive the router in-process, and every
//! provider they configure is a closed port on 127.0.0.1. Not part of
//! `cargo xtask test`. Nightly builds go to the fuzz crate's own
//! `fuzz/target/`, never the workspace's target directory.

use anyhow::{Context, Result, bail};
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};
use xtask::{
    proc::{describe, exclusive, run},
    root, tools,
};

/// The targets of `fuzz/fuzz_targets/`, in the order they run.
const TARGETS: &[&str] = &[
    "return_to",
    "callback",
    "webhook",
    "token_response",
    "id_token",
    "config",
];

const DEFAULT_SECONDS: u64 = 30;
const MAX_SECONDS: u64 = 3600;

/// No sanitizer: the workspace forbids `unsafe`, so AddressSanitizer would
/// halve the executions per second to watch code that is not ours; panics,
/// aborts, stack overflows and hangs are caught without it.
const SANITIZER: &str = "none";

/// One input taking longer than this is reported as a hang (libFuzzer's
/// `-timeout`, seconds).
const INPUT_TIMEOUT_SECS: u32 = 10;

/// What one target's run reported.
#[derive(Debug, Default, PartialEq)]
struct Report {
    runs: Option<u64>,
    exec_per_sec: Option<u64>,
    seconds: Option<u64>,
    cov: Option<u64>,
    features: Option<u64>,
    corpus: Option<u64>,
    new_units: Option<u64>,
    /// `crash-…`, `timeout-…`, `oom-…`, `leak-…` written by libFuzzer.
    artifact: Option<String>,
    /// The panic message or libFuzzer's error line.
    reason: Option<String>,
}

/// `cargo xtask fuzz [--seconds N] [TARGET…]`.
pub(crate) fn run_fuzz(args: &[String]) -> Result<bool> {
    let (seconds, targets) = parse(args)?;
    let fuzz_dir = root().join("fuzz");
    let scratch = fuzz_dir.join("target");
    std::fs::create_dir_all(&scratch)?;
    // Two runs at once would share the corpora and halve each other's CPU.
    let _lock = exclusive(&scratch.join(".xtask-fuzz.lock"), "`cargo xtask fuzz`")?;
    let nightly = tools::ensure_nightly()?;
    tools::ensure_cargo_fuzz()?;
    eprintln!(
        "xtask: building the fuzz targets with {nightly} (the first build takes about 12 minutes on 2 cores)"
    );
    run(&mut cargo_fuzz(&["build", "-s", SANITIZER]))?;

    let mut reports = Vec::new();
    for target in &targets {
        let corpus = scratch.join("corpus").join(target);
        seed(&fuzz_dir.join("seeds").join(target), &corpus)?;
        let log = scratch.join("logs").join(format!("{target}.log"));
        std::fs::create_dir_all(log.parent().context("log directory")?)?;
        eprintln!(
            "xtask: fuzzing {target} for {seconds} s (log: {})",
            log.display()
        );
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let corpus_arg = corpus.to_string_lossy().into_owned();
        let mut cmd = cargo_fuzz(&["run", "-s", SANITIZER, target, &corpus_arg, "--"]);
        cmd.args([
            format!("-max_total_time={seconds}"),
            format!("-timeout={INPUT_TIMEOUT_SECS}"),
            "-print_final_stats=1".to_owned(),
        ])
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
        let status = cmd
            .status()
            .with_context(|| format!("cannot start `{}`", describe(&cmd)))?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let mut report = read_report(&text);
        if !status.success() && report.artifact.is_none() && report.reason.is_none() {
            report.reason = Some(format!("cargo fuzz run failed ({status}); see the log"));
        }
        reports.push((target.clone(), report, log));
    }

    print_table(seconds, &reports);
    let mut clean = true;
    for (target, report, log) in &reports {
        if report.artifact.is_none() && report.reason.is_none() {
            continue;
        }
        clean = false;
        println!("\n{target}: FOUND A PROBLEM");
        if let Some(reason) = &report.reason {
            println!("  {reason}");
        }
        if let Some(artifact) = &report.artifact {
            println!("  artifact: {}", root().join(artifact).display());
            println!("  reproduce: cargo +nightly fuzz run -s {SANITIZER} {target} {artifact}");
        }
        println!("  log: {}", log.display());
    }
    Ok(clean)
}

/// `cargo +nightly fuzz <args>` from the workspace root, through rustup's
/// proxy, with nothing from the outer `cargo xtask` that would send the
/// nightly build elsewhere (`CARGO_TARGET_DIR`) or pin another toolchain.
fn cargo_fuzz(args: &[&str]) -> Command {
    let mut cmd = Command::new(tools::cargo_proxy());
    cmd.arg("+nightly")
        .arg("fuzz")
        .args(args)
        .current_dir(root())
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO");
    cmd
}

/// Copies the committed seeds into the scratch corpus (which keeps what
/// earlier runs found).
fn seed(seeds: &Path, corpus: &Path) -> Result<()> {
    std::fs::create_dir_all(corpus)?;
    let Ok(entries) = std::fs::read_dir(seeds) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if let Some(name) = path.file_name().filter(|_| path.is_file()) {
            std::fs::copy(&path, corpus.join(name))
                .with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

/// `--seconds N` and target names, in any order; no name means all.
fn parse(args: &[String]) -> Result<(u64, Vec<String>)> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            let n = args.next().context("--seconds needs a number")?;
            seconds = match n.parse() {
                Ok(n) if (1..=MAX_SECONDS).contains(&n) => n,
                _ => bail!("--seconds takes a whole number from 1 to {MAX_SECONDS}, not {n:?}"),
            };
        } else if TARGETS.contains(&arg.as_str()) {
            if !targets.contains(arg) {
                targets.push(arg.clone());
            }
        } else {
            bail!(
                "usage: cargo xtask fuzz [--seconds N] [TARGET…]; `{arg}` is not a target \
                 (targets: {})",
                TARGETS.join(", ")
            );
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    }
    Ok((seconds, targets))
}

/// The numbers of a libFuzzer log: `-print_final_stats` lines, the last
/// status line (`#N DONE cov: … ft: … corp: …`), `Done N runs in S
/// second(s)`, and on a crash the artifact and the reason.
fn read_report(log: &str) -> Report {
    let mut r = Report::default();
    let number = |s: &str| s.trim().parse::<u64>().ok();
    for line in log.lines() {
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            r.runs = number(v);
        } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            r.exec_per_sec = number(v);
        } else if let Some(v) = line.strip_prefix("stat::new_units_added:") {
            r.new_units = number(v);
        } else if let Some(rest) = line.strip_prefix("Done ") {
            // `Done 1097698 runs in 61 second(s)`
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let [runs, "runs", "in", secs, ..] = words.as_slice() {
                r.runs = r.runs.or_else(|| number(runs));
                r.seconds = number(secs);
            }
        } else if line.starts_with('#') && line.contains(" cov: ") {
            let words: Vec<&str> = line.split_whitespace().collect();
            let after = |key: &str| {
                words
                    .iter()
                    .position(|w| *w == key)
                    .and_then(|i| words.get(i + 1))
                    .and_then(|w| w.split('/').next())
                    .and_then(number)
            };
            r.cov = after("cov:").or(r.cov);
            r.features = after("ft:").or(r.features);
            r.corpus = after("corp:").or(r.corpus);
        } else if let Some(at) = line.find("Test unit written to ") {
            r.artifact = Some(line[at + "Test unit written to ".len()..].trim().to_owned());
        } else if r.reason.is_none()
            && (line.contains("panicked at") || line.contains("ERROR: libFuzzer:"))
        {
            r.reason = Some(line.trim().to_owned());
        }
    }
    // A panic's message is on the line after `panicked at …`.
    if let Some(reason) = &r.reason
        && reason.contains("panicked at")
        && let Some(message) = log
            .lines()
            .skip_while(|l| !l.contains("panicked at"))
            .nth(1)
    {
        r.reason = Some(format!("{reason} {}", message.trim()));
    }
    r
}

fn print_table(seconds: u64, reports: &[(String, Report, PathBuf)]) {
    let show = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    println!("\nxtask: fuzz results ({seconds} s per target, sanitizer {SANITIZER})");
    println!(
        "{:<16} {:>12} {:>9} {:>6} {:>7} {:>8} {:>7}  result",
        "target", "runs", "exec/s", "time", "cov", "features", "corpus"
    );
    for (target, r, _) in reports {
        let result = match (&r.artifact, &r.reason) {
            (None, None) => "no crash".to_owned(),
            (Some(a), _) => format!("CRASH: {a}"),
            (None, Some(_)) => "FAILED (see below)".to_owned(),
        };
        println!(
            "{:<16} {:>12} {:>9} {:>6} {:>7} {:>8} {:>7}  {result}",
            target,
            show(r.runs),
            show(r.exec_per_sec),
            r.seconds
                .map_or_else(|| "-".to_owned(), |s| format!("{s} s")),
            show(r.cov),
            show(r.features),
            show(r.corpus),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn arguments_are_seconds_and_known_targets() {
        let (secs, all) = parse(&[]).unwrap();
        assert_eq!(secs, 30);
        assert_eq!(all, TARGETS);
        let (secs, some) = parse(&args(&["webhook", "--seconds", "60", "config"])).unwrap();
        assert_eq!(secs, 60);
        assert_eq!(some, ["webhook", "config"]);
        assert!(parse(&args(&["--seconds", "0"])).is_err());
        assert!(parse(&args(&["--seconds"])).is_err());
        assert!(parse(&args(&["nope"])).is_err());
    }

    #[test]
    fn targets_are_the_files_of_fuzz_targets() {
        let mut files: Vec<String> = std::fs::read_dir(root().join("fuzz/fuzz_targets"))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".rs").map(str::to_owned)
            })
            .collect();
        files.sort();
        let mut listed = TARGETS.to_vec();
        listed.sort_unstable();
        assert_eq!(files, listed);
    }

    #[test]
    fn a_clean_log_gives_its_numbers() {
        let log = "INFO: Seed: 1\n\
            #2\tINITED cov: 40 ft: 41 corp: 6/99b exec/s: 0 rss: 30Mb\n\
            #1097698\tDONE   cov: 442 ft: 1153 corp: 347/24Kb lim: 4096 exec/s: 182949 rss: 100Mb\n\
            Done 1097698 runs in 61 second(s)\n\
            stat::number_of_executed_units: 1097698\n\
            stat::average_exec_per_sec:     182949\n\
            stat::new_units_added:          341\n";
        let r = read_report(log);
        assert_eq!(r.runs, Some(1_097_698));
        assert_eq!(r.exec_per_sec, Some(182_949));
        assert_eq!(r.seconds, Some(61));
        assert_eq!(
            (r.cov, r.features, r.corpus),
            (Some(442), Some(1153), Some(347))
        );
        assert_eq!(r.new_units, Some(341));
        assert_eq!((r.artifact, r.reason), (None, None));
    }

    #[test]
    fn a_crash_names_its_artifact_and_panic() {
        let log = "#5\tNEW    cov: 50 ft: 60 corp: 7/120b\n\
            thread '<unnamed>' panicked at fuzz_targets/callback.rs:40:9:\n\
            GET /api/auth/x/callback → 500 Internal Server Error: {}\n\
            ==1== ERROR: libFuzzer: deadly signal\n\
            artifact_prefix='/w/fuzz/artifacts/callback/'; Test unit written to /w/fuzz/artifacts/callback/crash-abc\n";
        let r = read_report(log);
        assert_eq!(
            r.artifact.as_deref(),
            Some("/w/fuzz/artifacts/callback/crash-abc")
        );
        let reason = r.reason.unwrap();
        assert!(reason.contains("callback.rs:40:9"), "{reason}");
        assert!(reason.contains("500 Internal Server Error"), "{reason}");
    }
}
