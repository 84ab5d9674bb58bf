//! Stream prioritization: which stream sends the next DATA frame.
//!
//! A [`Scheduler`] per connection answers that question among the streams
//! that are open, have data queued *and* send window (the connection says
//! so with [`Scheduler::set_ready`]). It is a pure data structure: no I/O,
//! no clock, no frames. The connection feeds it the client's priority
//! signals, already parsed:
//!
//! - **RFC 7540 §5.3** dependencies (HEADERS priority fields, PRIORITY
//!   frames) through [`Scheduler::set_dependency`]. This is the scheme in
//!   use when a connection starts; RFC 9113 §5.3.2 deprecates it but notes
//!   that "implementations that consume these signals would not benefit
//!   from discarding these priority signals in the absence of
//!   alternatives". See `tree.rs`. Until the client sends its first
//!   dependency every stream is a leaf on stream 0, and a flat queue
//!   stands in for the tree at a fraction of its cost (`flat.rs`).
//! - **RFC 9218** urgency and incremental parameters (the `priority`
//!   request header field, PRIORITY_UPDATE frames) through
//!   [`Scheduler::set_priority`]. The first such signal, or
//!   SETTINGS_NO_RFC7540_PRIORITIES = 1 ([`Scheduler::use_rfc9218`]),
//!   switches the connection to this scheme for good; the dependency tree
//!   is dropped and later RFC 7540 signals are ignored. See `rfc9218.rs`.
//!
//! What this module does not do: parse the `priority` field or frames,
//! check stream states or ids (PRIORITY_UPDATE on stream 0, on a push
//! stream, or past SETTINGS_MAX_CONCURRENT_STREAMS are the connection's
//! errors), nor size frames. Stream ids are plain `u32` here so that this
//! module stands apart from the frame layer's `StreamId`.
//!
//! # Use
//!
//! ```
//! use bicorn::h2::priority::{Priority, PriorityLimits, Scheduler};
//!
//! let mut scheduler = Scheduler::new(PriorityLimits::default());
//! scheduler.open(1);
//! scheduler.open(3);
//! scheduler.set_priority(3, Priority { urgency: 0, incremental: false });
//! scheduler.set_ready(1, true);
//! scheduler.set_ready(3, true);
//! while let Some(stream) = scheduler.next() {
//!     // send one DATA frame of up to a quantum on `stream`, then:
//!     scheduler.sent(stream, 16_384);
//!     # scheduler.close(stream);
//! }
//! ```
//!
//! # Cost
//!
//! Under RFC 9218, [`Scheduler::next`] and [`Scheduler::sent`] are
//! O(log n) in the number of ready streams. Under RFC 7540 they are
//! O(d · log k) for a stream at depth d with at most k active siblings per
//! level, and d is at most [`PriorityLimits::max_depth`], so O(log n)
//! whatever tree the client builds; `tree.rs` explains how the bound is
//! kept. Every other call is O(log n) too (with a factor of `max_depth`
//! for dependencies), except an exclusive dependency or an eviction,
//! which moves the children of one node. `benches/h2_priority.rs`
//! measures it.

mod flat;
mod ids;
mod queue;
mod rfc9218;
mod tree;

#[cfg(test)]
mod tests;

use flat::Flat;
use ids::IdHashing;
use rfc9218::Buckets;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use tree::{Bounds, DEFAULT_WEIGHT, Tree};

/// RFC 9218 priority parameters of one response: the same type the
/// `priority` header and PRIORITY_UPDATE parse into (urgency above 7 is
/// treated as 7 here).
pub use super::priority_field::Priority;

/// An RFC 7540 §5.3 dependency, as carried by HEADERS or PRIORITY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    /// The parent stream; 0 is the root.
    pub on: u32,
    /// Become the sole child of `on`, adopting its other children.
    pub exclusive: bool,
    /// 1 to 256: the wire octet plus one. Values outside are clamped.
    pub weight: u16,
}

impl Default for Dependency {
    /// RFC 7540 §5.3.5: a non-exclusive dependency on stream 0 with
    /// weight 16.
    fn default() -> Self {
        Self {
            on: 0,
            exclusive: false,
            weight: DEFAULT_WEIGHT,
        }
    }
}

