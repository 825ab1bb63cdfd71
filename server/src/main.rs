//! The `keyhole` server.
//!
//! ```text
//! KEYHOLE_AIHUBMIX_CLIENT_SECRET=... keyhole serve --config keyhole.toml
//! keyhole check-config --config keyhole.toml
//! AIHUBMIX_DEVELOPER_TOKEN=... keyhole aihubmix register-app --name "My app"
//! ```
//!
//! `RUST_LOG` sets the log filter (default `info`); `KEYHOLE_LOG_FORMAT=json`
//! writes one JSON object per line. `KEYHOLE_SESSION_KEY`
//! (32 bytes, base64) seals sessions at rest; without it the SQLite store
//! generates `session.key` beside its database.

use anyhow::Context;
use clap::{Parser, Subcommand};
use keyhole::{Keyhole, config::Config};
use std::{io::IsTerminal, path::PathBuf};
use tokio::net::TcpListener;

/// mimalloc instead of glibc's malloc: each request allocates and frees many
/// small buffers on two or more threads, where glibc's arenas spend a tenth
/// of keyhole's CPU (see BENCHMARKS.md). The `mimalloc` feature (default).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(version, about = "Keyhole: OAuth sign-in backend-for-frontend")]
struct Cli {
    /// Config file.
    #[arg(
        long,
        global = true,
        env = "KEYHOLE_CONFIG",
        default_value = "keyhole.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (and `dist/` when configured). The default.
    Serve,
    /// Validate the config and the secrets it needs, then exit.
    CheckConfig,
    /// AIHubMix developer tools.
    #[command(subcommand)]
    Aihubmix(Aihubmix),
}

#[derive(Debug, Subcommand)]
enum Aihubmix {
    /// Register an OAuth app at AIHubMix with the developer token in
    /// AIHUBMIX_DEVELOPER_TOKEN, and print its `[[providers]]` entry.
    RegisterApp(keyhole::register_app::RegisterApp),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours for a terminal only: a log file or a collector would get
        // raw escape codes, and formatting them costs every request.
        .with_ansi(std::io::stderr().is_terminal());
    // One JSON object per line for log pipelines; text for people.
    if std::env::var("KEYHOLE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().with_current_span(true).init();
    } else {
        logs.init();
    }
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            let config = Config::load(&cli.config)?;
            let key = keyhole::session::Keyring::from_env(&env)?;
            // Instances sharing Redis must share the sealing key too.
            if matches!(config.session.store, keyhole::config::StoreConfig::Redis(_))
                && key.is_none()
            {
                anyhow::bail!(
                    "session.store is Redis: set KEYHOLE_SESSION_KEY (the same on every instance)"
                );
            }
            let summary = summary(&config);
            Keyhole::in_memory(config)?;
            println!("{}: ok ({summary})", cli.config.display());
            Ok(())
        }
        Command::Serve => serve(Config::load(&cli.config)?).await,
        Command::Aihubmix(Aihubmix::RegisterApp(command)) => command.run(&cli.config, &env).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    if let Some(dist) = &config.dist
        && !keyhole::spa::exists(dist)
    {
        tracing::warn!(dist = %dist.display(), "no built app there: serving the API only");
    }
    let keyhole = Keyhole::open(config, &env).await?;
    tokio::spawn(
        keyhole
            .clone()
            .sweep_every(std::time::Duration::from_secs(60)),
    );
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    println!("keyhole listening on http://{addr}");
    tracing::info!(%addr, "listening");
    let limits = keyhole.config.limits.clone();
    keyhole::serve(
        listener,
        keyhole::router(keyhole.clone()),
        &limits,
        shutdown_signal(),
    )
    .await;
    // Webhooks answered 200 are LINE's only copy: process them before exit.
    if !keyhole.drain(std::time::Duration::from_secs(10)).await {
        tracing::warn!("shutting down with webhook events still queued");
    }
    Ok(())
}

/// What a valid config sets up, in one line for `check-config`: the
/// providers (id and kind) and where sessions live. Nothing secret: no
/// client secret, and no store URL (a Redis one carries the password).
fn summary(config: &Config) -> String {
    use keyhole::config::StoreConfig;
    let providers: Vec<String> = config
        .providers
        .iter()
        .map(|p| format!("{} [{}]", p.id, p.kind))
        .collect();
    let providers = match providers.is_empty() {
        true => "none".to_owned(),
        false => providers.join(", "),
    };
    let store = match &config.session.store {
        StoreConfig::Memory => "in memory".to_owned(),
        StoreConfig::Sqlite(path) => format!("in SQLite {}", path.display()),
        StoreConfig::Redis(_) => "in Redis".to_owned(),
    };
    format!("providers: {providers}; sessions {store}")
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
