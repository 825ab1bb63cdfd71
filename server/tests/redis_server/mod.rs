//! A throw-away `redis-server` for tests: a free loopback port, no
//! automatic persistence (a test may `SAVE` to keep data across
//! [`RedisServer::restart`]), stopped when dropped — and also when the test
//! process dies without dropping it, since a watcher stops it once our end
//! of its stdin closes.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::{
    io::Read,
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs redis-server and stops it when stdin closes. A background list reads
/// /dev/null unless redirected, hence stdin is kept on fd 3 for the watcher.
const WRAPPER: &str = r#"
exec 3<&0
"$0" "$@" &
redis=$!
{ read -r _ <&3; kill "$redis" 2>/dev/null; } &
watcher=$!
wait "$redis"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// A running redis-server on 127.0.0.1.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    binary: PathBuf,
    /// Its working directory: the log, and `dump.rdb` after a `SAVE`.
    dir: PathBuf,
    child: Option<(Child, ChildStdin)>,
}

/// `redis-server` on PATH (or `REDIS_SERVER`), else a failure that says
/// how to get it: these tests never skip silently.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REDIS_SERVER").map(PathBuf::from) {
        assert!(
            path.is_file(),
            "REDIS_SERVER={} is not a file: the Redis tests need redis-server",
            path.display()
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "redis-server not found (PATH, /usr/bin): the Redis tests need it. \
                 Install the Debian package `redis-server` (apt-get install redis-server; \
                 `cargo xtask test` does this), or set REDIS_SERVER to its path."
            )
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers.
    pub async fn start() -> Self {
        let binary = binary();
        // Another process may take the port between our probe and Redis's
        // bind: try a few.
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let dir =
                std::env::temp_dir().join(format!("keyhole-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let mut server = Self {
                port,
                binary: binary.clone(),
                dir,
                child: None,
            };
            if server.launch().await {
                return server;
            }
            last_log = server.log_tail();
        }
        panic!("redis-server did not start on any of 5 free ports; its last log:\n{last_log}");
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port it listens on (kept across [`Self::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server; its data is gone unless a test `SAVE`d it.
    pub fn stop(&mut self) {
        let Some((mut child, stdin)) = self.child.take() else {
            return;
        };
        // Closing stdin makes the watcher stop redis-server; then the
        // wrapper exits with it.
        drop(stdin);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Our own child, by its PID; the watcher still stops redis-server.
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again on the same port (loading `dump.rdb` if saved).
    pub async fn restart(&mut self) {
        self.stop();
        assert!(
            self.launch().await,
            "redis-server did not come back on port {}: {}",
            self.port,
            self.log_tail()
        );
    }

    /// Starts redis-server on `self.port`; true once it answers PING.
    async fn launch(&mut self) -> bool {
        let log = std::fs::File::create(self.log()).unwrap();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .arg(&self.binary)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                &self.dir.to_string_lossy(),
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
            ])
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sh for redis-server: {e}"));
        let stdin = child.stdin.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                // Exited: most likely the port was taken.
                return false;
            }
            if answers(self.port).await {
                self.child = Some((child, stdin));
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.child = Some((child, stdin));
        self.stop();
        panic!(
            "redis-server did not answer within 10 s: {}",
            self.log_tail()
        );
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(self.log()) {
            let _ = file.read_to_string(&mut text);
        }
        let start = text.len().saturating_sub(2000);
        text.get(start..).unwrap_or(&text).to_owned()
    }

    /// The log file, for a failing test to print.
    pub fn log(&self) -> PathBuf {
        self.dir.join("redis.log")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a Redis answers PING on the port.
async fn answers(port: u16) -> bool {
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).await.ok()?;
        Some(&reply == b"+PONG\r\n")
    };
    tokio::time::timeout(Duration::from_millis(500), probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
