//! The soak's processes: a persistent redis-server, the simulator and two keyhole instances, each restartable.

use anyhow::{Context, Result, bail};
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};
use xtask::{
    e2e,
    proc::{Server, free_port, wait_listening, wait_ready},
    sim_dev,
};

use crate::PROVIDER;

/// `KEYHOLE_SESSION_KEY` both instances share: base64 of the 32 bytes
/// `keyhole-soak-key-32-bytes-long!!`. Loopback, throw-away store.
const SOAK_SESSION_KEY: &str = "a2V5aG9sZS1zb2FrLWtleS0zMi1ieXRlcy1sb25nISE=";
/// The Messaging API provider whose webhooks the soak sends.
pub(crate) const BOT: &str = "line-bot";
/// How long keyhole may take to drain before it is killed.
const DRAIN_GRACE: Duration = Duration::from_secs(20);

/// Redis with an append-only file, so a restart keeps every session, as
/// a production Redis would.
#[derive(Debug)]
pub(crate) struct Redis {
    port: u16,
    dir: PathBuf,
    server: Server,
}

impl Redis {
    fn start(dir: &Path) -> Result<Self> {
        let port = free_port()?;
        let server = Self::spawn(port, dir)?;
        Ok(Self {
            port,
            dir: dir.to_owned(),
            server,
        })
    }

    fn spawn(port: u16, dir: &Path) -> Result<Server> {
        let server = Server::start(
            "redis",
            Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "yes"])
                .args(["--appendfsync", "everysec", "--loglevel", "warning"])
                .arg("--dir")
                .arg(dir),
        )?;
        wait_listening(port, Duration::from_secs(10)).context("redis-server")?;
        Ok(server)
    }

    /// A graceful stop (Redis writes its append-only file), `outage` of
    /// nothing, then Redis again on the same port with the same data.
    pub(crate) fn restart(&mut self, outage: Duration) -> Result<()> {
        if !self.server.terminate(Duration::from_secs(10))? {
            bail!("redis-server had to be killed");
        }
        std::thread::sleep(outage);
        self.server = Self::spawn(self.port, &self.dir)?;
        Ok(())
    }

    pub(crate) fn pid(&self) -> u32 {
        self.server.pid()
    }
}

/// One keyhole process on a fixed port, so it can come back where it was.
#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) name: &'static str,
    pub(crate) port: u16,
    config: PathBuf,
    log: PathBuf,
    server: Server,
}

impl Instance {
    /// keyhole `name` on `port`, its config and log in `dir`.
    fn start(name: &'static str, port: u16, bin: &Path, dir: &Path, config: &str) -> Result<Self> {
        let path = dir.join(format!("keyhole-{name}.toml"));
        std::fs::write(&path, config.replace("{PORT}", &port.to_string()))?;
        let log = dir.join(format!("keyhole-{name}.log"));
        let _ = std::fs::remove_file(&log);
        let server = Self::spawn(name, bin, &path, &log, port)?;
        Ok(Self {
            name,
            port,
            config: path,
            log,
            server,
        })
    }

    fn spawn(
        name: &'static str,
        bin: &Path,
        config: &Path,
        log: &Path,
        port: u16,
    ) -> Result<Server> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let mut cmd = Command::new(bin.join("keyhole"));
        cmd.args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .env("KEYHOLE_SESSION_KEY", SOAK_SESSION_KEY)
            .envs(e2e::dev_secrets())
            .stderr(log);
        for proxy in ["http_proxy", "https_proxy", "all_proxy"] {
            cmd.env_remove(proxy).env_remove(proxy.to_uppercase());
        }
        let server = Server::start(name, &mut cmd)?;
        wait_ready(port, "/readyz", Duration::from_secs(30))
            .with_context(|| format!("keyhole {name} did not become ready"))?;
        Ok(server)
    }

    /// SIGTERM (keyhole drains), then the same binary and config again.
    pub(crate) fn restart(&mut self, bin: &Path) -> Result<()> {
        if !self.server.terminate(DRAIN_GRACE)? {
            bail!("keyhole {} did not drain within {DRAIN_GRACE:?}", self.name);
        }
        self.server = Self::spawn(self.name, bin, &self.config, &self.log, self.port)?;
        Ok(())
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.server.pid()
    }

    /// An error naming the log if the process is gone.
    fn check_alive(&mut self) -> Result<()> {
        if self.server.exited() {
            bail!("keyhole {} exited (see {})", self.name, self.log.display());
        }
        Ok(())
    }
}

