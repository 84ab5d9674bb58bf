//! The scoreboard: one slot of shared memory per worker, mapped by the
//! master before it forks anyone, so every worker writes its own slot and
//! the master (and every worker, for the status routes) reads them all
//! without a syscall.
//!
//! A slot is [`WORDS_PER_SLOT`] atomic words: the pid, generation, state
//! and heartbeat, then the counters the worker publishes once per
//! event-loop turn (requests and open connections by protocol, open
//! HTTP/2 streams, socket bytes, HTTP/2 defence trips, and a request
//! duration histogram per protocol). Each slot has one writer at a time
//! (the master while the slot is free or being claimed, then its worker),
//! so counters are added with a plain load and store, `Relaxed`. Slots are
//! recycled: the master clears one when it reaps the worker that used it.
//! Readers take a [`Snapshot`] of a slot.
//!
//! After the slots, one more cache line holds the board's high-water mark
//! (one past the highest slot ever claimed), so readers walk only the
//! slots in use and never touch the pages of the others.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sys::{SharedWords, monotonic_ms};

/// Most slots a master can hand out: four full generations of the largest
/// worker count a config accepts (one serving, one starting, draining
/// ones), so a reload never runs out. 2 MiB of address space; only the
/// pages of slots in use are ever touched.
pub const MAX_SLOTS: usize = 4096;
/// Words per slot (512 bytes: eight cache lines, a multiple of the line,
/// so no two workers' slots share one).
pub const WORDS_PER_SLOT: usize = 64;
/// Words of the board header after the slots (one cache line).
const HEADER_WORDS: usize = 8;

// Slot layout, in words. Lines 0-1: identity, liveness, totals and gauges.
const PID: usize = 0;
const GENERATION: usize = 1;
const STATE: usize = 2;
const HEARTBEAT_MS: usize = 3;
const STARTED_MS: usize = 4;
const REQUESTS: usize = 5;
const CONNECTIONS: usize = 6;
/// Open connections by protocol ([`Protocol`] order); a connection still
/// in its TLS handshake is in neither.
const OPEN: usize = 7;
const H2_STREAMS: usize = 9;
const BYTES_IN: usize = 10;
const BYTES_OUT: usize = 11;
// Lines 2-3: HTTP/2 defence trips, [`DEFENCES`] order.
const DEFENCE: usize = 16;
// Lines 4-7: a request duration histogram per protocol: one word per
// bucket (not cumulative; the last is +Inf), the count, the sum in µs.
const LATENCY: usize = 32;
const HISTOGRAM_WORDS: usize = BUCKETS + 3;

/// Upper bounds of the request duration buckets, in microseconds (the
/// Prometheus client default buckets, 5 ms to 10 s).
pub const BUCKET_BOUNDS_US: [u64; BUCKETS] = [
    5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
    10_000_000,
];
/// Finite duration buckets ([`BUCKET_BOUNDS_US`]).
pub const BUCKETS: usize = 11;

/// The HTTP/2 defences counted, in slot order, each with what it counts
/// (the fields of `h2::conn::Counters`).
pub const DEFENCES: [(&str, &str); 9] = [
    (
        "client_resets",
        "client resets of streams in progress (rapid reset)",
    ),
    (
        "provoked_resets",
        "resets provoked by client stream errors (MadeYouReset)",
    ),
    (
        "continuation_floods",
        "header blocks over the CONTINUATION or size caps",
    ),
    (
        "oversized_header_lists",
        "header lists over the size or field-count limit",
    ),
    ("settings_floods", "SETTINGS floods"),
    ("ping_floods", "PING floods"),
    (
        "empty_frames",
        "frames that carry nothing (empty DATA, CONTINUATION, late WINDOW_UPDATE)",
    ),
    ("priority_frames", "PRIORITY and PRIORITY_UPDATE frames"),
    (
        "calm_goaways",
        "connections ended with GOAWAY(ENHANCE_YOUR_CALM)",
    ),
];

const _: () = assert!(CONNECTIONS < OPEN && BYTES_OUT < DEFENCE);
const _: () = assert!(DEFENCE + DEFENCES.len() <= LATENCY);
const _: () = assert!(LATENCY + 2 * HISTOGRAM_WORDS <= WORDS_PER_SLOT);
const _: () = assert!((WORDS_PER_SLOT * 8).is_multiple_of(64));

/// The protocol a request or connection speaks, as the slot splits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1 (and 1.0).
    Http1,
    /// HTTP/2, over TLS or cleartext.
    Http2,
}

impl Protocol {
    /// Both, in slot order.
    pub const ALL: [Protocol; 2] = [Protocol::Http1, Protocol::Http2];

