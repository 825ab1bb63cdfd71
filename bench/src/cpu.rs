//! CPU accounting from `/proc`: per-process and whole-machine ticks around a measurement, and RSS.

use anyhow::{Context, Result};

/// Linux's `USER_HZ`: the unit of CPU times in `/proc/*/stat`.
const TICK_MICROS: f64 = 10_000.0;

/// The processes a measurement watches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pids {
    pub(crate) keyhole: u32,
    pub(crate) sim: u32,
    /// A store server started here (`redis-server`).
    pub(crate) store: Option<u32>,
}

/// CPU time used during one measurement, per completed request or login.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUse {
    pub(crate) keyhole_us: f64,
    pub(crate) sim_us: f64,
    pub(crate) store_us: f64,
    /// This process: the bare server, or the login client.
    pub(crate) bench_us: f64,
    /// The load generator (a child, counted once it has been waited for).
    pub(crate) generator_us: f64,
    /// Share of the machine's CPU time used by processes not ours
    /// (other agents' builds and tests, if any), in percent.
    pub(crate) others_pct: f64,
}

impl CpuUse {
    /// Two measurements as one: per-unit CPU weighted by the units each
    /// counted (`n`), the others' share by the seconds each lasted.
    pub(crate) fn merge(
        &self,
        n: u64,
        secs: f64,
        other: &Self,
        other_n: u64,
        other_secs: f64,
    ) -> Self {
        let (a, b) = (n as f64, other_n as f64);
        let total = (a + b).max(1.0);
        let per = |x: f64, y: f64| (x * a + y * b) / total;
        Self {
            keyhole_us: per(self.keyhole_us, other.keyhole_us),
            sim_us: per(self.sim_us, other.sim_us),
            store_us: per(self.store_us, other.store_us),
            bench_us: per(self.bench_us, other.bench_us),
            generator_us: per(self.generator_us, other.generator_us),
            others_pct: (self.others_pct * secs + other.others_pct * other_secs)
                / (secs + other_secs).max(f64::EPSILON),
        }
    }
}

/// CPU counters at the start of a measurement.
#[derive(Debug)]
pub(crate) struct Meter {
    pids: Pids,
    keyhole: u64,
    sim: u64,
    store: u64,
    own: (u64, u64),
    machine: (u64, u64),
}

impl Meter {
    pub(crate) fn start(pids: Pids) -> Result<Self> {
        Ok(Self {
            pids,
            keyhole: pid_ticks(pids.keyhole)?,
            sim: pid_ticks(pids.sim)?,
            store: pids.store.map(pid_ticks).transpose()?.unwrap_or(0),
            own: process_ticks("self")?,
            machine: machine_ticks()?,
        })
    }

    /// CPU per unit of work since [`Meter::start`]; `count` units were done.
    pub(crate) fn finish(&self, count: u64) -> Result<CpuUse> {
        let keyhole = pid_ticks(self.pids.keyhole)? - self.keyhole;
        let sim = pid_ticks(self.pids.sim)? - self.sim;
        let store = self.pids.store.map(pid_ticks).transpose()?.unwrap_or(0) - self.store;
        let own = process_ticks("self")?;
        let (bench, children) = (own.0 - self.own.0, own.1 - self.own.1);
        let machine = machine_ticks()?;
        let (busy, total) = (machine.0 - self.machine.0, machine.1 - self.machine.1);
        let ours = keyhole + sim + store + bench + children;
        let per = |ticks: u64| ticks as f64 * TICK_MICROS / count.max(1) as f64;
        Ok(CpuUse {
            keyhole_us: per(keyhole),
            sim_us: per(sim),
            store_us: per(store),
            bench_us: per(bench),
            generator_us: per(children),
            others_pct: busy.saturating_sub(ours) as f64 * 100.0 / total.max(1) as f64,
        })
    }
}

fn pid_ticks(pid: u32) -> Result<u64> {
    Ok(process_ticks(&pid.to_string())?.0)
}

/// `(utime + stime, cutime + cstime)` of `/proc/<pid>/stat`, in ticks.
fn process_ticks(pid: &str) -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_process_ticks(&stat).with_context(|| format!("parsing /proc/{pid}/stat"))
}

fn parse_process_ticks(stat: &str) -> Option<(u64, u64)> {
    // Fields after the `(comm)`, which may contain spaces: state is field 3,
    // utime 14, stime 15, cutime 16, cstime 17.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match fields[..] {
        [utime, stime, cutime, cstime] => Some((utime + stime, cutime + cstime)),
        _ => None,
    }
}

/// `(busy, total)` ticks of all CPUs from `/proc/stat`.
fn machine_ticks() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    parse_machine_ticks(&stat).context("parsing /proc/stat")
}

fn parse_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let total: u64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Resident set size of `pid`, in KiB.
pub(crate) fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_ticks_skip_the_command_name() {
        let stat = "4242 (tokio (rt) x) S 1 2 3 4 5 6 7 8 9 10 120 30 7 3 20 0 4";
        assert_eq!(parse_process_ticks(stat), Some((150, 10)));
        assert_eq!(parse_process_ticks("1 (x) S 1"), None);
    }

    #[test]
    fn machine_ticks_leave_out_idle_and_iowait() {
        let stat = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        assert_eq!(parse_machine_ticks(stat), Some((160, 980)));
    }
}