/// A stream was made to depend on itself. RFC 7540 §5.3.1: "An endpoint
/// MUST treat this as a stream error (Section 5.4.2) of type
/// PROTOCOL_ERROR."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfDependency {
    /// The offending stream.
    pub stream: u32,
}

impl fmt::Display for SelfDependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream {} depends on itself", self.stream)
    }
}

impl std::error::Error for SelfDependency {}

/// What became of an RFC 9218 priority signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// The stream is open and now has this priority.
    Applied,
    /// The stream is not open yet; the priority is kept for when it opens
    /// (RFC 9218 §7).
    Buffered,
    /// The stream was already opened and has closed (a later stream of the
    /// same parity opened): nothing to do.
    Stale,
    /// Too many updates wait for unopened streams; this one was dropped
    /// and counted in [`PriorityStats::dropped_updates`].
    Dropped,
}

/// Bounds on a connection's prioritization state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorityLimits {
    /// RFC 7540 tree nodes in all (open, closed and idle streams). Should
    /// exceed SETTINGS_MAX_CONCURRENT_STREAMS: RFC 7540 §5.3.4 "endpoints
    /// SHOULD maintain state for at least as many streams as allowed by
    /// their setting for SETTINGS_MAX_CONCURRENT_STREAMS". Open streams
    /// are always admitted; closed and idle ones are evicted to make room.
    /// At `max_closed + max_idle + SETTINGS_MAX_CONCURRENT_STREAMS` or
    /// more, this bound never forces an eviction of its own.
    pub max_nodes: usize,
    /// Closed streams retained in the tree.
    pub max_closed: usize,
    /// Idle (never opened) streams that PRIORITY frames may place.
    pub max_idle: usize,
    /// Levels of the RFC 7540 tree below stream 0 (a stream on stream 0 is
    /// at depth 1); values below 1 are taken as 1. Scheduling a frame
    /// costs one step per level of the stream served, so this bounds
    /// what a client that chains its streams can make each frame cost.
    /// A stream whose dependency would take it, or a stream below it,
    /// deeper is placed higher up the same branch (see
    /// [`PriorityStats::flattened`]). The default, 16, leaves the trees
    /// browsers build untouched (Firefox: depth 2 or 3; Safari: 1) except
    /// Chrome's, a chain of one stream per request in priority order:
    /// its first 15 streams in flight still go out one after another, the
    /// rest share by weight under the 15th.
    pub max_depth: usize,
    /// RFC 9218 PRIORITY_UPDATEs kept for streams not yet open.
    pub max_pending_updates: usize,
}

impl Default for PriorityLimits {
    /// Sized for SETTINGS_MAX_CONCURRENT_STREAMS = 100.
    fn default() -> Self {
        Self {
            max_nodes: 300,
            max_closed: 100,
            max_idle: 100,
            max_depth: 16,
            max_pending_updates: 100,
        }
    }
}

/// Counters for the connection's flood defences and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriorityStats {
    /// Closed or idle tree nodes evicted to stay within the limits.
    pub evicted: u64,
    /// PRIORITY frames on idle streams ignored because the tree was full
    /// of open streams.
    pub refused: u64,
    /// Streams placed higher in the tree than their dependency asked, to
    /// stay within [`PriorityLimits::max_depth`] (a stream that could not
    /// take its place, or an exclusive dependency that could not adopt
    /// one of its parent's children). A few per request is a deep page;
    /// far more is a client building chains on purpose, which the
    /// connection may treat as a PRIORITY flood.
    pub flattened: u64,
    /// PRIORITY_UPDATEs dropped because too many were pending.
    pub dropped_updates: u64,
    /// RFC 7540 signals ignored because RFC 9218 is in use.
    pub ignored_rfc7540: u64,
    /// Tree nodes now held (0 under RFC 9218).
    pub nodes: usize,
    /// Levels of the tree now below stream 0 (0 under RFC 9218); never
    /// more than [`PriorityLimits::max_depth`].
    pub depth: usize,
    /// PRIORITY_UPDATEs now waiting for their stream to open.
    pub pending_updates: usize,
}

