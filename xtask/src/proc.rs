//! Child processes: run-to-completion commands, and servers that are stopped
//! when their guard drops (so a failed run leaves nothing listening).

use anyhow::{Context, Result, bail};
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

/// Holds the lock file `path` (waiting while another process holds it)
/// until the returned handle drops; `what` names the holder in the message.
pub fn exclusive(path: &std::path::Path, what: &str) -> Result<std::fs::File> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
        eprintln!("xtask: another {what} is running; waiting for it");
        file.lock()?;
    }
    Ok(file)
}

/// Runs `cmd` with inherited output; an error if it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = describe(cmd);
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// `program arg arg` for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// A running server, killed on drop.
#[derive(Debug)]
pub struct Server {
    name: &'static str,
    child: Child,
}

impl Server {
    /// Starts `cmd`; its stdout is forwarded to our stderr with a prefix.
    pub fn start(name: &'static str, cmd: &mut Command) -> Result<Self> {
        let child = cmd
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {name} (`{}`)", describe(cmd)))?;
        let mut server = Self { name, child };
        if let Some(out) = server.child.stdout.take() {
            thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    eprintln!("[{name}] {line}");
                }
            });
        }
        Ok(server)
    }

    /// Starts `cmd` and waits for the line `... listening on http://...`,
    /// returning the server and its URL (servers started on port 0).
    pub fn start_announced(name: &'static str, cmd: &mut Command) -> Result<(Self, String)> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {name} (`{}`)", describe(cmd)))?;
        let out = child.stdout.take().context("no stdout")?;
        let server = Self { name, child };
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if !sent && let Some(at) = line.find("listening on ") {
                    let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
                    sent = true;
                }
                eprintln!("[{name}] {line}");
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .with_context(|| format!("{name} did not announce its address within 60 s"))?;
        Ok((server, url))
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// The process id (for `/proc/<pid>/...` readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The name given at start.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Stops the process as an operator would: SIGTERM (through `kill`,
    /// std has no signal API), then SIGKILL if it has not exited after
    /// `grace`. Returns whether it exited by itself.
    pub fn terminate(&mut self, grace: Duration) -> Result<bool> {
        if self.exited() {
            return Ok(true);
        }
        run(Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null()))?;
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.exited() {
                return Ok(true);
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Ok(false)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("no free port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_listening(port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on 127.0.0.1:{port} after {timeout:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Waits until `GET path` on 127.0.0.1:port answers 200.
pub fn wait_ready(port: u16, path: &str, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if get_status(port, path).is_ok_and(|s| s == 200) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("127.0.0.1:{port}{path} not ready after {timeout:?}");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// A minimal HTTP/1.1 GET returning the status code. std only: xtask should
/// not need an HTTP client to poll a loopback probe.
fn get_status(port: u16, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    let text = String::from_utf8_lossy(&head);
    text.get(9..12)
        .and_then(|s| s.parse().ok())
        .context("not an HTTP response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_file_is_held_until_its_handle_drops() {
        let path = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        let held = exclusive(&path, "test").unwrap();
        let other = std::fs::File::open(&path).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        other.try_lock().unwrap();
        drop(other);
        let _ = std::fs::remove_file(&path);
    }
}
