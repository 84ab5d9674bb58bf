//! Flood defences: budgets that refill over time, and counters of how
//! often each defence fired.
//!
//! Every HTTP/2 denial-of-service family works by making the server do or
//! keep much for little: rapid reset (CVE-2023-44487) and MadeYouReset
//! (CVE-2025-8671) make it start and abandon work; CONTINUATION, SETTINGS,
//! PING, empty-frame, WINDOW_UPDATE and PRIORITY floods make it process
//! frames that carry nothing. Each is given a [`Budget`]: a token bucket
//! with a burst and a refill rate, spent per suspicious event, with time
//! passed in (sans-I/O). An empty bucket ends the connection with
//! GOAWAY(ENHANCE_YOUR_CALM). Legitimate clients (a browser opening a
//! page, cancelling a few streams, pinging now and then) stay far below
//! the defaults; the tests check that too.

use std::time::Instant;

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Tokens available at once.
    pub burst: u32,
    /// Tokens added per second, up to `burst`.
    pub per_second: u32,
}

/// A running token bucket (milli-tokens, so refills need no floats).
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    config: BudgetConfig,
    milli: u64,
    last: Option<Instant>,
}

impl Budget {
    pub(super) fn new(config: BudgetConfig) -> Self {
        Self {
            config,
            milli: u64::from(config.burst) * 1000,
            last: None,
        }
    }

    /// Spend one token at `now`; false when the bucket is empty.
    pub(super) fn spend(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let ms =
                u64::try_from(now.saturating_duration_since(last).as_millis()).unwrap_or(u64::MAX);
            let refill = ms.saturating_mul(u64::from(self.config.per_second));
            self.milli = self
                .milli
                .saturating_add(refill)
                .min(u64::from(self.config.burst) * 1000);
        }
        self.last = Some(now);
        if self.milli >= 1000 {
            self.milli -= 1000;
            true
        } else {
            false
        }
    }
}

/// How often each defence fired on this connection (summed per worker by
/// the scoreboard later).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Client resets of streams still in progress (CVE-2023-44487).
    pub client_resets: u64,
    /// Resets we sent because of a client's stream error (CVE-2025-8671).
    pub provoked_resets: u64,
    /// Header blocks over the CONTINUATION frame or size caps.
    pub continuation_floods: u64,
    /// Header lists over the decoded-size or field-count limit.
    pub oversized_header_lists: u64,
    /// SETTINGS frames with too many entries, or unacknowledged ACK debt.
    pub settings_floods: u64,
    /// PINGs answered beyond the control-output bound.
    pub ping_floods: u64,
    /// Frames that carry nothing: empty DATA without END_STREAM, empty
    /// CONTINUATION, WINDOW_UPDATE for streams already done.
    pub empty_frames: u64,
    /// PRIORITY / PRIORITY_UPDATE frames (churn).
    pub priority_frames: u64,
    /// Connections ended with ENHANCE_YOUR_CALM.
    pub calm_goaways: u64,
}

/// The defence settings of a connection, with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefenceConfig {
    /// Streams reset by the client, or by us because of the client's
    /// stream errors, before they completed: 200 at once, 100 a second. A
    /// browser cancels a handful when the user navigates away; rapid-reset
    /// attacks need thousands per second.
    pub resets: BudgetConfig,
    /// Frames that carry nothing useful (see [`Counters::empty_frames`]):
    /// 1000 at once, 500 a second.
    pub empty_frames: BudgetConfig,
    /// PRIORITY and PRIORITY_UPDATE frames: 2000 at once, 1000 a second
    /// (browsers send a few per request).
    pub priority_frames: BudgetConfig,
    /// SETTINGS frames: 20 at once, 5 a second (a client sends one or two).
    pub settings_frames: BudgetConfig,
    /// PINGs: 100 at once, 20 a second.
    pub pings: BudgetConfig,
    /// Most entries in one SETTINGS frame (there are 8 known settings).
    pub max_settings_entries: usize,
    /// Most CONTINUATION frames in one header block, empty ones included.
    pub max_continuations: u32,
    /// Most octets of one encoded header block.
    pub max_header_block: usize,
}

impl Default for DefenceConfig {
    fn default() -> Self {
        Self {
            resets: BudgetConfig {
                burst: 200,
                per_second: 100,
            },
            empty_frames: BudgetConfig {
                burst: 1000,
                per_second: 500,
            },
            priority_frames: BudgetConfig {
                burst: 2000,
                per_second: 1000,
            },
            settings_frames: BudgetConfig {
                burst: 20,
                per_second: 5,
            },
            pings: BudgetConfig {
                burst: 100,
                per_second: 20,
            },
            max_settings_entries: 32,
            max_continuations: 64,
            max_header_block: 256 * 1024,
        }
    }
}

/// The running budgets of one connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budgets {
    pub(super) resets: Budget,
    pub(super) empty_frames: Budget,
    pub(super) priority_frames: Budget,
    pub(super) settings_frames: Budget,
    pub(super) pings: Budget,
}

impl Budgets {
    pub(super) fn new(c: &DefenceConfig) -> Self {
        Self {
            resets: Budget::new(c.resets),
            empty_frames: Budget::new(c.empty_frames),
            priority_frames: Budget::new(c.priority_frames),
            settings_frames: Budget::new(c.settings_frames),
            pings: Budget::new(c.pings),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_budget_allows_its_burst_then_refills_at_its_rate() {
        let t0 = Instant::now();
        let mut b = Budget::new(BudgetConfig {
            burst: 3,
            per_second: 10,
        });
        assert!(b.spend(t0) && b.spend(t0) && b.spend(t0));
        assert!(!b.spend(t0));
        assert!(!b.spend(t0 + Duration::from_millis(50)));
        assert!(b.spend(t0 + Duration::from_millis(150)));
        assert!(b.spend(t0 + Duration::from_secs(10)));
        assert!(b.spend(t0 + Duration::from_secs(10)));
        assert!(b.spend(t0 + Duration::from_secs(10)));
        assert!(
            !b.spend(t0 + Duration::from_secs(10)),
            "never more than the burst"
        );
    }
}
