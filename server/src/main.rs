//! The `keyhole` server.
//!
//! ```text
//! KEYHOLE_AIHUBMIX_CLIENT_SECRET=... keyhole serve --config keyhole.toml
//! keyhole check-config --config keyhole.toml --show
//! KEYHOLE_PUBLIC_URL=https://app.example.com KEYHOLE_LIMITS__MAX_CONNECTIONS=512 keyhole serve
//! AIHUBMIX_DEVELOPER_TOKEN=... keyhole aihubmix register-app --name "My app"
//! ```
//!
//! `RUST_LOG` sets the log filter (default `info`); `KEYHOLE_LOG_FORMAT=json`
//! writes one JSON object per line. `KEYHOLE_SESSION_KEY`
//! (32 bytes, base64) seals sessions at rest; without it the SQLite store
//! generates `session.key` beside its database.

use anyhow::Context;
use clap::{Parser, Subcommand};
use keyhole::{
    Keyhole,
    config::{Config, Loaded, Origin, Setting, StoreConfig},
};
use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
};
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
    /// Config file [default: keyhole.toml when there is one, else none:
    /// the config comes from the environment alone]. `KEYHOLE_…` key
    /// variables override it either way.
    #[arg(long, global = true, env = "KEYHOLE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (and `dist/` when configured). The default.
    Serve,
    /// Validate the config and the secrets it needs, then exit.
    CheckConfig {
        /// Also list every setting, its value and where it came from
        /// (default, file or env); secrets redacted.
        #[arg(long)]
        show: bool,
    },
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
    let path = cli
        .config
        .or_else(|| Some(PathBuf::from("keyhole.toml")).filter(|p| p.exists()));
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig { show } => {
            let Loaded {
                config,
                mut settings,
            } = load(path.as_deref())?;
            let key = keyhole::session::Keyring::from_env(&env)?;
            let redis = matches!(config.session.store, StoreConfig::Redis(_));
            // Instances sharing Redis must share the sealing key too.
            if redis && key.is_none() {
                anyhow::bail!(
                    "session.store is Redis: set KEYHOLE_SESSION_KEY (the same on every instance)"
                );
            }
            let password = redis && env("KEYHOLE_REDIS_PASSWORD").is_some_and(|p| !p.is_empty());
            for (key, var, _) in [
                ("session key", "KEYHOLE_SESSION_KEY", key.is_some()),
                ("Redis password", "KEYHOLE_REDIS_PASSWORD", password),
            ]
            .into_iter()
            .filter(|secret| secret.2)
            {
                settings.push(Setting::new(key, "[redacted]", Origin::Env(var.into())));
            }
            let summary = summary(&config);
            Keyhole::in_memory(config)?;
            let source = path.map_or("environment (no config file)".into(), |p| {
                p.display().to_string()
            });
            println!("{source}: ok ({summary})");
            if show {
                print_settings(&settings);
            }
            Ok(())
        }
        Command::Serve => serve(load(path.as_deref())?.config).await,
        Command::Aihubmix(Aihubmix::RegisterApp(command)) => {
            command.run(path.as_deref(), &env).await
        }
    }
}

/// The config from the file at `path` (`None`: none) and the environment.
fn load(path: Option<&Path>) -> anyhow::Result<Loaded> {
    let loaded = Loaded::read(path);
    let alone = "no config file (no --config, KEYHOLE_CONFIG or ./keyhole.toml): \
                 the config comes from the environment alone";
    Ok(if path.is_some() {
        loaded?
    } else {
        loaded.context(alone)?
    })
}

/// Every setting in aligned columns: key, value, where it came from.
fn print_settings(settings: &[Setting]) {
    let width = |f: fn(&Setting) -> usize| settings.iter().map(f).max().unwrap_or(0);
    let (key, value) = (width(|s| s.key.len()), width(|s| s.value.len()));
    for s in settings {
        println!("  {:key$}  {:value$}  {}", s.key, s.value, s.origin);
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
    // `/metrics` and the probes on a private address, when asked for: the
    // public listener then has no `/metrics` (`keyhole::router`).
    if let Some(metrics_bind) = keyhole.config.metrics_bind {
        let ops = TcpListener::bind(metrics_bind)
            .await
            .with_context(|| format!("cannot listen on {metrics_bind} (metrics_bind)"))?;
        let ops_addr = ops.local_addr()?;
        println!("keyhole metrics listening on http://{ops_addr}");
        tracing::info!(addr = %ops_addr, "metrics listening");
        let (router, limits) = (keyhole.ops_router(), keyhole.config.limits.clone());
        tokio::spawn(async move {
            keyhole::serve(ops, router, &limits, shutdown_signal()).await;
        });
    }
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