    /// The slot's index for this protocol.
    pub fn index(self) -> usize {
        match self {
            Protocol::Http1 => 0,
            Protocol::Http2 => 1,
        }
    }
}

/// Request durations of one protocol: a count per bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Requests per bucket, not cumulative: `buckets[i]` counts durations
    /// above bucket `i - 1`'s bound and at most [`BUCKET_BOUNDS_US`]`[i]`;
    /// the last counts those above 10 s.
    pub buckets: [u64; BUCKETS + 1],
    /// Requests recorded (the sum of `buckets`).
    pub count: u64,
    /// Their durations added up, in microseconds.
    pub sum_us: u64,
}

impl Histogram {
    /// Record one duration: three additions, no allocation.
    pub fn record(&mut self, micros: u64) {
        let i = BUCKET_BOUNDS_US
            .iter()
            .position(|&bound| micros <= bound)
            .unwrap_or(BUCKETS);
        self.buckets[i] += 1;
        self.count += 1;
        self.sum_us = self.sum_us.saturating_add(micros);
    }

    /// Add `other` to this one (summing workers).
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.sum_us = self.sum_us.saturating_add(other.sum_us);
    }
}

/// What a worker adds to its slot's counters in one publication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    /// Requests answered, with their durations, by [`Protocol`].
    pub latency: [Histogram; 2],
    /// HTTP/2 defence trips, in [`DEFENCES`] order.
    pub defences: [u64; DEFENCES.len()],
}

/// What a worker sets in its slot as it is now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Requests served so far (what `max_requests` counts).
    pub requests: u64,
    /// Open connections, all kinds.
    pub connections: u64,
    /// Open connections by [`Protocol`].
    pub open: [u64; 2],
    /// Open HTTP/2 streams over all connections.
    pub h2_streams: u64,
    /// Octets read from and written to client sockets (TLS records
    /// included), since the worker started.
    pub bytes_in: u64,
    /// See `bytes_in`.
    pub bytes_out: u64,
}

/// One slot as read at one moment (words are read one by one, so a
/// snapshot taken while the worker publishes may mix two turns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The slot's number.
    pub slot: usize,
    /// The worker's pid (0 until the master recorded it).
    pub pid: u32,
    /// Its generation.
    pub generation: u32,
    /// What it said it is doing.
    pub state: WorkerState,
    /// Monotonic milliseconds of its last loop turn.
    pub heartbeat_ms: u64,
    /// Monotonic milliseconds when the master claimed the slot for it.
    pub started_ms: u64,
    /// Its gauges.
    pub gauges: Gauges,
    /// Its counters.
    pub counters: Delta,
}

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
    words: &'a [AtomicU64],
    /// The board's high-water mark.
    high: &'a AtomicU64,
    index: usize,
}

