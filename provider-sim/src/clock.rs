//! Simulated time: the wall clock plus an offset that only ever grows.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time in seconds, shifted by whatever the admin API has added.
///
/// Tokens and codes carry absolute expiry times, so moving this clock forward
/// (`POST /_sim/clock/advance`) expires them exactly as waiting would, and tests
/// never sleep. It starts at the real time so issued timestamps look plausible.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Clock {
    offset_secs: u64,
}

impl Clock {
    /// Current simulated Unix time in seconds.
    pub(crate) fn now(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            // A clock before 1970 is a broken host; time zero keeps things running.
            .unwrap_or(0);
        real.saturating_add(self.offset_secs)
    }

    /// The simulated Unix time `secs` from now.
    pub(crate) fn after(&self, secs: u64) -> u64 {
        self.now().saturating_add(secs)
    }

    /// Moves simulated time forward.
    pub(crate) fn advance(&mut self, secs: u64) {
        self.offset_secs = self.offset_secs.saturating_add(secs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(7200);
        assert!(clock.now() >= before + 7200);
    }
}
