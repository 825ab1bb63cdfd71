//! Proves a release package works as an operator uses it: unpack it, write
//! a config from its example, run its `keyhole check-config`, then its
//! `keyhole serve` against a fresh simulator: `/readyz`, the app's
//! `index.html` from the packaged `dist`, a complete sign-in ending in
//! `/api/me`, and a clean stop on SIGTERM. Run by `cargo xtask test` and by
//! `cargo xtask dist --check`, with the same code.

use crate::{
    package::{APP, BINARY, EXAMPLE_CONFIG, FILES},
    proc::{Response, Server, free_port, get, run},
    sim_dev,
};
use anyhow::{Context, Result, bail, ensure};
use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

/// The provider of the packaged example config.
const PROVIDER: &str = "aihubmix";
/// Cookie names for an `http://` public URL (`__Host-` ones need https).
const BINDING_COOKIE: &str = "keyhole_login";
const SESSION_COOKIE: &str = "keyhole_session";

/// Checks `archive` with the simulator binary `sim`. The temporary directory
/// is removed after a pass and kept (and named) after a failure.
pub fn check(archive: &Path, sim: &Path) -> Result<()> {
    let started = Instant::now();
    let tmp = std::env::temp_dir().join(format!("keyhole-package-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    match check_in(archive, sim, &tmp) {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&tmp);
            eprintln!(
                "xtask: package check passed in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(e) => Err(e.context(format!("package check (files kept in {})", tmp.display()))),
    }
}

fn check_in(archive: &Path, sim: &Path, tmp: &Path) -> Result<()> {
    let top = unpack(archive, &tmp.join("unpacked"))?;
    eprintln!("xtask: package: unpacked {}", top.display());

    let port = free_port()?;
    let app_url = format!("http://127.0.0.1:{port}");
    let (_sim, sim_url) = Server::start_announced(
        "sim",
        Command::new(sim)
            .args(["--port", "0", "--app-url", &app_url])
            .env("RUST_LOG", "warn"),
    )?;

    let example = std::fs::read_to_string(top.join(EXAMPLE_CONFIG))?;
    let state = tmp.join("state");
    let config = tmp.join("keyhole.toml");
    std::fs::write(
        &config,
        configure(
            &example,
            &Values {
                app_url: &app_url,
                port,
                dist: &top.join(APP),
                db: &state.join("keyhole.db"),
                sim_url: &sim_url,
            },
        )?,
    )?;
    // The packaged binary, with only what the service's environment file
    // gives it: none of this shell's KEYHOLE_* or RUST_* settings.
    let keyhole = |command: &str| {
        let mut cmd = Command::new(top.join(BINARY));
        cmd.arg(command)
            .arg("--config")
            .arg(&config)
            .env_clear()
            .env("RUST_LOG", "warn")
            .env(
                "KEYHOLE_AIHUBMIX_CLIENT_SECRET",
                sim_dev::AIHUBMIX_CLIENT_SECRET,
            );
        cmd
    };

    let out = keyhole("check-config")
        .output()
        .context("running the packaged keyhole check-config")?;
    let said = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success() && said.contains(": ok"),
        "check-config refused the config written from the example ({}):\n{said}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("xtask: package: check-config: {}", said.trim());

    let (mut server, url) = Server::start_announced("keyhole", &mut keyhole("serve"))?;
    ensure!(url == app_url, "keyhole announced {url}, not {app_url}");

    let ready = get(&format!("{app_url}/readyz"), &[])?;
    ensure!(
        ready.status == 200 && ready.text() == "ready",
        "/readyz answered {} {:?}",
        ready.status,
        ready.text()
    );
    eprintln!("xtask: package: /readyz 200 ready");

    let index = std::fs::read(top.join(APP).join("index.html"))?;
    let page = get(&format!("{app_url}/"), &[])?;
    ensure!(page.status == 200, "/ answered {}", page.status);
    ensure!(
        page.body == index,
        "/ is not the packaged index.html ({} bytes, {} expected)",
        page.body.len(),
        index.len()
    );
    eprintln!("xtask: package: / is the packaged index.html");

    let me = sign_in(&app_url, &sim_url)?;
    eprintln!("xtask: package: signed in; /api/me: {me}");

    // Without KEYHOLE_SESSION_KEY, the SQLite store made its key beside the
    // database (what INSTALL.md promises for /var/lib/keyhole).
    let key = state.join("session.key");
    let mode = key
        .metadata()
        .with_context(|| format!("no {}", key.display()))?
        .permissions()
        .mode();
    ensure!(mode & 0o077 == 0, "session.key has mode {:o}", mode & 0o777);

    ensure!(
        server.terminate(Duration::from_secs(25))?,
        "keyhole did not stop within 25 s of SIGTERM"
    );
    eprintln!("xtask: package: stopped on SIGTERM");
    Ok(())
}

/// Unpacks `archive` into `into`; the one top directory, after checking
/// that every packaged file is in it.
fn unpack(archive: &Path, into: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(into)?;
    run(Command::new("tar")
        .arg("--extract")
        .arg("--file")
        .arg(archive)
        .arg("--directory")
        .arg(into))?;
    let entries: Vec<PathBuf> = std::fs::read_dir(into)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    let [top] = entries.as_slice() else {
        bail!("the archive holds {} top entries, not one", entries.len());
    };
    let name = top.file_name().unwrap_or_default().to_string_lossy();
    ensure!(
        top.is_dir() && name.starts_with("keyhole-"),
        "the archive's top entry is {name}"
    );
    for (_, file) in FILES {
        ensure!(top.join(file).is_file(), "{name}/{file} is missing");
    }
    ensure!(
        top.join(APP).join("index.html").is_file(),
        "{name}/{APP}/index.html is missing"
    );
    let mode = top.join(BINARY).metadata()?.permissions().mode();
    ensure!(mode & 0o111 != 0, "{name}/{BINARY} is not executable");
    Ok(top.clone())
}

/// A complete sign-in as a browser makes it, redirects followed by hand:
/// keyhole's login start → the simulator's one-click approval → keyhole's
/// callback → `/api/me`. Returns what `/api/me` says about the connection.
fn sign_in(app_url: &str, sim_url: &str) -> Result<String> {
    let anonymous = get(&format!("{app_url}/api/me"), &[])?;
    ensure!(
        anonymous.status == 401,
        "/api/me without a session answered {}",
        anonymous.status
    );

    let start = get(
        &format!("{app_url}/api/auth/{PROVIDER}/login?mode=redirect&return_to=%2F"),
        &[],
    )?;
    expect_redirect(&start, "the login start")?;
    let binding = start
        .cookie(BINDING_COOKIE)
        .context("the login start set no binding cookie")?;
    let authorize = start.location()?;
    ensure!(
        authorize.starts_with(sim_url),
        "the login start sent the browser to {authorize}, not to the simulator"
    );

    let approved = get(&authorize, &[])?;
    expect_redirect(&approved, "the simulator's authorize")?;
    let callback = approved.location()?;
    ensure!(
        callback.starts_with(&format!("{app_url}/api/auth/{PROVIDER}/callback?")),
        "the simulator sent the browser to {callback}"
    );

    let done = get(
        &callback,
        &[("Cookie", &format!("{BINDING_COOKIE}={binding}"))],
    )?;
    expect_redirect(&done, "the callback")?;
    let back = done.location()?;
    ensure!(
        back.contains("login=ok"),
        "the login failed: back to {back}"
    );
    let session = done
        .cookie(SESSION_COOKIE)
        .context("the callback set no session cookie")?;

    let me = get(
        &format!("{app_url}/api/me"),
        &[("Cookie", &format!("{SESSION_COOKIE}={session}"))],
    )?;
    ensure!(
        me.status == 200,
        "/api/me answered {}: {}",
        me.status,
        me.text()
    );
    let json: serde_json::Value = serde_json::from_slice(&me.body).context("/api/me: not JSON")?;
    let connection = json["connections"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["provider"] == PROVIDER))
        .with_context(|| format!("no {PROVIDER} connection in /api/me: {json}"))?;
    ensure!(
        connection["status"] == "active",
        "the connection is not active: {connection}"
    );
    Ok(format!(
        "{PROVIDER} connection active for {}",
        connection["profile"]["display_name"]
            .as_str()
            .unwrap_or("(no display name)")
    ))
}

fn expect_redirect(response: &Response, what: &str) -> Result<()> {
    ensure!(
        (300..400).contains(&response.status),
        "{what} answered {}, not a redirect: {}",
        response.status,
        response.text().chars().take(300).collect::<String>()
    );
    Ok(())
}

/// What the check fills into the example config.
#[derive(Debug)]
struct Values<'a> {
    app_url: &'a str,
    port: u16,
    dist: &'a Path,
    db: &'a Path,
    sim_url: &'a str,
}

