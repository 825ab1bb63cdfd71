//! `keyhole-sim`: the provider simulator as a process, for `cargo xtask dev` and Playwright.
//!
//! Run: `cargo run -p provider-sim --bin keyhole-sim -- --port 9000 --app-url http://127.0.0.1:8080`
//!
//! It binds 127.0.0.1 only, prints exactly one line to stdout,
//! `keyhole-sim listening on http://127.0.0.1:PORT` (xtask reads the port from it),
//! logs to stderr (`RUST_LOG` filters), and stops on Ctrl-C.

use std::{
    io::{IsTerminal, Write},
    net::{Ipv4Addr, SocketAddr},
};

use anyhow::Context;
use clap::Parser;
use provider_sim::SimConfig;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// keyhole's allocator, so that in `cargo xtask bench` the simulator's share
/// of a request is the same whether keyhole or a baseline calls it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Offline emulator of the OAuth providers Keyhole supports.
#[derive(Debug, Parser)]
#[command(name = "keyhole-sim", version)]
struct Args {
    /// Port on 127.0.0.1; 0 picks any free port.
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// Origin of the Keyhole app; dev clients redirect to `<app-url>/api/auth/<provider>/callback`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    app_url: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Stdout carries the one "listening" line, so logs go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in xtask's captured logs.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let args = Args::parse();
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
    let addr = listener.local_addr().context("reading the bound address")?;

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "keyhole-sim listening on http://{addr}")?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(app_url = %args.app_url, "keyhole-sim started");

    let config = SimConfig {
        app_url: args.app_url,
    };
    tokio::select! {
        served = provider_sim::serve(listener, config) => served.context("serving")?,
        signal = tokio::signal::ctrl_c() => {
            signal.context("waiting for Ctrl-C")?;
            tracing::info!("Ctrl-C: stopping");
        }
    }
    Ok(())
}
