//! The `keyhole` binary as a child process for tests: a config file in a
//! temporary directory, the environment a test gives it (libfaketime to
//! shift its clock, say), its address read from its start-up line, killed
//! when dropped — on every exit path, a failed assertion included.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::{
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// Debian's libfaketime, the `LD_PRELOAD` library that shifts a process's
/// clock (package `libfaketime`).
const DEBIAN_LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// libfaketime (or `LIBFAKETIME`), else a failure that says how to get it:
/// the clock-skew tests never skip silently.
pub fn libfaketime() -> PathBuf {
    if let Some(path) = std::env::var_os("LIBFAKETIME").map(PathBuf::from) {
        assert!(
            path.is_file(),
            "LIBFAKETIME={} is not a file: the clock-skew tests need libfaketime.so.1 \
             (Debian package `libfaketime`)",
            path.display()
        );
        return path;
    }
    let path = PathBuf::from(DEBIAN_LIBFAKETIME);
    assert!(
        path.is_file(),
        "{DEBIAN_LIBFAKETIME} not found: the clock-skew tests need it. Install the \
         Debian package `libfaketime` (apt-get install libfaketime; `cargo xtask test` \
         does this), or set LIBFAKETIME to the path of libfaketime.so.1."
    );
    path
}

/// The environment that runs a process with its clock shifted by `offset`
/// (libfaketime's syntax: `-60s` is a minute behind).
pub fn faketime_env(offset: &str) -> Vec<(String, String)> {
    vec![
        (
            "LD_PRELOAD".to_owned(),
            libfaketime().to_string_lossy().into_owned(),
        ),
        ("FAKETIME".to_owned(), offset.to_owned()),
    ]
}

/// A running `keyhole serve`.
#[derive(Debug)]
pub struct KeyholeBinary {
    child: Child,
    addr: SocketAddr,
    /// Where `/metrics` listens with `metrics_bind`.
    metrics_addr: Option<SocketAddr>,
    /// The config file and the log (stderr).
    dir: PathBuf,
}

impl KeyholeBinary {
    /// Starts `keyhole serve` with `config` (its `bind` should be
    /// `127.0.0.1:0`) and `env` added to the environment; waits until it
    /// listens.
    pub fn start(config: &str, env: &[(String, String)]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "keyhole-binary-{}-{}",
            std::process::id(),
            &keyhole::session::random_token()[..8]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keyhole.toml");
        std::fs::write(&file, config).unwrap();
        let log = std::fs::File::create(dir.join("keyhole.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyhole"))
            .args(["serve", "--config"])
            .arg(&file)
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // The guard exists before the wait: a start that fails kills it too.
        let mut binary = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_addr: None,
            dir,
        };
        binary.addr = binary.listening(stdout);
        binary
    }

    /// The address of "keyhole listening on http://ADDR" on stdout (and,
    /// before it, "keyhole metrics listening on http://ADDR" with
    /// `metrics_bind`).
    fn listening(&mut self, stdout: std::process::ChildStdout) -> SocketAddr {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) {
            if let Some(addr) = line.strip_prefix("keyhole metrics listening on http://") {
                self.metrics_addr = Some(addr.parse().unwrap());
            }
            if let Some(addr) = line.strip_prefix("keyhole listening on http://") {
                return addr.parse().unwrap();
            }
        }
        panic!(
            "keyhole did not start listening within 20 s ({:?}); its log:\n{}",
            self.child.try_wait(),
            self.log_tail()
        );
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The private metrics listener's `http://127.0.0.1:PORT`, when the
    /// config has `metrics_bind`.
    pub fn metrics_url(&self) -> Option<String> {
        self.metrics_addr.map(|addr| format!("http://{addr}"))
    }

    /// The end of its log, for a failing test to print.
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(self.dir.join("keyhole.log")) {
            let _ = file.read_to_string(&mut text);
        }
        let start = text.len().saturating_sub(4000);
        text.get(start..).unwrap_or(&text).to_owned()
    }
}

impl Drop for KeyholeBinary {
    fn drop(&mut self) {
        // Our own child, by its PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