/// The example config with its placeholders given this run's values: the
/// loopback origin and port, the unpacked app, a store in the temporary
/// directory, and the provider aimed at the simulator with its dev client
/// (and its one-click approval). Each key must appear exactly once (a
/// commented-out default counts), so an edit to the example that drops one
/// fails here rather than testing something else.
fn configure(example: &str, v: &Values<'_>) -> Result<String> {
    let quoted = |s: &str| serde_json::Value::from(s).to_string();
    let mut text = example.to_owned();
    for (key, value) in [
        ("public_url", quoted(v.app_url)),
        ("bind", quoted(&format!("127.0.0.1:{}", v.port))),
        ("dist", quoted(&v.dist.display().to_string())),
        ("store", quoted(&format!("sqlite://{}", v.db.display()))),
        ("client_id", quoted(sim_dev::AIHUBMIX_CLIENT_ID)),
        ("auto_authorize", "true".to_owned()),
        ("base_url", quoted(&format!("{}/aihubmix", v.sim_url))),
    ] {
        text = set(&text, key, &value)?;
    }
    Ok(text)
}

/// Replaces the one line `key = …` (or `# key = …`) with `key = value`.
fn set(text: &str, key: &str, value: &str) -> Result<String> {
    let prefix = format!("{key} = ");
    let is_key = |line: &str| line.strip_prefix("# ").unwrap_or(line).starts_with(&prefix);
    let found = text.lines().filter(|l| is_key(l)).count();
    ensure!(
        found == 1,
        "the example config has {found} lines setting `{key}`, not one"
    );
    let mut out: String = text
        .lines()
        .map(|l| {
            if is_key(l) {
                format!("{prefix}{value}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_has_every_placeholder_once() {
        let example = include_str!("../../packaging/keyhole.toml.example");
        let text = configure(
            example,
            &Values {
                app_url: "http://127.0.0.1:1234",
                port: 1234,
                dist: Path::new("/tmp/x/dist"),
                db: Path::new("/tmp/x/state/keyhole.db"),
                sim_url: "http://127.0.0.1:9",
            },
        )
        .unwrap();
        for line in [
            "public_url = \"http://127.0.0.1:1234\"",
            "bind = \"127.0.0.1:1234\"",
            "dist = \"/tmp/x/dist\"",
            "store = \"sqlite:///tmp/x/state/keyhole.db\"",
            "auto_authorize = true",
            "base_url = \"http://127.0.0.1:9/aihubmix\"",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        let settings: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        for gone in [
            "example.com",
            "your-aihubmix-client-id",
            "/var/lib",
            "/usr/local",
        ] {
            assert!(
                settings.iter().all(|l| !l.contains(gone)),
                "`{gone}` left in:\n{text}"
            );
        }
        assert!(set("a = 1\n# a = 2\n", "a", "3").is_err());
        assert!(set("b = 1\n", "a", "3").is_err());
    }
}
