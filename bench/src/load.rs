//! The HTTP load generator (`oha` or `wrk`): runs, interleaved A B B A, and what one run measured.

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use std::{path::PathBuf, process::Command, time::Duration};
use xtask::tools;

pub(crate) use crate::run::{Load, Target};
use crate::{
    CONNECTIONS, LOAD, WARMUP,
    cpu::{Meter, Pids},
    parse::{parse_oha, parse_wrk},
};

/// What one load-generator run requests.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    url: String,
    headers: Vec<String>,
    target: Target,
    /// The processes to meter, when not the ones the whole batch names.
    pids: Option<Pids>,
}

impl Spec {
    pub(crate) fn new(url: &str, header: Option<&str>, target: Target) -> Self {
        Self {
            url: url.to_owned(),
            headers: header.map(str::to_owned).into_iter().collect(),
            target,
            pids: None,
        }
    }

    /// Meters `pids` for this spec (a batch spanning two instances).
    pub(crate) fn on(mut self, pids: Pids) -> Self {
        self.pids = Some(pids);
        self
    }
}

/// The HTTP load generator: `oha` (crates.io) or `wrk` (Debian).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadTool {
    name: String,
    path: PathBuf,
}

impl LoadTool {
    const OHA: &str = tools::OHA;
    const WRK: &str = tools::WRK;

    pub(crate) fn from_setup(setup: &Value) -> Result<Self> {
        let name = setup["load_tool"].as_str().context("setup: no load_tool")?;
        let path = setup["load_tool_path"]
            .as_str()
            .context("setup: no load_tool_path")?;
        ensure!(
            [Self::OHA, Self::WRK].contains(&name),
            "unknown load tool {name:?}"
        );
        Ok(Self {
            name: name.to_owned(),
            path: PathBuf::from(path),
        })
    }

    fn is_oha(&self) -> bool {
        self.name == Self::OHA
    }

    /// `oha 1.16.0` / `wrk 4.1.0`.
    pub(crate) fn version(&self) -> String {
        let Ok(out) = Command::new(&self.path)
            .arg(if self.is_oha() { "--version" } else { "-v" })
            .output()
        else {
            return self.name.clone();
        };
        // wrk prints its version (and exits 1) on -v, to stdout.
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        if version.is_empty() {
            self.name.clone()
        } else {
            version
        }
    }

    /// Each spec warmed up, then measured in the order given and again in
    /// reverse (A B C C B A); the two runs of each are merged.
    pub(crate) async fn interleaved<const N: usize>(
        &self,
        specs: [Spec; N],
        pids: Pids,
    ) -> Result<[Load; N]> {
        let mut first = Vec::with_capacity(N);
        for spec in &specs {
            self.output(&spec.url, &spec.headers, WARMUP).await?;
            first.push(self.run(spec, pids).await?);
        }
        let mut merged = Vec::with_capacity(N);
        for (spec, load) in specs.iter().zip(first).rev() {
            merged.push(load.merge(&self.run(spec, pids).await?));
        }
        merged.reverse();
        for (spec, load) in specs.iter().zip(&merged) {
            eprintln!(
                "xtask bench: {}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                spec.url,
                load.rate(),
                load.p50_ms,
                load.p99_ms
            );
        }
        merged
            .try_into()
            .map_err(|_| anyhow::anyhow!("interleaved: lost a run"))
    }

    /// One [`LOAD`]-long run at [`CONNECTIONS`] connections, with the CPU
    /// each process spent per successful request.
    async fn run(&self, spec: &Spec, pids: Pids) -> Result<Load> {
        let meter = Meter::start(spec.pids.unwrap_or(pids))?;
        let text = self.output(&spec.url, &spec.headers, LOAD).await?;
        let mut load = if self.is_oha() {
            parse_oha(&text)?
        } else {
            parse_wrk(&text)?
        };
        load.cpu = meter.finish(load.ok)?;
        load.target = Some(spec.target);
        Ok(load)
    }

    async fn output(&self, url: &str, headers: &[String], length: Duration) -> Result<String> {
        let secs = format!("{}s", length.as_secs());
        let mut cmd = tokio::process::Command::new(&self.path);
        if self.is_oha() {
            cmd.args(["--no-tui", "--output-format", "json", "-z", &secs]);
        } else {
            // Two threads: one per core of the target machines.
            cmd.args(["--latency", "-t", "2", "-d", &secs]);
        }
        cmd.arg("-c").arg(CONNECTIONS.to_string());
        for h in headers {
            cmd.arg("-H").arg(h);
        }
        let out = cmd
            .arg(url)
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("running {}", self.path.display()))?;
        ensure!(
            out.status.success(),
            "{} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
