//! `cargo xtask dev`: the simulator on :9000, keyhole on :3000 with
//! `dev/keyhole.dev.toml`, and `trunk serve` on :8080 proxying `/api/`.
//! Open http://127.0.0.1:8080. Ctrl-C stops all three.

use anyhow::{Result, bail};
use std::{process::Command, thread, time::Duration};
use xtask::{
    e2e::build_servers,
    proc::{Server, wait_ready},
    root, tools,
};

pub(crate) fn run() -> Result<()> {
    tools::ensure_build_tools()?;
    build_servers()?;
    let root = root();
    let bin = xtask::target_dir().join("debug");

    let sim = Server::start(
        "sim",
        Command::new(bin.join("keyhole-sim")).args([
            "--port",
            "9000",
            "--app-url",
            "http://127.0.0.1:8080",
        ]),
    )?;
    wait_ready(9000, "/_sim/counters", Duration::from_secs(30))?;
    let keyhole = Server::start(
        "keyhole",
        Command::new(bin.join("keyhole"))
            .args(["serve", "--config", "dev/keyhole.dev.toml"])
            .current_dir(&root)
            .envs(xtask::e2e::dev_secrets()),
    )?;
    wait_ready(3000, "/readyz", Duration::from_secs(30))?;
    let trunk = Server::start(
        "trunk",
        tools::trunk()
            .args(["serve", "--offline"])
            .current_dir(&root),
    )?;
    eprintln!("xtask: open http://127.0.0.1:8080 (Ctrl-C stops everything)");

    // Ctrl-C reaches the whole process group, so the children stop with us.
    // If one of them dies on its own, stop the others too.
    let mut servers = [sim, keyhole, trunk];
    loop {
        for server in &mut servers {
            if server.exited() {
                bail!("{} stopped; stopping the others", server.name());
            }
        }
        thread::sleep(Duration::from_millis(300));
    }
}
