//! The release package of `cargo xtask dist`: a release `keyhole` built on
//! its own, the built app, the files of `packaging/` and the licences, as
//! `target/dist/keyhole-<version>-<target>.tar.gz` with one top directory,
//! `keyhole-<version>/`. [`crate::package_check`] proves that it works.

use crate::{
    proc::{exclusive, run},
    root, target_dir,
};
use anyhow::{Context, Result, bail, ensure};
use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

/// The binary, inside the top directory.
pub const BINARY: &str = "bin/keyhole";
/// The built app, inside the top directory.
pub const APP: &str = "share/keyhole/dist";
/// The example config, inside the top directory.
pub const EXAMPLE_CONFIG: &str = "etc/keyhole.toml.example";

/// Every other file: where it comes from in the workspace, where it goes in
/// the top directory.
pub const FILES: [(&str, &str); 6] = [
    ("packaging/keyhole.toml.example", EXAMPLE_CONFIG),
    (
        "packaging/keyhole.service",
        "lib/systemd/system/keyhole.service",
    ),
    ("packaging/INSTALL.md", "INSTALL.md"),
    ("LICENSE-MIT", "LICENSE-MIT"),
    ("LICENSE-APACHE", "LICENSE-APACHE"),
    ("README.md", "README.md"),
];

/// Waits for, then holds, `target/dist/` until the handle drops: worktrees
/// sharing the target directory would otherwise pack into (and check) each
/// other's archive.
pub fn lock() -> Result<std::fs::File> {
    let dir = target_dir().join("dist");
    std::fs::create_dir_all(&dir)?;
    exclusive(&dir.join(".lock"), "packaging")
}

/// Builds the release `keyhole` and packs it with `dist/`, which must have
/// been written since `app_built_since` (so a stale app, or `trunk serve`'s
/// debug build, is never shipped). Returns the archive's path.
///
/// Packing follows the build at once: the release binary's path is shared
/// with other worktrees' builds, so the gap in which one of them could
/// replace it stays as short as it can be.
pub fn build_and_pack(app_built_since: SystemTime) -> Result<PathBuf> {
    // `-p keyhole` alone: built with other packages (as `cargo xtask bench`
    // does), cargo would unify their dependencies' features into the binary.
    run(Command::new("cargo")
        .args(["build", "--release", "-p", "keyhole"])
        .current_dir(root()))?;
    pack(app_built_since)
}

fn pack(app_built_since: SystemTime) -> Result<PathBuf> {
    let binary = target_dir().join("release/keyhole");
    let version = binary_version(&binary)?;
    let app = root().join("dist");
    ensure_fresh(&app.join("index.html"), app_built_since)?;

    let out = target_dir().join("dist");
    let top_name = format!("keyhole-{version}");
    let staging = out.join("staging");
    match std::fs::remove_dir_all(&staging) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let top = staging.join(&top_name);
    copy_file(&binary, &top.join(BINARY), 0o755)?;
    copy_tree(&app, &top.join(APP))?;
    for (from, to) in FILES {
        copy_file(&root().join(from), &top.join(to), 0o644)?;
    }

    let archive = out.join(format!("{top_name}-{}.tar.gz", host_triple()?));
    let _ = std::fs::remove_file(&archive);
    // GNU tar (every Debian has it) rather than the `tar` crate: one
    // dependency fewer in this debug-built tool, and root-owned, sorted
    // entries for free.
    run(Command::new("tar")
        .args([
            "--create",
            "--gzip",
            "--sort=name",
            "--owner=0",
            "--group=0",
        ])
        .arg("--numeric-owner")
        .arg("--file")
        .arg(&archive)
        .arg("--directory")
        .arg(&staging)
        .arg(&top_name))?;
    std::fs::remove_dir_all(&staging)?;
    Ok(archive)
}

/// `0.1.0` from `keyhole --version` (`keyhole 0.1.0`): the version of the
/// binary actually shipped, which also shows that it runs here.
fn binary_version(binary: &Path) -> Result<String> {
    let out = Command::new(binary)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", binary.display()))?;
    ensure!(
        out.status.success(),
        "{} --version failed",
        binary.display()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .strip_prefix("keyhole ")
        .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
        .map(str::to_owned)
        .with_context(|| format!("unexpected `keyhole --version`: {text:?}"))
}

/// The target triple rustc builds for by default (what `cargo build` made).
fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("no `host:` in rustc -vV")
}

/// An error unless `file` was written at or after `since`.
fn ensure_fresh(file: &Path, since: SystemTime) -> Result<()> {
    let modified = file
        .metadata()
        .and_then(|m| m.modified())
        .with_context(|| format!("{} (was the app built?)", file.display()))?;
    if modified < since {
        bail!(
            "{} is older than this run's app build: not packing a stale app",
            file.display()
        );
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path, mode: u32) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Copies a directory's files and subdirectories (no symlinks in `dist/`).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            copy_file(&src, &dst, 0o644)?;
        }
    }
    Ok(())
}

/// `12.3 MB`, for messages.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_app_older_than_the_build_is_not_packed() {
        let file = std::env::temp_dir().join(format!("xtask-fresh-{}", std::process::id()));
        std::fs::write(&file, "<html>").unwrap();
        let now = SystemTime::now();
        assert!(ensure_fresh(&file, now - Duration::from_secs(60)).is_ok());
        assert!(ensure_fresh(&file, now + Duration::from_secs(60)).is_err());
        std::fs::remove_file(&file).unwrap();
        assert!(ensure_fresh(&file, now).is_err());
    }
}
