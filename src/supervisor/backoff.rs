//! Crash-loop backoff for one worker position: a worker that dies before it
//! becomes ready delays the next spawn of its position exponentially, from
//! 100 ms doubling to a 10 s cap, so a broken deploy logs a few warnings a
//! minute instead of forking thousands of times.

use std::time::{Duration, Instant};

const FIRST: Duration = Duration::from_millis(100);
const CAP: Duration = Duration::from_secs(10);

/// Backoff state of one worker position.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    failures: u32,
    not_before: Option<Instant>,
}

impl Backoff {
    /// The position's worker died before becoming ready at `now`; returns
    /// the delay imposed on the next spawn.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let shift = (self.failures - 1).min(16);
        let delay = FIRST.saturating_mul(1u32 << shift).min(CAP);
        self.not_before = Some(now + delay);
        delay
    }

    /// Its worker became ready: forget past failures.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.not_before = None;
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// May the position spawn at `now`?
    pub fn allows(&self, now: Instant) -> bool {
        self.not_before.is_none_or(|t| now >= t)
    }

    /// When the position may spawn next, if it is waiting.
    pub fn waiting_until(&self) -> Option<Instant> {
        self.not_before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_100ms_and_cap_at_10s() {
        let now = Instant::now();
        let mut b = Backoff::default();
        let delays: Vec<_> = (0..10).map(|_| b.failed(now).as_millis()).collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000]
        );
        assert!(!b.allows(now));
        assert!(b.allows(now + CAP));
    }

    #[test]
    fn success_resets_the_count() {
        let now = Instant::now();
        let mut b = Backoff::default();
        b.failed(now);
        b.failed(now);
        b.succeeded();
        assert_eq!(b.failures(), 0);
        assert!(b.allows(now));
        assert_eq!(b.failed(now), FIRST);
    }
}
