//! The end-to-end stage: release builds of the app and of the example host,
//! the simulator, keyhole and the embed example on free loopback ports, then
//! Playwright in Debian's Chromium.

use crate::{
    proc::{Server, free_port, run, wait_ready},
    root, tools,
};
use anyhow::{Context, Result};
use std::{process::Command, time::Duration};

/// The embed example's AIHubMix client secret; the spec registers the
/// client with the simulator under the same one.
const EMBED_CLIENT_SECRET: &str = "embed-secret";

/// Playwright totals from its JSON report.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub passed: u64,
    pub failed: u64,
    /// Specs that did not run (`test.skip`, a failed `beforeAll`): never
    /// counted as passed.
    pub skipped: u64,
}

/// `cargo xtask e2e [playwright args]`: build and run Playwright only. The
/// arguments go to `playwright test` as they are, e.g. spec files
/// (`tests/elice_login.spec.ts`) or `--repeat-each 3`.
pub fn run_alone(args: &[String]) -> Result<bool> {
    tools::ensure_build_tools()?;
    tools::ensure_browser_tools()?;
    let _turn = lock()?;
    build_dist()?;
    build_host_dist()?;
    build_servers()?;
    let totals = playwright(args)?;
    println!(
        "xtask: {} passed, {} failed, {} skipped",
        totals.passed, totals.failed, totals.skipped
    );
    Ok(totals.failed == 0)
}

/// Waits for, then holds, the end-to-end stage of this target directory until
/// the handle drops. Runs from different worktrees share the target directory:
/// its `e2e/` (keyhole.toml, the SQLite store and its sealing key) and the
/// server binaries in `debug/`, which a second run would rebuild from its own
/// sources under the first one's feet. Hold it from the builds through
/// Playwright.
pub fn lock() -> Result<std::fs::File> {
    let dir = crate::target_dir().join("e2e");
    std::fs::create_dir_all(&dir)?;
    crate::proc::exclusive(&dir.join(".lock"), "end-to-end run")
}

/// `trunk build --release --offline` into `dist/`.
pub fn build_dist() -> Result<()> {
    // Two trunk builds at once (a test and a bench, say) delete each other's
    // files in dist/ and one fails: take turns.
    std::fs::create_dir_all(crate::target_dir())?;
    let _turn = crate::proc::exclusive(&crate::target_dir().join("dist.lock"), "app build")?;
    run(Command::new("cargo")
        .args(["fetch", "--quiet"])
        .current_dir(root()))?;
    run(tools::trunk()
        .args(["build", "--release", "--offline"])
        .current_dir(root())
        // Plain output in CI logs (trunk 0.21 wants a boolean here).
        .env("NO_COLOR", "true"))
}

/// Where the example host (`examples/host-app`) is built: the embed
/// example serves it.
pub fn host_dist() -> std::path::PathBuf {
    crate::target_dir().join("host-dist")
}

/// `trunk build --release --offline` of the example host, a second Leptos
/// app that signs in through `keyhole-leptos` alone, into [`host_dist`].
pub fn build_host_dist() -> Result<()> {
    std::fs::create_dir_all(crate::target_dir())?;
    let _turn = crate::proc::exclusive(&crate::target_dir().join("dist.lock"), "app build")?;
    run(tools::trunk()
        .args(["build", "--release", "--offline", "--dist"])
        .arg(host_dist())
        .current_dir(root().join("examples/host-app"))
        .env("NO_COLOR", "true"))
}

/// Debug builds of the two servers and of keyhole's embed example (they
/// share `cargo test`'s artifacts).
pub fn build_servers() -> Result<()> {
    run(Command::new("cargo")
        .args(["build", "--quiet", "-p", "keyhole", "-p", "provider-sim"])
        .args(["--bins", "--example", "embed"])
        .current_dir(root()))
}

