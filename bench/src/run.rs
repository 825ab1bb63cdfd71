//! What one load-generator run measured, and which process it measured.

use crate::cpu::CpuUse;

/// Which process serves the measured URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Keyhole,
    Bare,
    Sim,
}

/// One load-generator run: successes, latency, CPU.
#[derive(Debug, Clone, Default)]
pub(crate) struct Load {
    pub(crate) ok: u64,
    /// Answers other than 200 (wrk: other than 2xx and 3xx).
    pub(crate) not_ok: u64,
    /// Transport errors, not counting requests cut off by the deadline.
    pub(crate) errors: u64,
    pub(crate) secs: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) cpu: CpuUse,
    pub(crate) target: Option<Target>,
}

impl Load {
    pub(crate) fn rate(&self) -> f64 {
        self.ok as f64 / self.secs.max(f64::EPSILON)
    }

    /// Two runs of the same spec as one: counts and time add up, CPU is
    /// weighted by requests, p50 is averaged and p99 is the worse one.
    pub(super) fn merge(&self, other: &Self) -> Self {
        Self {
            ok: self.ok + other.ok,
            not_ok: self.not_ok + other.not_ok,
            errors: self.errors + other.errors,
            secs: self.secs + other.secs,
            p50_ms: (self.p50_ms + other.p50_ms) / 2.0,
            p99_ms: self.p99_ms.max(other.p99_ms),
            cpu: self
                .cpu
                .merge(self.ok, self.secs, &other.cpu, other.ok, other.secs),
            target: self.target.or(other.target),
        }
    }

    /// CPU of the process serving the URL, per request.
    pub(crate) fn server_us(&self) -> f64 {
        match self.target {
            Some(Target::Keyhole) => self.cpu.keyhole_us,
            Some(Target::Sim) => self.cpu.sim_us,
            Some(Target::Bare) => self.cpu.bench_us,
            None => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_runs_add_counts_and_keep_the_worse_p99() {
        let run = |ok, secs, p99_ms, keyhole_us| Load {
            ok,
            secs,
            p50_ms: 1.0,
            p99_ms,
            cpu: CpuUse {
                keyhole_us,
                others_pct: 10.0,
                ..CpuUse::default()
            },
            ..Load::default()
        };
        let merged = run(300, 3.0, 4.0, 10.0).merge(&run(100, 3.0, 9.0, 30.0));
        assert_eq!(merged.ok, 400);
        assert!((merged.rate() - 400.0 / 6.0).abs() < 1e-9);
        assert_eq!(merged.p99_ms, 9.0);
        assert!((merged.cpu.keyhole_us - 15.0).abs() < 1e-9);
        assert!((merged.cpu.others_pct - 10.0).abs() < 1e-9);
    }
}