/// Everything the soak runs against. Dropped in reverse order: keyhole
/// instances first, then the simulator and Redis.
#[derive(Debug)]
pub(crate) struct Cluster {
    pub(crate) bin: PathBuf,
    pub(crate) sim_url: String,
    /// The origin both instances serve, as behind one load balancer.
    pub(crate) public: String,
    pub(crate) instances: [Instance; 2],
    pub(crate) redis: Redis,
    sim: Server,
}

impl Cluster {
    pub(crate) fn start(bin: &Path, dir: &Path) -> Result<Self> {
        let redis_dir = dir.join("redis");
        let _ = std::fs::remove_dir_all(&redis_dir);
        std::fs::create_dir_all(&redis_dir)?;
        let redis = Redis::start(&redis_dir)?;
        // The public origin is instance A's; the soak's balancer sends
        // each request to either instance, as a load balancer would.
        let a_port = free_port()?;
        let public = format!("http://127.0.0.1:{a_port}");
        let (sim, sim_url) = Server::start_announced(
            "sim",
            Command::new(bin.join("keyhole-sim"))
                .args(["--port", "0", "--app-url", &public])
                .env("RUST_LOG", "warn"),
        )?;
        let config = keyhole_config(&public, redis.port, &sim_url);
        let a = Instance::start("A", a_port, bin, dir, &config)?;
        let b = Instance::start("B", free_port()?, bin, dir, &config)?;
        Ok(Self {
            bin: bin.to_owned(),
            sim_url,
            public,
            instances: [a, b],
            redis,
            sim,
        })
    }

    /// An error if a process died on its own during the run.
    pub(crate) fn check_alive(&mut self) -> Result<()> {
        for instance in &mut self.instances {
            instance.check_alive()?;
        }
        if self.sim.exited() {
            bail!("the simulator exited during the run");
        }
        Ok(())
    }

    pub(crate) fn bases(&self) -> [String; 2] {
        [self.instances[0].base(), self.instances[1].base()]
    }
}

/// Both instances' config (`{PORT}` is each one's own): the soak's
/// clients stand behind a proxy on 127.0.0.1 that names them in
/// `X-Forwarded-For`, so per-address limits apply per person.
fn keyhole_config(public: &str, redis_port: u16, sim_url: &str) -> String {
    format!(
        r#"# Written by `cargo xtask soak`.
public_url = "{public}"
bind = "127.0.0.1:{{PORT}}"

[session]
store = "redis://127.0.0.1:{redis_port}/0"
redis_prefix = "soak:"

[limits]
header_read_timeout_ms = 5000
trusted_proxies = ["127.0.0.1"]

[[providers]]
id = "{PROVIDER}"
kind = "aihubmix"
name = "AIHubMix"
client_id = "{aihubmix}"
base_url = "{sim_url}/aihubmix"
scopes = ["profile", "balance"]
auto_authorize = true

[[providers]]
id = "line"
kind = "line-login"
name = "LINE"
client_id = "{line}"
auth_base = "{sim_url}/line"
api_base = "{sim_url}/line"

[[providers]]
id = "{BOT}"
kind = "line-messaging"
name = "LINE Official Account"
client_id = "{bot}"
api_base = "{sim_url}/line-bot"
login_provider = "line"
reply_text = "Thanks for your message!"
"#,
        aihubmix = sim_dev::AIHUBMIX_CLIENT_ID,
        line = sim_dev::LINE_LOGIN_CHANNEL_ID,
        bot = sim_dev::LINE_BOT_CHANNEL_ID,
    )
}
