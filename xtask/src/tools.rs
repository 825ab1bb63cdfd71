//! Installing what is missing, from the registries only: the wasm target,
//! trunk, wasm-bindgen-cli, oha, cargo-fuzz and cargo-deny (crates.io), wasm-opt (npm's binaryen),
//! Chromium, redis-server, libfaketime and wrk (Debian), and the npm
//! packages of `end2end/`. Each step is skipped when its result is already
//! there.

use crate::{proc::run, root};
use anyhow::{Context, Result, bail};
use std::{path::PathBuf, process::Command};

/// trunk 0.22 needs a newer rustc than the machines have (docs/contributing.md).
const TRUNK_VERSION: &str = "0.21.14";
/// oha, the load generator of `cargo xtask bench` (1.16 needs rustc 1.88).
const OHA_VERSION: &str = "1.16.0";

/// cargo-fuzz, the driver of `cargo xtask fuzz` (built with the stable
/// toolchain; it runs the fuzz builds with nightly).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// cargo-deny, the checker of `cargo xtask lint` (`deny.toml`).
const CARGO_DENY_VERSION: &str = "0.20.2";

/// The load generators `cargo xtask bench` can use, by the names its
/// `setup.json` gives `keyhole-bench`: oha (crates.io) and wrk (Debian).
pub const OHA: &str = "oha";
/// See [`OHA`].
pub const WRK: &str = "wrk";

/// Everything `trunk build` needs.
pub fn ensure_build_tools() -> Result<()> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_npm_dir(&root().join("xtask/tools"))?;
    Ok(())
}

/// Everything the Playwright stage needs.
pub fn ensure_browser_tools() -> Result<()> {
    ensure_chromium()?;
    ensure_npm_dir(&root().join("end2end"))?;
    Ok(())
}

/// Debian's libfaketime, which the clock-skew test preloads into a
/// `keyhole` binary.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// What `cargo test` needs beyond Rust: the Redis store tests start their
/// own `redis-server`, the clock-skew test runs `keyhole` under libfaketime
/// (both fail, never skip, without them). One apt call for what is missing.
pub fn ensure_test_services() -> Result<()> {
    let mut missing = Vec::new();
    if !redis_server_installed() {
        missing.push("redis-server");
    }
    if !libfaketime_installed() {
        missing.push("libfaketime");
    }
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian {}", missing.join(", "));
    apt_install(&missing)?;
    if !redis_server_installed() {
        bail!("redis-server still missing after apt-get install");
    }
    if !libfaketime_installed() {
        bail!("{LIBFAKETIME} still missing after apt-get install");
    }
    Ok(())
}

/// Whether Debian's libfaketime is there (tests may be pointed at another
/// with `LIBFAKETIME`).
pub fn libfaketime_installed() -> bool {
    std::env::var_os("LIBFAKETIME")
        .map_or_else(|| PathBuf::from(LIBFAKETIME), PathBuf::from)
        .is_file()
}

/// Whether `redis-server` is on PATH (or at Debian's place).
pub fn redis_server_installed() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .any(|dir| dir.join("redis-server").is_file())
}

/// PATH with npm's wasm-opt first, so trunk never picks Debian's binaryen,
/// then cargo's bin directory, where trunk and wasm-bindgen were installed
/// (it may be missing from PATH on a fresh machine).
pub fn tool_path() -> String {
    let npm = root().join("xtask/tools/node_modules/.bin");
    let cargo = cargo_bin("");
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{old}", npm.display(), cargo.display())
}

/// A command for trunk, found through [`tool_path`].
pub fn trunk() -> Command {
    let mut cmd = Command::new(cargo_bin("trunk"));
    if !cargo_bin("trunk").is_file() {
        cmd = Command::new("trunk");
    }
    cmd.env("PATH", tool_path());
    cmd
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    home.join("bin").join(name)
}