/// The scheme in use and its scheduling state.
#[derive(Debug)]
enum Scheme {
    /// RFC 7540 §5.3 while no dependency has been received: every stream
    /// on stream 0 with the default weight (see `flat.rs`). The first
    /// dependency turns it into the same tree, `Rfc7540`.
    Flat(Flat),
    /// RFC 7540 §5.3: the default until an RFC 9218 signal.
    Rfc7540(Tree),
    /// RFC 9218: final once entered. Boxed: eight urgency levels make it
    /// several times the tree's size.
    Rfc9218(Box<Buckets>),
}

/// What the scheduler knows of an open stream, whatever the scheme.
#[derive(Debug, Clone, Copy)]
struct OpenStream {
    ready: bool,
    priority: Priority,
}

/// Chooses the stream that sends the next DATA frame, per connection.
#[derive(Debug)]
pub struct Scheduler {
    limits: PriorityLimits,
    scheme: Scheme,
    open: HashMap<u32, OpenStream, IdHashing>,
    /// RFC 9218 priorities received before their stream opened.
    pending: BTreeMap<u32, Priority>,
    /// Highest stream id opened, per parity (even, odd): a stream at or
    /// below it that is not open has closed (RFC 9113 §5.1.1).
    highest_opened: [u32; 2],
    dropped_updates: u64,
    ignored_rfc7540: u64,
    /// Tree counters carried over when the tree is dropped.
    evicted: u64,
    refused: u64,
    flattened: u64,
}

impl Scheduler {
    /// A scheduler for a new connection, in RFC 7540 mode.
    pub fn new(limits: PriorityLimits) -> Self {
        Self {
            limits,
            scheme: Scheme::Flat(Flat::new(Self::bounds(limits))),
            open: HashMap::with_hasher(IdHashing::default()),
            pending: BTreeMap::new(),
            highest_opened: [0; 2],
            dropped_updates: 0,
            ignored_rfc7540: 0,
            evicted: 0,
            refused: 0,
            flattened: 0,
        }
    }

    /// A scheduler that keeps the general RFC 7540 tree from the start,
    /// to check the flat scheme against.
    #[cfg(test)]
    fn with_tree(limits: PriorityLimits) -> Self {
        let mut s = Self::new(limits);
        s.scheme = Scheme::Rfc7540(Tree::new(Self::bounds(limits)));
        s
    }

    fn bounds(limits: PriorityLimits) -> Bounds {
        Bounds {
            max_nodes: limits.max_nodes,
            max_closed: limits.max_closed,
            max_idle: limits.max_idle,
            max_depth: limits.max_depth,
        }
    }

    /// The RFC 7540 tree, made from the flat scheme if that is still in
    /// use; `None` under RFC 9218.
    fn tree(&mut self) -> Option<&mut Tree> {
        if let Scheme::Flat(_) = self.scheme {
            let placeholder = Scheme::Rfc7540(Tree::new(Self::bounds(self.limits)));
            if let Scheme::Flat(flat) = std::mem::replace(&mut self.scheme, placeholder) {
                self.scheme = Scheme::Rfc7540(flat.into_tree());
            }
        }
        match &mut self.scheme {
            Scheme::Rfc7540(tree) => Some(tree),
            _ => None,
        }
    }

    /// Whether RFC 9218 is in use.
    pub fn is_rfc9218(&self) -> bool {
        matches!(self.scheme, Scheme::Rfc9218(_))
    }