impl Scoreboard {
    /// Map the table; must happen before the first fork.
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            words: SharedWords::new(MAX_SLOTS * WORDS_PER_SLOT + HEADER_WORDS)?,
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
        let words = self.words.words();
        let start = index.min(MAX_SLOTS - 1) * WORDS_PER_SLOT;
        Slot {
            words: &words[start..start + WORDS_PER_SLOT],
            high: &words[MAX_SLOTS * WORDS_PER_SLOT],
            index,
        }
    }

    /// A snapshot of every slot in use (claimed and not yet cleared), in
    /// slot order.
    pub fn snapshots(&self) -> impl Iterator<Item = Snapshot> + '_ {
        let high = self.slot(0).high.load(Ordering::Acquire);
        let high = usize::try_from(high).unwrap_or(MAX_SLOTS).min(MAX_SLOTS);
        (0..high).filter_map(|i| self.slot(i).snapshot())
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
        self.high
            .fetch_max(self.index as u64 + 1, Ordering::Release);
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

    /// Open connections of this slot's worker.
    pub fn connections(&self) -> u64 {
        self.words[CONNECTIONS].load(Ordering::Relaxed)
    }

    /// Worker, once per loop turn: set the gauges and add `delta` to the
    /// counters. Only the slot's worker writes these words, so a load and
    /// a store do (no locked read-modify-write).
    pub fn publish(&self, gauges: &Gauges, delta: &Delta) {
        let set = |i: usize, v: u64| self.words[i].store(v, Ordering::Relaxed);
        let add = |i: usize, v: u64| {
            if v != 0 {
                let w = &self.words[i];
                w.store(w.load(Ordering::Relaxed).wrapping_add(v), Ordering::Relaxed);
            }
        };
        set(REQUESTS, gauges.requests);
        set(CONNECTIONS, gauges.connections);
        set(OPEN, gauges.open[0]);
        set(OPEN + 1, gauges.open[1]);
        set(H2_STREAMS, gauges.h2_streams);
        set(BYTES_IN, gauges.bytes_in);
        set(BYTES_OUT, gauges.bytes_out);
        for (i, &n) in delta.defences.iter().enumerate() {
            add(DEFENCE + i, n);
        }
        for (p, h) in delta.latency.iter().enumerate() {
            if h.count == 0 {
                continue;
            }
            let base = LATENCY + p * HISTOGRAM_WORDS;
            for (i, &n) in h.buckets.iter().enumerate() {
                add(base + i, n);
            }
            add(base + BUCKETS + 1, h.count);
            add(base + BUCKETS + 2, h.sum_us);
        }
    }

    /// Everything in the slot, or `None` while it is free.
    pub fn snapshot(&self) -> Option<Snapshot> {
        let word = |i: usize| self.words[i].load(Ordering::Relaxed);
        let state = self.words[STATE].load(Ordering::Acquire);
        if state == 0 {
            return None;
        }
        let mut counters = Delta::default();
        for (i, d) in counters.defences.iter_mut().enumerate() {
            *d = word(DEFENCE + i);
        }
        for (p, h) in counters.latency.iter_mut().enumerate() {
            let base = LATENCY + p * HISTOGRAM_WORDS;
            for (i, b) in h.buckets.iter_mut().enumerate() {
                *b = word(base + i);
            }
            h.count = word(base + BUCKETS + 1);
            h.sum_us = word(base + BUCKETS + 2);
        }
        Some(Snapshot {
            slot: self.index,
            pid: u32::try_from(word(PID)).unwrap_or(0),
            generation: u32::try_from(word(GENERATION)).unwrap_or(0),
            state: WorkerState::from_word(state),
            heartbeat_ms: word(HEARTBEAT_MS),
            started_ms: word(STARTED_MS),
            gauges: Gauges {
                requests: word(REQUESTS),
                connections: word(CONNECTIONS),
                open: [word(OPEN), word(OPEN + 1)],
                h2_streams: word(H2_STREAMS),
                bytes_in: word(BYTES_IN),
                bytes_out: word(BYTES_OUT),
            },
            counters,
        })
    }
}

// Read accessors for the master's status answer (control socket). Kept in
// a block of their own: the words are written elsewhere in this file.
impl Slot<'_> {
    /// Monotonic milliseconds when the master claimed the slot.
    pub fn started_ms(&self) -> u64 {
        self.words[STARTED_MS].load(Ordering::Relaxed)
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

    #[test]
    fn histogram_puts_each_duration_in_its_bucket() {
        let mut h = Histogram::default();
        h.record(0);
        h.record(5_000); // on the bound: le="0.005"
        h.record(5_001);
        h.record(60_000_000);
        assert_eq!(h.buckets[0], 2);
        assert_eq!(h.buckets[1], 1);
        assert_eq!(h.buckets[BUCKETS], 1);
        assert_eq!(h.count, 4);
        assert_eq!(h.sum_us, 60_010_001);
    }

    #[test]
    fn published_counters_add_up_and_gauges_are_replaced() {
        let board = Scoreboard::new().unwrap();
        let slot = board.slot(2);
        slot.claim(4);
        slot.set_pid(1234);
        let mut delta = Delta::default();
        delta.latency[Protocol::Http2.index()].record(1_000);
        delta.defences[0] = 3;
        let gauges = Gauges {
            requests: 1,
            connections: 2,
            open: [1, 1],
            h2_streams: 5,
            bytes_in: 100,
            bytes_out: 200,
        };
        slot.publish(&gauges, &delta);
        slot.publish(
            &Gauges {
                h2_streams: 0,
                ..gauges
            },
            &delta,
        );
        let snap = slot.snapshot().unwrap();
        assert_eq!((snap.slot, snap.pid, snap.generation), (2, 1234, 4));
        assert_eq!(snap.state, WorkerState::Booting);
        assert_eq!(snap.gauges.h2_streams, 0);
        assert_eq!(snap.gauges.bytes_out, 200);
        assert_eq!(snap.counters.defences[0], 6);
        assert_eq!(snap.counters.latency[1].count, 2);
        assert_eq!(snap.counters.latency[1].buckets[0], 2);
        assert_eq!(snap.counters.latency[1].sum_us, 2_000);
        assert_eq!(snap.counters.latency[0], Histogram::default());
    }

    #[test]
    fn snapshots_list_claimed_slots_up_to_the_high_water_mark() {
        let board = Scoreboard::new().unwrap();
        assert_eq!(board.snapshots().count(), 0);
        board.slot(0).claim(1);
        board.slot(3).claim(1);
        board.slot(0).clear();
        let slots: Vec<usize> = board.snapshots().map(|s| s.slot).collect();
        assert_eq!(slots, [3]);
    }
}