/// Starts the simulator and keyhole, runs Playwright, returns its totals.
pub fn playwright(extra_args: &[String]) -> Result<Totals> {
    let root = root();
    let bin = crate::target_dir().join("debug");
    let port = free_port()?;
    let app_url = format!("http://127.0.0.1:{port}");

    let (_sim, sim_url) = Server::start_announced(
        "sim",
        Command::new(bin.join("keyhole-sim"))
            .args(["--port", "0", "--app-url", &app_url])
            .env("RUST_LOG", "warn"),
    )?;

    let dir = crate::target_dir().join("e2e");
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("keyhole.toml");
    // A fresh SQLite store each run: the embedded default, as users get it.
    let db = fresh_sqlite(&dir);
    std::fs::write(
        &config,
        e2e_config(&app_url, port, &sim_url, &root.join("dist"), &db)?,
    )?;
    let _keyhole = Server::start(
        "keyhole",
        Command::new(bin.join("keyhole"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", "warn")
            .envs(dev_secrets()),
    )?;
    wait_ready(port, "/readyz", Duration::from_secs(30))?;
    // Keyhole as a library: the embed example, nesting it under `/auth`
    // beside the example host's app (`tests/embed_host.spec.ts`).
    let (_embed, embed_url) = Server::start_announced(
        "embed",
        Command::new(bin.join("examples/embed"))
            .env("SIM_URL", &sim_url)
            .env("EMBED_ADDR", "127.0.0.1:0")
            .env("EMBED_SITE", host_dist())
            .env("KEYHOLE_AIHUBMIX_CLIENT_SECRET", EMBED_CLIENT_SECRET)
            .env("RUST_LOG", "warn"),
    )?;

    let e2e = root.join("end2end");
    let report = e2e.join("test-results/results.json");
    let _ = std::fs::remove_file(&report);
    let status = Command::new("npx")
        .args(["playwright", "test"])
        .args(extra_args)
        .current_dir(&e2e)
        .env("KEYHOLE_BASE_URL", &app_url)
        .env("KEYHOLE_SIM_URL", &sim_url)
        .env("KEYHOLE_EMBED_URL", &embed_url)
        .env("CHROMIUM_PATH", tools::chromium_path())
        .status()
        .context("cannot start npx playwright")?;
    let totals = read_report(&report).unwrap_or_else(|e| {
        eprintln!("xtask: no Playwright report ({e:#})");
        Totals::default()
    });
    if !status.success() && totals.failed == 0 {
        // Crashed before reporting: count it, never report a silent pass.
        return Ok(Totals {
            failed: 1,
            ..totals
        });
    }
    Ok(totals)
}

fn read_report(path: &std::path::Path) -> Result<Totals> {
    let text = std::fs::read_to_string(path)?;
    totals(&serde_json::from_str(&text)?)
}

/// Totals from the `stats` of Playwright's JSON report.
fn totals(json: &serde_json::Value) -> Result<Totals> {
    let stats = json.get("stats").context("no stats in the report")?;
    let stat = |k: &str| stats[k].as_u64().unwrap_or(0);
    Ok(Totals {
        passed: stat("expected") + stat("flaky"),
        failed: stat("unexpected"),
        skipped: stat("skipped"),
    })
}

/// keyhole's config for the run: the release `dist/`, a fresh SQLite store,
/// and the providers of `dev/keyhole.dev.toml` aimed at this run's simulator.
fn e2e_config(
    app_url: &str,
    port: u16,
    sim_url: &str,
    dist: &std::path::Path,
    db: &std::path::Path,
) -> Result<String> {
    let dev = std::fs::read_to_string(root().join("dev/keyhole.dev.toml"))
        .context("reading dev/keyhole.dev.toml")?;
    let providers = dev
        .find("\n[[providers]]")
        .map(|at| &dev[at..])
        .context("dev/keyhole.dev.toml has no [[providers]]")?;
    Ok(format!(
        r#"# Written by `cargo xtask`: the e2e run's keyhole config.
public_url = "{app_url}"
bind = "127.0.0.1:{port}"
dist = {dist:?}

[session]
store = "sqlite://{db}"

# Every browser of the suite comes from 127.0.0.1: one address for many
# people, so the per-address and per-session limits are lifted here (the
# server tests cover them).
[limits]
logins_per_minute = 100000
logins_per_browser = 1000
calls_per_minute = 100000
sends_per_minute = 100000

{providers}"#,
        dist = dist.display().to_string(),
        db = db.display(),
        providers = providers.replace(DEV_SIM_URL, sim_url),
    ))
}

/// `dir/keyhole.db` with no database, WAL files or sealing key left from an
/// earlier run.
pub fn fresh_sqlite(dir: &std::path::Path) -> std::path::PathBuf {
    for file in [
        "keyhole.db",
        "keyhole.db-wal",
        "keyhole.db-shm",
        "session.key",
    ] {
        let _ = std::fs::remove_file(dir.join(file));
    }
    dir.join("keyhole.db")
}

/// Where `dev/keyhole.dev.toml` expects the simulator.
const DEV_SIM_URL: &str = "http://127.0.0.1:9000";

/// The simulator's dev client secrets, as keyhole reads them
/// (`KEYHOLE_<ID>_CLIENT_SECRET` for each provider id of the dev config).
pub fn dev_secrets() -> [(&'static str, &'static str); 7] {
    use crate::sim_dev as dev;
    [
        (
            "KEYHOLE_AIHUBMIX_CLIENT_SECRET",
            dev::AIHUBMIX_CLIENT_SECRET,
        ),
        ("KEYHOLE_LINE_CLIENT_SECRET", dev::LINE_LOGIN_CHANNEL_SECRET),
        ("KEYHOLE_ELICE_CLIENT_SECRET", dev::ELICE_CLIENT_SECRET),
        ("KEYHOLE_FEISHU_CLIENT_SECRET", dev::FEISHU_APP_SECRET),
        ("KEYHOLE_OIDC_CLIENT_SECRET", dev::OIDC_CLIENT_SECRET),
        (
            "KEYHOLE_LINE_NOTIFY_CLIENT_SECRET",
            dev::LINE_NOTIFY_CLIENT_SECRET,
        ),
        (
            "KEYHOLE_LINE_BOT_CLIENT_SECRET",
            dev::LINE_BOT_CHANNEL_SECRET,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_specs_are_counted_apart_from_passed_ones() {
        let report = serde_json::json!({
            "stats": {"expected": 20, "flaky": 1, "unexpected": 2, "skipped": 3}
        });
        let t = totals(&report).unwrap();
        assert_eq!((t.passed, t.failed, t.skipped), (21, 2, 3));
        assert!(totals(&serde_json::json!({})).is_err());
    }
}
