//! The soak's report: one Markdown section, and whether every must-hold number held.

use anyhow::Result;
use std::{
    fmt::Write,
    time::{Duration, Instant},
};

use super::{
    cluster::Cluster,
    director::Events,
    tally::{Outcome, Window, by_class, failures, statuses},
};
use crate::{cpu::rss_kib, machine::loadavg};

/// Resident memory of both instances and Redis, in KiB.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rss {
    keyhole: [u64; 2],
    redis: u64,
}

impl Rss {
    pub(crate) fn read(cluster: &Cluster) -> Result<Self> {
        Ok(Self {
            keyhole: [
                rss_kib(cluster.instances[0].pid())?,
                rss_kib(cluster.instances[1].pid())?,
            ],
            redis: rss_kib(cluster.redis.pid())?,
        })
    }
}

/// Everything the report says.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) length: Duration,
    pub(crate) took: Duration,
    pub(crate) started: Instant,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) windows: Vec<Window>,
    pub(crate) events: Events,
    pub(crate) sessions_checked: usize,
    pub(crate) lost_at_end: usize,
    pub(crate) lost_midway: u64,
    pub(crate) failovers: u64,
    /// Slow clients: opened, cut, never cut, longest time to a cut (ms).
    pub(crate) slow: [u64; 4],
    /// At the start and at the end (instance B's end is its second process).
    pub(crate) rss: [Rss; 2],
}

impl Report {
    /// The Markdown, and whether every must-hold number held.
    pub(crate) fn render(&self) -> (String, bool) {
        let mut s = String::new();
        let total = self.outcomes.len();
        let _ = writeln!(
            s,
            "Two keyhole instances (release) on one Redis (append-only file), the simulator, \
             {:.1} minutes ({:.0} s with the final checks), {total} requests, load average \
             after: {}.\n",
            self.length.as_secs_f64() / 60.0,
            self.took.as_secs_f64(),
            loadavg(),
        );
        let _ = writeln!(s, "| traffic | requests | statuses |\n|---|---:|---|");
        for (class, counts) in by_class(&self.outcomes) {
            let n: u64 = counts.values().sum();
            let _ = writeln!(s, "| {} | {n} | {} |", class.name(), statuses(&counts));
        }

        let (outside, inside) = failures(&self.outcomes, &self.windows);
        let _ = writeln!(
            s,
            "\n| event | at | lasted | failures inside (5xx or no answer) |\n|---|---:|---:|---:|"
        );
        for w in &self.windows {
            let _ = writeln!(
                s,
                "| {} | {:.0} s | {:.1} s | {} |",
                w.what,
                w.from.saturating_duration_since(self.started).as_secs_f64(),
                w.to.saturating_duration_since(w.from).as_secs_f64(),
                inside.get(w.what).copied().unwrap_or(0),
            );
        }
        if let Some(heal) = self.events.redis_heal {
            let _ = writeln!(
                s,
                "\nRedis back → keyhole ready: {:.2} s.",
                heal.as_secs_f64()
            );
        }
        if let Some(restart) = self.events.instance_restart {
            let _ = writeln!(
                s,
                "keyhole B: SIGTERM → drained → ready again: {:.2} s; requests the balancer \
                 moved to A meanwhile: {}.",
                restart.as_secs_f64(),
                self.failovers
            );
        }

        let storms_ok =
            !self.events.storms.is_empty() && self.events.storms.iter().all(|n| *n == 1);
        let [opened, cut, survived, longest] = self.slow;
        let checks = [
            (
                "5xx or no answer outside the outage windows",
                outside.len().to_string(),
                outside.is_empty(),
            ),
            (
                "sessions lost (401 during the run + not signed in at the end)",
                format!(
                    "{} + {} (of {} checked)",
                    self.lost_midway, self.lost_at_end, self.sessions_checked
                ),
                self.lost_midway == 0 && self.lost_at_end == 0,
            ),
            (
                "refreshes per storm",
                format!("{:?}", self.events.storms),
                storms_ok,
            ),
            (
                "slow clients cut by keyhole (never cut)",
                format!(
                    "{cut} of {opened}, longest {:.1} s ({survived})",
                    longest as f64 / 1000.0
                ),
                survived == 0 && cut > 0,
            ),
        ];
        let _ = writeln!(s, "\n| must hold | measured | |\n|---|---|---|");
        for (what, measured, ok) in &checks {
            let _ = writeln!(
                s,
                "| {what} | {measured} | {} |",
                if *ok { "✅" } else { "❌" }
            );
        }
        for o in outside.iter().take(5) {
            let _ = writeln!(
                s,
                "\n- outside any window: {} answered {} at {:.1} s",
                o.class.name(),
                o.status,
                o.started
                    .saturating_duration_since(self.started)
                    .as_secs_f64()
            );
        }

        let [start, end] = self.rss;
        let mib = |kib: u64| kib as f64 / 1024.0;
        let _ = writeln!(
            s,
            "\n| RSS (MiB) | start | end |\n|---|---:|---:|\n\
             | keyhole A | {:.1} | {:.1} |\n| keyhole B (restarted) | {:.1} | {:.1} |\n\
             | redis-server (restarted) | {:.1} | {:.1} |",
            mib(start.keyhole[0]),
            mib(end.keyhole[0]),
            mib(start.keyhole[1]),
            mib(end.keyhole[1]),
            mib(start.redis),
            mib(end.redis),
        );
        (s, checks.iter().all(|(_, _, ok)| *ok))
    }
}