    /// Switches to RFC 9218 for the rest of the connection: on the first
    /// RFC 9218 signal, or on SETTINGS_NO_RFC7540_PRIORITIES = 1, of which
    /// RFC 9218 §2.1 says "A server that receives
    /// SETTINGS_NO_RFC7540_PRIORITIES with a value of 1 MUST ignore HTTP/2
    /// priority signals." Open streams keep the RFC 9218 priority they
    /// have (the default, unless set). Idempotent.
    pub fn use_rfc9218(&mut self) {
        if self.is_rfc9218() {
            return;
        }
        let mut buckets = Buckets::new();
        let mut ready: Vec<(u32, Priority)> = self
            .open
            .iter()
            .filter(|(_, s)| s.ready)
            .map(|(&id, s)| (id, s.priority))
            .collect();
        ready.sort_unstable_by_key(|&(id, _)| id);
        for (id, priority) in ready {
            buckets.insert(id, priority);
        }
        match std::mem::replace(&mut self.scheme, Scheme::Rfc9218(Box::new(buckets))) {
            Scheme::Rfc7540(tree) => {
                self.evicted = tree.evicted;
                self.refused = tree.refused;
                self.flattened = tree.flattened;
            }
            Scheme::Flat(flat) => self.evicted = flat.evicted,
            Scheme::Rfc9218(_) => {}
        }
    }

    /// An RFC 9218 signal for `stream`: its `priority` header field, or a
    /// PRIORITY_UPDATE. Switches to RFC 9218 (see
    /// [`use_rfc9218`](Self::use_rfc9218)). For a stream not open yet the
    /// latest priority is kept until it opens, within
    /// [`PriorityLimits::max_pending_updates`]: RFC 9218 §7 "Servers
    /// SHOULD buffer the most recently received PRIORITY_UPDATE frame and
    /// apply it once the referenced stream is opened."
    pub fn set_priority(&mut self, stream: u32, priority: Priority) -> UpdateOutcome {
        self.use_rfc9218();
        let priority = Priority {
            urgency: priority.urgency.min(7),
            ..priority
        };
        if let Some(open) = self.open.get_mut(&stream) {
            open.priority = priority;
            if open.ready
                && let Scheme::Rfc9218(buckets) = &mut self.scheme
            {
                buckets.insert(stream, priority);
            }
            return UpdateOutcome::Applied;
        }
        if stream <= self.highest_opened(stream) {
            return UpdateOutcome::Stale;
        }
        if self.pending.len() >= self.limits.max_pending_updates
            && !self.pending.contains_key(&stream)
        {
            self.dropped_updates = self.dropped_updates.saturating_add(1);
            return UpdateOutcome::Dropped;
        }
        self.pending.insert(stream, priority);
        UpdateOutcome::Buffered
    }

    /// An RFC 7540 signal for `stream`: the priority fields of its HEADERS
    /// (call after [`open`](Self::open)) or a PRIORITY frame, for a stream
    /// in any state. Ignored under RFC 9218, except that a self-dependency
    /// is still reported: it is malformed whichever scheme is in use.
    pub fn set_dependency(
        &mut self,
        stream: u32,
        dependency: Dependency,
    ) -> Result<(), SelfDependency> {
        // RFC 7540 §5.3.1: "A stream cannot depend on itself. An endpoint
        // MUST treat this as a stream error (Section 5.4.2) of type
        // PROTOCOL_ERROR."
        if dependency.on == stream {
            return Err(SelfDependency { stream });
        }
        match self.tree() {
            Some(tree) => {
                tree.set_dependency(
                    stream,
                    dependency.on,
                    dependency.exclusive,
                    dependency.weight,
                );
            }
            None => {
                self.ignored_rfc7540 = self.ignored_rfc7540.saturating_add(1);
            }
        }
        Ok(())
    }

    /// A stream opened, not ready yet. It takes a buffered RFC 9218
    /// priority if one came first, else the default priority of the
    /// scheme in use. Opening an open stream does nothing.
    pub fn open(&mut self, stream: u32) {
        if stream == 0 || self.open.contains_key(&stream) {
            return;
        }
        let parity = usize::from(stream & 1 == 1);
        let maybe_closed = stream <= self.highest_opened(stream);
        if let Some(highest) = self.highest_opened.get_mut(parity) {
            *highest = (*highest).max(stream);
        }
        let priority = self.pending.remove(&stream).unwrap_or_default();
        // Lower ids of the same parity can no longer open (RFC 9113
        // §5.1.1), so what was buffered for them is stale.
        let stale: Vec<u32> = self
            .pending
            .range(..stream)
            .map(|(&id, _)| id)
            .filter(|id| id & 1 == stream & 1)
            .collect();
        for id in stale {
            self.pending.remove(&id);
        }
        self.open.insert(
            stream,
            OpenStream {
                ready: false,
                priority,
            },
        );
        match &mut self.scheme {
            Scheme::Flat(flat) => flat.open(stream, maybe_closed),
            Scheme::Rfc7540(tree) => tree.open(stream),
            Scheme::Rfc9218(_) => {}
        }
    }

