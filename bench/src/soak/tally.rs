//! What the soak saw: every request's class, status and time, the outage windows, and the counters.

use std::{
    collections::BTreeMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// The kind of traffic a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Class {
    /// The three keyhole steps of a person's login (start, callback).
    Login,
    Me,
    Balance,
    Logout,
    /// Balance requests of a refresh storm.
    Storm,
    /// Webhooks the simulator delivered, as LINE would.
    Webhook,
    /// Login starts from one address, far beyond its limit.
    AbuseLogins,
    /// Balance calls on one session, far beyond its limit.
    AbuseCalls,
}

impl Class {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Login => "login steps",
            Self::Me => "GET /api/me",
            Self::Balance => "balance",
            Self::Logout => "logout",
            Self::Storm => "refresh storms",
            Self::Webhook => "webhooks",
            Self::AbuseLogins => "login flood (one address)",
            Self::AbuseCalls => "call flood (one session)",
        }
    }
}

/// One request: its status (0 = no answer) and when it ran.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    pub(crate) class: Class,
    pub(crate) status: u16,
    pub(crate) started: Instant,
    pub(crate) ended: Instant,
}

/// A span of time during which something was down on purpose.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub(crate) what: &'static str,
    pub(crate) from: Instant,
    pub(crate) to: Instant,
}

impl Window {
    fn overlaps(&self, o: &Outcome) -> bool {
        o.started <= self.to && o.ended >= self.from
    }
}

/// Everything recorded during a soak; shared by every task.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    outcomes: Mutex<Vec<Outcome>>,
    windows: Mutex<Vec<Window>>,
    /// Requests a refused connection sent to the other instance.
    pub(crate) failovers: AtomicU64,
    /// A live session answered 401 during the run.
    pub(crate) lost_midway: AtomicU64,
    /// Slow clients: connections opened, cut by keyhole, and the longest
    /// a cut took (ms).
    pub(crate) slow_opened: AtomicU64,
    pub(crate) slow_cut: AtomicU64,
    pub(crate) slow_longest_ms: AtomicU64,
    /// Slow clients keyhole never cut (must be 0).
    pub(crate) slow_survived: AtomicU64,
}

impl Tally {
    pub(crate) fn record(&self, class: Class, status: u16, started: Instant) {
        let outcome = Outcome {
            class,
            status,
            started,
            ended: Instant::now(),
        };
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(outcome);
    }

    pub(crate) fn window(&self, what: &'static str, from: Instant, to: Instant) {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Window { what, from, to });
    }

    pub(crate) fn slow_cut_after(&self, took: Duration) {
        self.slow_cut.fetch_add(1, Ordering::Relaxed);
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.slow_longest_ms.fetch_max(ms, Ordering::Relaxed);
    }

    pub(crate) fn outcomes(&self) -> Vec<Outcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn windows(&self) -> Vec<Window> {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Status counts per class.
pub(crate) fn by_class(outcomes: &[Outcome]) -> BTreeMap<Class, BTreeMap<u16, u64>> {
    let mut table: BTreeMap<Class, BTreeMap<u16, u64>> = BTreeMap::new();
    for o in outcomes {
        *table
            .entry(o.class)
            .or_default()
            .entry(o.status)
            .or_default() += 1;
    }
    table
}

/// Failures (5xx, or no answer at all) that overlap no window, and those
/// inside each window, by the window's name.
pub(crate) fn failures(
    outcomes: &[Outcome],
    windows: &[Window],
) -> (Vec<Outcome>, BTreeMap<&'static str, u64>) {
    let mut outside = Vec::new();
    let mut inside = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.status >= 500 || o.status == 0) {
        match windows.iter().find(|w| w.overlaps(o)) {
            Some(w) => *inside.entry(w.what).or_default() += 1,
            None => outside.push(*o),
        }
    }
    (outside, inside)
}

/// `200×12, 429×3` (0 is "no answer").
pub(crate) fn statuses(counts: &BTreeMap<u16, u64>) -> String {
    counts
        .iter()
        .map(|(status, n)| match status {
            0 => format!("no answer×{n}"),
            s => format!("{s}×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, from_ms: u64, to_ms: u64, status: u16) -> Outcome {
        Outcome {
            class: Class::Me,
            status,
            started: base + Duration::from_millis(from_ms),
            ended: base + Duration::from_millis(to_ms),
        }
    }

    #[test]
    fn failures_inside_a_window_are_counted_apart() {
        let t = Instant::now();
        let windows = [Window {
            what: "Redis restart",
            from: t + Duration::from_millis(100),
            to: t + Duration::from_millis(200),
        }];
        let outcomes = [
            at(t, 0, 50, 503),    // before: outside
            at(t, 90, 110, 503),  // overlapping the start: inside
            at(t, 150, 160, 0),   // no answer, inside
            at(t, 150, 160, 200), // not a failure
            at(t, 250, 260, 502), // after: outside
        ];
        let (outside, inside) = failures(&outcomes, &windows);
        assert_eq!(
            outside.iter().map(|o| o.status).collect::<Vec<_>>(),
            [503, 502]
        );
        assert_eq!(inside.get("Redis restart"), Some(&2));
    }

    #[test]
    fn statuses_read_as_a_short_list() {
        let counts = BTreeMap::from([(0, 1), (200, 12), (429, 3)]);
        assert_eq!(statuses(&counts), "no answer×1, 200×12, 429×3");
    }
}