/// `name --version` output, if the program runs.
fn version_of(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup")?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    // RUSTUP_AUTO_INSTALL=0 on these machines: add the target explicitly.
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn ensure_trunk() -> Result<()> {
    let have = version_of("trunk").or_else(|| version_of(&cargo_bin("trunk").to_string_lossy()));
    if have.is_some_and(|v| v.ends_with(TRUNK_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing trunk {TRUNK_VERSION} (about 9 minutes on 2 cores)");
    run(Command::new("cargo").args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// Installs the load generator `oha` unless it is there; `true` when this
/// call installed it. (Its default TLS feature stays: 1.16 does not compile
/// without one.)
pub fn ensure_oha() -> Result<bool> {
    if oha_installed() {
        return Ok(false);
    }
    eprintln!("xtask: installing oha {OHA_VERSION} (about 10 minutes on 2 cores)");
    run(Command::new("cargo").args(["install", "--locked", "oha", "--version", OHA_VERSION]))?;
    Ok(true)
}

/// Installs `cargo-fuzz` unless that version is there.
pub fn ensure_cargo_fuzz() -> Result<()> {
    let have =
        version_of(&cargo_bin("cargo-fuzz").to_string_lossy()).or_else(|| version_of("cargo-fuzz"));
    if have.is_some_and(|v| v.ends_with(CARGO_FUZZ_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} (about 1.5 minutes on 2 cores)");
    run(Command::new(cargo_proxy()).args([
        "install",
        "--locked",
        "cargo-fuzz",
        "--version",
        CARGO_FUZZ_VERSION,
    ]))
}

/// Installs `cargo-deny` unless that version is there.
pub fn ensure_cargo_deny() -> Result<()> {
    let have =
        version_of(&cargo_bin("cargo-deny").to_string_lossy()).or_else(|| version_of("cargo-deny"));
    if have.is_some_and(|v| v.ends_with(CARGO_DENY_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-deny {CARGO_DENY_VERSION} (about 5 minutes on 2 cores)");
    run(Command::new(cargo_proxy()).args([
        "install",
        "--locked",
        "cargo-deny",
        "--version",
        CARGO_DENY_VERSION,
    ]))
}

/// Fails, naming the problem, unless `cargo +nightly` runs: cargo-fuzz
/// builds with nightly-only flags.
pub fn ensure_nightly() -> Result<String> {
    let out = Command::new(cargo_proxy())
        .args(["+nightly", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output();
    match out {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
        Ok(out) => bail!(
            "`cargo +nightly` does not run, and cargo-fuzz needs a nightly toolchain \
             (install one with `rustup toolchain install nightly --profile minimal`): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => bail!("cannot run `cargo +nightly` (is rustup's cargo on PATH?): {e}"),
    }
}

/// rustup's `cargo` proxy, which understands `+toolchain`: cargo's bin
/// directory, else whatever PATH finds. (Under `cargo xtask`, a `cargo`
/// earlier on PATH may be a toolchain's own binary, which does not.)
pub fn cargo_proxy() -> PathBuf {
    let proxy = cargo_bin("cargo");
    if proxy.is_file() {
        proxy
    } else {
        PathBuf::from("cargo")
    }
}

/// Whether `oha` runs (from cargo's bin directory or PATH).
pub fn oha_installed() -> bool {
    version_of(&oha_path().to_string_lossy()).is_some()
}

/// Installs Debian's `wrk` unless it is there; `true` when this call
/// installed it.
pub fn ensure_wrk() -> Result<bool> {
    if wrk_path().is_file() {
        return Ok(false);
    }
    eprintln!("xtask: installing Debian wrk");
    apt_install(&["wrk"])?;
    if !wrk_path().is_file() {
        bail!("wrk still missing after apt-get install");
    }
    Ok(true)
}

/// Where `wrk` is: on PATH, else Debian's place.
pub fn wrk_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("wrk"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("/usr/bin/wrk"))
}

/// Where `oha` is: cargo's bin directory, else whatever PATH finds.
pub fn oha_path() -> PathBuf {
    let installed = cargo_bin("oha");
    if installed.is_file() {
        installed
    } else {
        PathBuf::from("oha")
    }
}

/// wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock.
fn ensure_wasm_bindgen() -> Result<()> {
    let want = locked_version("wasm-bindgen")?;
    let have = version_of("wasm-bindgen")
        .or_else(|| version_of(&cargo_bin("wasm-bindgen").to_string_lossy()));
    if have.is_some_and(|v| v.split_whitespace().nth(1) == Some(want.as_str())) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {want} (about 3 minutes)");
    // Not `--locked`: its lockfile wants a crate the registry mirror lacks.
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &want]))
}

/// The version of `package` pinned in the workspace's Cargo.lock.
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').context("malformed Cargo.lock")?;
    Ok(lock[start..start + end].to_owned())
}

fn ensure_npm_dir(dir: &std::path::Path) -> Result<()> {
    let marker = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (marker.metadata(), lock.metadata()) {
        (Ok(m), Ok(l)) => match (m.modified(), l.modified()) {
            (Ok(m), Ok(l)) => m >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir))
}

/// Debian's Chromium (Playwright cannot download its own here).
fn ensure_chromium() -> Result<()> {
    if PathBuf::from(chromium_path()).is_file() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian chromium");
    apt_install(&["chromium"])?;
    if !PathBuf::from(chromium_path()).is_file() {
        bail!("chromium still missing after apt-get install");
    }
    Ok(())
}

/// `apt-get update`, then installs `packages` without recommends; through
/// sudo unless we are root (CI is root, a developer may not be).
fn apt_install(packages: &[&str]) -> Result<()> {
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = |args: &[&str]| -> Result<()> {
        let mut cmd = if root_user {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        run(cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update"])?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend_from_slice(packages);
    apt(&install)
}

/// Where Chromium lives (`CHROMIUM_PATH` overrides).
pub fn chromium_path() -> String {
    std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}
