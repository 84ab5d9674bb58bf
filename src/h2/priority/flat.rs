//! The RFC 7540 scheme before the client has sent any dependency: every
//! stream sits on stream 0 with the default weight, so the tree is one
//! level of leaves, and this is that tree without the tree.
//!
//! Most clients never send an RFC 7540 signal (h2load, curl, the HTTP/2
//! libraries of most languages), and for them the general [`Tree`] spent
//! more per request than the rest of the HTTP/2 engine: a node in a hash
//! map, a place among stream 0's children in an ordered set, a retirement
//! entry in an ordered map, and an eviction from all three when the
//! stream closes. Here an open stream is a small entry, its place in
//! stream 0's queue the same key the tree would give it, and a closed one
//! an entry in a ring.
//!
//! It keeps exactly the state the tree would hold in this case — virtual
//! finish times, stream 0's queue and clock, the retained closed streams
//! in retirement order, the tie-break sequence — so the first dependency
//! turns it into the same [`Tree`] ([`Flat::into_tree`]), and scheduling
//! before and after is what the tree alone would have done (a property
//! test in `tests.rs` holds the two side by side).
//!
//! Not here: dependencies, weights other than the default, idle nodes
//! (a PRIORITY frame brings in the tree), depth (always 1).

use std::collections::{HashMap, VecDeque};

use super::ids::IdHashing;
use super::queue::Queue;
use super::tree::{Bounds, DEFAULT_WEIGHT, QueueKey, SCALE, Tree};

/// An open stream: a leaf on stream 0.
#[derive(Debug, Clone, Copy)]
pub(super) struct Leaf {
    /// Virtual finish time among stream 0's children.
    pub(super) finish: u64,
    /// Its key in stream 0's queue, while it is ready.
    pub(super) queued: Option<QueueKey>,
}

/// A closed stream kept for later dependencies (RFC 7540 §5.3.4).
#[derive(Debug, Clone, Copy)]
pub(super) struct Retained {
    pub(super) stream: u32,
    pub(super) finish: u64,
    /// Its retirement sequence number (eviction order).
    pub(super) retired: u64,
}

/// The flat tree of a connection.
#[derive(Debug)]
pub(super) struct Flat {
    bounds: Bounds,
    open: HashMap<u32, Leaf, IdHashing>,
    /// Stream 0's queue of ready streams, first to be served first.
    queue: ReadyQueue,
    /// Stream 0's virtual clock.
    clock: u64,
    /// Closed streams, oldest first, at most `max_closed`.
    closed: VecDeque<Retained>,
    /// The tree's tie-break and retirement counter, ticked exactly as the
    /// tree ticks it.
    seq: u64,
    /// Closed streams evicted to honour a bound.
    pub(super) evicted: u64,
}