    /// A stream closed (either way, or reset): it is never scheduled
    /// again. Under RFC 7540 its node stays in the tree for a while, see
    /// [`PriorityLimits::max_closed`].
    pub fn close(&mut self, stream: u32) {
        if self.open.remove(&stream).is_none() {
            return;
        }
        match &mut self.scheme {
            Scheme::Flat(flat) => flat.close(stream),
            Scheme::Rfc7540(tree) => tree.close(stream),
            Scheme::Rfc9218(buckets) => buckets.remove(stream),
        }
    }

    /// Whether an open stream can send now: it has data queued and both
    /// its own and the connection's send window are open. Ignored for a
    /// stream that is not open.
    pub fn set_ready(&mut self, stream: u32, ready: bool) {
        let Some(open) = self.open.get_mut(&stream) else {
            return;
        };
        if open.ready == ready {
            return;
        }
        open.ready = ready;
        let priority = open.priority;
        match &mut self.scheme {
            Scheme::Flat(flat) => flat.set_ready(stream, ready),
            Scheme::Rfc7540(tree) => tree.set_ready(stream, ready),
            Scheme::Rfc9218(buckets) if ready => buckets.insert(stream, priority),
            Scheme::Rfc9218(buckets) => buckets.remove(stream),
        }
    }

    /// The stream that should send the next frame, or `None` when no
    /// stream is ready. Does not change any state: call
    /// [`sent`](Self::sent) once the frame is out, or
    /// [`set_ready`](Self::set_ready) if the stream turned out unable to
    /// send.
    pub fn next(&self) -> Option<u32> {
        match &self.scheme {
            Scheme::Flat(flat) => flat.next(),
            Scheme::Rfc7540(tree) => tree.next(),
            Scheme::Rfc9218(buckets) => buckets.next(),
        }
    }

    /// Accounts a frame of `bytes` sent on `stream`: under RFC 7540 it is
    /// charged against the stream's weight and its ancestors'; under RFC
    /// 9218 the stream (or its urgency's non-incremental group) goes to
    /// the back of its round robin.
    pub fn sent(&mut self, stream: u32, bytes: usize) {
        match &mut self.scheme {
            Scheme::Flat(flat) => flat.sent(stream, bytes),
            Scheme::Rfc7540(tree) => tree.sent(stream, bytes),
            Scheme::Rfc9218(buckets) => buckets.sent(stream),
        }
    }

    /// Counters and sizes, for the connection's flood defences.
    pub fn stats(&self) -> PriorityStats {
        let (evicted, refused, flattened, nodes, depth) = match &self.scheme {
            Scheme::Flat(flat) => (flat.evicted, 0, 0, flat.len(), usize::from(flat.len() > 0)),
            Scheme::Rfc7540(tree) => (
                tree.evicted,
                tree.refused,
                tree.flattened,
                tree.len(),
                tree.depth(),
            ),
            Scheme::Rfc9218(_) => (self.evicted, self.refused, self.flattened, 0, 0),
        };
        PriorityStats {
            evicted,
            refused,
            flattened,
            depth,
            dropped_updates: self.dropped_updates,
            ignored_rfc7540: self.ignored_rfc7540,
            nodes,
            pending_updates: self.pending.len(),
        }
    }

    /// Under RFC 7540, the parent and weight of `stream` if it has a node.
    pub fn dependency_of(&self, stream: u32) -> Option<(u32, u16)> {
        match &self.scheme {
            Scheme::Flat(flat) => flat.placement(stream),
            Scheme::Rfc7540(tree) => tree.placement(stream),
            Scheme::Rfc9218(_) => None,
        }
    }

    fn highest_opened(&self, stream: u32) -> u32 {
        let parity = usize::from(stream & 1 == 1);
        self.highest_opened.get(parity).copied().unwrap_or(0)
    }
}
