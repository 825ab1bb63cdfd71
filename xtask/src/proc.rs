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

/// Free and used space where `path` lives, as `df -Pk` reports it, in a
/// line for the log: a full disk fails a build with an I/O error far from
/// its cause, so the test run says how much room it started and ended with.
pub fn disk_report(path: &std::path::Path) -> String {
    let used = Command::new("du")
        .args(["-sk"])
        .arg(path)
        .output()
        .ok()
        .and_then(|out| field_number(&String::from_utf8_lossy(&out.stdout), 0));
    let free = Command::new("df")
        .args(["-Pk"])
        .arg(path)
        .output()
        .ok()
        .and_then(|out| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            field_number(text.lines().nth(1)?, 3)
        });
    let gib = |kib: Option<u64>| {
        kib.map_or_else(
            || "?".to_owned(),
            |k| format!("{:.1} GiB", k as f64 / 1_048_576.0),
        )
    };
    format!(
        "{} in {}, {} free on its disk",
        gib(used),
        path.display(),
        gib(free)
    )
}

/// The `index`-th whitespace-separated field of `line`, as a number.
fn field_number(line: &str, index: usize) -> Option<u64> {
    line.split_whitespace().nth(index)?.parse().ok()
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

/// The status of `GET path` on 127.0.0.1:port.
fn get_status(port: u16, path: &str) -> Result<u16> {
    Ok(get(&format!("http://127.0.0.1:{port}{path}"), &[])?.status)
}

/// An answer of [`get`].
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The URL asked for, to resolve a relative `Location`.
    url: String,
}

impl Response {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of cookie `name` set by this answer (an empty one, which
    /// deletes the cookie, does not count).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
            .find(|(n, v)| n.trim() == name && !v.is_empty())
            .map(|(_, v)| v)
    }

    /// Where a redirect points, as an absolute URL.
    pub fn location(&self) -> Result<String> {
        let to = self
            .header("location")
            .with_context(|| format!("{} from {} without Location", self.status, self.url))?;
        if to.starts_with("http://") || to.starts_with("https://") {
            return Ok(to.to_owned());
        }
        let (authority, _) = split_url(&self.url)?;
        if !to.starts_with('/') {
            bail!("relative Location {to:?} not from the root");
        }
        Ok(format!("http://{authority}{to}"))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A minimal HTTP/1.1 `GET` of an `http://` URL with extra request headers,
/// read to the end (`Connection: close`). std only: xtask polls loopback
/// probes and walks a login through loopback servers, nothing that needs an
/// HTTP client crate (and its web stack) in a debug-built tool.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<Response> {
    let (authority, path) = split_url(url)?;
    let mut stream =
        TcpStream::connect(authority).with_context(|| format!("connecting to {authority}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("reading the answer to GET {url}"))?;
    parse_response(&raw, url)
}

/// `http://host:port/path?query` → (`host:port`, `/path?query`).
fn split_url(url: &str) -> Result<(&str, &str)> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("not an http:// URL: {url}"))?;
    Ok(match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    })
}

fn parse_response(raw: &[u8], url: &str) -> Result<Response> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("not an HTTP response")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .context("not an HTTP response")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
        url: url.to_owned(),
    };
    response.body = if response
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest)?
    } else {
        let len = response
            .header("content-length")
            .and_then(|n| n.parse().ok())
            .unwrap_or(rest.len());
        rest.get(..len)
            .context("body shorter than Content-Length")?
            .to_vec()
    };
    Ok(response)
}

/// A `Transfer-Encoding: chunked` body, without trailers.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).context("bad chunk size")?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(rest.get(..size).context("truncated chunk")?);
        rest = rest.get(size + 2..).context("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_and_du_lines_give_their_numbers() {
        let df = "/dev/vda 264212480 12340000 82945000 13% /";
        assert_eq!(field_number(df, 3), Some(82_945_000));
        assert_eq!(field_number("3942\t/srv/target\n", 0), Some(3942));
        assert_eq!(field_number("Filesystem 1024-blocks", 3), None);
        assert_eq!(field_number("", 0), None);
    }

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

    #[test]
    fn responses_are_parsed_with_headers_cookies_and_chunked_bodies() {
        let raw = b"HTTP/1.1 302 Found\r\nLocation: /?login=ok\r\n\
            Set-Cookie: keyhole_login=; Max-Age=0\r\n\
            set-cookie: keyhole_session=abc; HttpOnly\r\n\
            Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        let r = parse_response(raw, "http://127.0.0.1:8/api/auth/x/callback?code=1").unwrap();
        assert_eq!(r.status, 302);
        assert_eq!(r.cookie("keyhole_session"), Some("abc"));
        assert_eq!(r.cookie("keyhole_login"), None);
        assert_eq!(r.location().unwrap(), "http://127.0.0.1:8/?login=ok");
        assert_eq!(r.body, b"abcde");

        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready";
        let r = parse_response(raw, "http://127.0.0.1:8/readyz").unwrap();
        assert_eq!((r.status, r.text().as_str()), (200, "ready"));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", "").is_err());
        assert_eq!(split_url("http://h:1").unwrap(), ("h:1", "/"));
        assert!(split_url("https://h/").is_err());
    }
}