impl Flat {
    pub(super) fn new(bounds: Bounds) -> Self {
        Self {
            bounds,
            open: HashMap::with_hasher(IdHashing::default()),
            queue: ReadyQueue::default(),
            clock: 0,
            closed: VecDeque::new(),
            seq: 0,
            evicted: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        seq
    }

    /// Nodes the tree would hold, not counting the root.
    pub(super) fn len(&self) -> usize {
        self.open.len() + self.closed.len()
    }

    /// Whether `stream` has a node (stream 0, an open stream or a
    /// retained one): its placement is then stream 0 with the default
    /// weight, as the tree reports it.
    pub(super) fn placement(&self, stream: u32) -> Option<(u32, u16)> {
        let known = stream == 0
            || self.open.contains_key(&stream)
            || self.closed.iter().any(|r| r.stream == stream);
        known.then_some((0, DEFAULT_WEIGHT))
    }

    /// An open stream. `maybe_closed`: its id is at or below one already
    /// opened, so it may be a retained closed stream coming back (the
    /// tree revives such a node; the connection never asks for it).
    pub(super) fn open(&mut self, stream: u32, maybe_closed: bool) {
        if self.open.contains_key(&stream) {
            return;
        }
        if maybe_closed && let Some(at) = self.closed.iter().position(|r| r.stream == stream) {
            let finish = self.closed.remove(at).map_or(0, |r| r.finish);
            self.open.insert(
                stream,
                Leaf {
                    finish,
                    queued: None,
                },
            );
            return;
        }
        while self.len() >= self.bounds.max_nodes {
            if self.closed.pop_front().is_none() {
                break; // open streams are always admitted
            }
            self.evicted = self.evicted.saturating_add(1);
        }
        self.tick(); // the tree's refresh of the new node
        self.open.insert(
            stream,
            Leaf {
                finish: 0,
                queued: None,
            },
        );
    }

    pub(super) fn set_ready(&mut self, stream: u32, ready: bool) {
        if !self.open.contains_key(&stream) {
            return;
        }
        let fresh = self.tick();
        let Some(leaf) = self.open.get_mut(&stream) else {
            return;
        };
        match leaf.queued {
            Some(key) if !ready => {
                self.queue.remove(&key);
                leaf.queued = None;
            }
            None if ready => {
                let key = (leaf.finish.max(self.clock), fresh, stream);
                self.queue.insert(key);
                leaf.queued = Some(key);
                leaf.finish = key.0;
            }
            _ => {}
        }
    }

    pub(super) fn close(&mut self, stream: u32) {
        let Some(leaf) = self.open.remove(&stream) else {
            return;
        };
        self.tick(); // the tree's refresh
        if let Some(key) = leaf.queued {
            self.queue.remove(&key);
        }
        let retired = self.tick();
        self.closed.push_back(Retained {
            stream,
            finish: leaf.finish,
            retired,
        });
        while self.closed.len() > self.bounds.max_closed {
            self.closed.pop_front();
            self.evicted = self.evicted.saturating_add(1);
        }
    }

    pub(super) fn next(&self) -> Option<u32> {
        self.queue.first().map(|&(_, _, stream)| stream)
    }

    /// Charges `bytes` to `stream` at the default weight.
    pub(super) fn sent(&mut self, stream: u32, bytes: usize) {
        let fresh = self.tick();
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let cost = bytes.saturating_mul(SCALE) / u64::from(DEFAULT_WEIGHT);
        let Some(leaf) = self.open.get_mut(&stream) else {
            // Not open: the tree charges a retained node all the same.
            if let Some(r) = self.closed.iter_mut().find(|r| r.stream == stream) {
                r.finish = r.finish.saturating_add(cost);
                self.tick();
            }
            return;
        };
        self.seq = self.seq.wrapping_add(1); // the tree's step to the root
        let start = leaf.finish;
        leaf.finish = start.saturating_add(cost);
        if let Some(old) = leaf.queued {
            let new = (leaf.finish, fresh, stream);
            leaf.queued = Some(new);
            self.queue.rekey(&old, new);
            self.clock = self.clock.max(start);
        }
    }

    /// The same state as a general tree, for the first dependency.
    pub(super) fn into_tree(self) -> Tree {
        let mut queue = Queue::new();
        for key in self.queue.keys {
            queue.insert(key);
        }
        Tree::from_flat(
            self.bounds,
            self.seq,
            self.clock,
            queue,
            self.open,
            self.closed,
            self.evicted,
        )
    }
}

/// Stream 0's ready streams, ordered as the tree's [`Queue`] orders them,
/// in a vector sorted greatest first: the next key is the last, and no
/// node is allocated as streams come and go, as a `BTreeSet`'s are.
/// There are at most SETTINGS_MAX_CONCURRENT_STREAMS keys.
#[derive(Debug, Default)]
struct ReadyQueue {
    keys: Vec<QueueKey>,
}

impl ReadyQueue {
    fn first(&self) -> Option<&QueueKey> {
        self.keys.last()
    }

    fn insert(&mut self, key: QueueKey) {
        let at = self.keys.partition_point(|k| *k > key);
        self.keys.insert(at, key);
    }

    fn remove(&mut self, key: &QueueKey) {
        if self.keys.last() == Some(key) {
            self.keys.pop();
        } else if let Ok(at) = self.keys.binary_search_by(|k| key.cmp(k)) {
            self.keys.remove(at);
        }
    }

    fn rekey(&mut self, old: &QueueKey, new: QueueKey) {
        self.remove(old);
        self.insert(new);
    }
}
