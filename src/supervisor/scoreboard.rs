//! The scoreboard: one slot of shared memory per worker, mapped by the
//! master before it forks anyone, so every worker writes its own slot and
//! the master reads them all without a syscall.
//!
//! A slot is [`WORDS_PER_SLOT`] atomic words. Today it carries the pid,
//! generation, state, heartbeat and counters; more counters join it later
//! (the control socket reads the same slots). Slots are recycled: the
//! master clears one when it reaps the worker that used it.

use std::io;
use std::sync::atomic::Ordering;

use crate::sys::{SharedWords, monotonic_ms};

/// Most slots a master can hand out: four full generations of the largest
/// worker count a config accepts (one serving, one starting, draining
/// ones), so a reload never runs out. 512 KiB of address space; only the
/// pages of slots in use are ever touched.
pub const MAX_SLOTS: usize = 4096;
/// Words per slot (128 bytes: two cache lines, no false sharing between
/// neighbouring workers' heartbeats).
pub const WORDS_PER_SLOT: usize = 16;

const PID: usize = 0;
const GENERATION: usize = 1;
const STATE: usize = 2;
const HEARTBEAT_MS: usize = 3;
const STARTED_MS: usize = 4;
const REQUESTS: usize = 5;
const CONNECTIONS: usize = 6;

/// What a worker says it is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    /// Forked, not yet accepting.
    Booting,
    /// Accepting connections.
    Ready,
    /// Stopped accepting; finishing what it has, then exiting.
    Draining,
}

impl WorkerState {
    fn word(self) -> u64 {
        match self {
            WorkerState::Booting => 1,
            WorkerState::Ready => 2,
            WorkerState::Draining => 3,
        }
    }

    fn from_word(w: u64) -> Self {
        match w {
            2 => WorkerState::Ready,
            3 => WorkerState::Draining,
            _ => WorkerState::Booting,
        }
    }
}

/// The shared table of slots.
#[derive(Debug)]
pub struct Scoreboard {
    words: SharedWords,
}

/// A handle on one slot; cheap to copy around inside a process.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    words: &'a [std::sync::atomic::AtomicU64],
    index: usize,
}

impl Scoreboard {
    /// Map the table; must happen before the first fork.
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            words: SharedWords::new(MAX_SLOTS * WORDS_PER_SLOT)?,
        })
    }

    /// Did every slot in `slots` tick within `limit_ms` of `now_ms`?
    pub fn all_fresh(
        &self,
        mut slots: impl Iterator<Item = usize>,
        now_ms: u64,
        limit_ms: u64,
    ) -> bool {
        slots.all(|i| now_ms.saturating_sub(self.slot(i).heartbeat_ms()) <= limit_ms)
    }

    /// Slot `index`, which must be below [`MAX_SLOTS`].
    pub fn slot(&self, index: usize) -> Slot<'_> {
        let start = index.min(MAX_SLOTS - 1) * WORDS_PER_SLOT;
        Slot {
            words: &self.words.words()[start..start + WORDS_PER_SLOT],
            index,
        }
    }
}

impl Slot<'_> {
    /// This slot's number.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Master, before forking: claim the slot for a new worker.
    pub fn claim(&self, generation: u32) {
        let now = monotonic_ms();
        for w in self.words {
            w.store(0, Ordering::Relaxed);
        }
        self.words[GENERATION].store(u64::from(generation), Ordering::Relaxed);
        self.words[STARTED_MS].store(now, Ordering::Relaxed);
        self.words[HEARTBEAT_MS].store(now, Ordering::Relaxed);
        self.words[STATE].store(WorkerState::Booting.word(), Ordering::Release);
    }

    /// Master, after reaping: the slot is free again.
    pub fn clear(&self) {
        for w in self.words {
            w.store(0, Ordering::Relaxed);
        }
    }

    /// Record the pid (master after fork, and the worker itself).
    pub fn set_pid(&self, pid: u32) {
        self.words[PID].store(u64::from(pid), Ordering::Relaxed);
    }

    /// The worker's pid as recorded.
    pub fn pid(&self) -> u32 {
        u32::try_from(self.words[PID].load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Worker: one event-loop turn happened at `now_ms`.
    pub fn tick(&self, now_ms: u64) {
        self.words[HEARTBEAT_MS].store(now_ms, Ordering::Relaxed);
    }

    /// Monotonic milliseconds of the last tick.
    pub fn heartbeat_ms(&self) -> u64 {
        self.words[HEARTBEAT_MS].load(Ordering::Relaxed)
    }

    /// Worker: announce a state change.
    pub fn set_state(&self, state: WorkerState) {
        self.words[STATE].store(state.word(), Ordering::Release);
    }

    /// The worker's state as last announced.
    pub fn state(&self) -> WorkerState {
        WorkerState::from_word(self.words[STATE].load(Ordering::Acquire))
    }

    /// Worker: requests served so far.
    pub fn set_requests(&self, n: u64) {
        self.words[REQUESTS].store(n, Ordering::Relaxed);
    }

    /// Requests served by this slot's worker.
    pub fn requests(&self) -> u64 {
        self.words[REQUESTS].load(Ordering::Relaxed)
    }

    /// Worker: open connections now.
    pub fn set_connections(&self, n: u64) {
        self.words[CONNECTIONS].store(n, Ordering::Relaxed);
    }
}

// Read accessors for the master's status answer (control socket). Kept in
// a block of their own: the words are written elsewhere in this file.
impl Slot<'_> {
    /// Monotonic milliseconds when the master claimed the slot.
    pub fn started_ms(&self) -> u64 {
        self.words[STARTED_MS].load(Ordering::Relaxed)
    }

    /// Open connections of this slot's worker, as last reported.
    pub fn connections(&self) -> u64 {
        self.words[CONNECTIONS].load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_slot_starts_booting_with_fresh_heartbeat() {
        let board = Scoreboard::new().unwrap();
        let slot = board.slot(3);
        slot.claim(7);
        assert_eq!(slot.state(), WorkerState::Booting);
        assert!(slot.heartbeat_ms() > 0);
        slot.set_state(WorkerState::Ready);
        assert_eq!(board.slot(3).state(), WorkerState::Ready);
        slot.clear();
        assert_eq!(board.slot(3).pid(), 0);
    }

    #[test]
    fn one_stale_heartbeat_makes_the_board_not_fresh() {
        let board = Scoreboard::new().unwrap();
        board.slot(0).tick(10_000);
        board.slot(1).tick(19_500);
        assert!(board.all_fresh([1].into_iter(), 20_000, 1_000));
        assert!(!board.all_fresh([0, 1].into_iter(), 20_000, 1_000));
        assert!(board.all_fresh([0, 1].into_iter(), 20_000, 10_000));
    }

    #[test]
    fn slots_do_not_share_words() {
        let board = Scoreboard::new().unwrap();
        board.slot(0).claim(1);
        // Sharing across fork is what every process test relies on; here,
        // that neighbouring slots are distinct.
        board.slot(1).set_requests(5);
        assert_eq!(board.slot(0).requests(), 0);
        assert_eq!(board.slot(1).requests(), 5);
    }
}
