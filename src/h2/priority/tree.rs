//! The RFC 7540 §5.3 dependency tree, with weighted fair queuing among
//! siblings and bounded retention of closed and idle nodes.
//!
//! This file owns the tree's shape (parents, weights, the exclusive flag,
//! reprioritization, removal), the choice of the next stream among ready
//! ones, and the bounds that keep PRIORITY frames from growing it without
//! limit. It does not know whether a stream id is valid or in which state
//! the stream is beyond open / closed / idle: that is the connection's.
//!
//! # Scheduling
//!
//! Each node keeps an ordered queue of its *active* children (a child is
//! active when its stream is ready or one of its descendants is), keyed
//! by a virtual finish time. [`Tree::next`] starts at the root and, at
//! each node, returns the node's stream if it is ready (RFC 7540 §5.3.1:
//! descendants only get resources when their ancestors cannot progress),
//! else descends into the first child of the queue. [`Tree::sent`]
//! charges `bytes × 256 / weight` to the served node and to every
//! ancestor in their parents' queues, so siblings share in proportion to
//! their weights and a node's share flows to its ready descendants. This
//! is the virtual-finish-time scheme of nghttp2 and h2o.
//!
//! # Cost
//!
//! `next` and `sent` are O(d · log k): d the depth of the served stream,
//! k the largest number of active siblings on its path (each level is one
//! queue operation, O(1) where the served child stays first, as in a
//! chain; see `queue.rs`). The depth is bounded by `max_depth` (16 by
//! default), so this is O(log n) whatever tree the client builds: about
//! 25 ns per level of a chain (`benches/h2_priority.rs`, `rfc7540-chain`).
//! Without the bound a client could chain its streams, each dependent on
//! the previous, and make every frame walk the whole tree: 1 ms per
//! frame for a 10,000-stream chain before the bound, 0.4 µs with it.
//!
//! # Bounds
//!
//! At most `max_closed` closed and `max_idle` idle (never opened) nodes
//! are retained, and at most `max_nodes` nodes in all. Beyond a bound the
//! oldest closed or idle node is evicted and its children move to its
//! parent (RFC 7540 §5.3.4); when only open streams remain, a PRIORITY
//! frame for an idle stream is refused instead. Both are counted.
//!
//! No node is more than `max_depth` levels below the root. Each node
//! keeps the height of its subtree (its children are ordered by height,
//! so the tallest is at hand), updated up the ancestors whenever a
//! subtree moves: O(max_depth · log k). Depths are not stored, since a
//! move would change those of a whole subtree; walking up to the root is
//! O(max_depth). Only attaching a subtree can deepen nodes: a dependency
//! (HEADERS or PRIORITY, including the moves of RFC 7540 §5.3.3) and an
//! exclusive dependency adopting its parent's children; eviction and
//! §5.3.3's moving up only raise them. A subtree that would reach below
//! the bound goes under the ancestor of its named parent where it just
//! fits, keeping its shape, and an exclusive dependency does not adopt a
//! child that would no longer fit below it. Both are counted as
//! flattenings. Chrome, which chains every request in priority order, is
//! the only browser whose trees reach the bound: streams past the 15th
//! in flight share by weight instead of going out one after another.

use super::flat::{Leaf, Retained};
use super::ids::IdHashing;
use super::queue::Queue;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// The root of the tree: the "non-existent stream 0" of RFC 7540 §5.3.1.
const ROOT: u32 = 0;

/// Default weight (RFC 7540 §5.3.5).
pub(super) const DEFAULT_WEIGHT: u16 = 16;

/// Virtual time charged per byte to a weight-256 node; a weight-w node is
/// charged `256 / w` times as much.
pub(super) const SCALE: u64 = 256;

/// What the tree knows of a node's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Stream 0.
    Root,
    /// An open stream; `ready` when it has data and send window.
    Open { ready: bool },
    /// A closed stream, retained so later dependencies on it still place
    /// streams where the client meant (RFC 7540 §5.3.4).
    Closed,
    /// A stream never opened that a PRIORITY frame named, e.g. as a
    /// grouping node (RFC 7540 §5.3.4).
    Idle,
}

/// The two kinds of node kept only for their place in the tree, each
/// with its own retention bound and eviction order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retired {
    Closed,
    Idle,
}

/// A node's key in its parent's queue: (virtual finish time, tie-break
/// sequence, stream).
pub(super) type QueueKey = (u64, u64, u32);

#[derive(Debug)]
struct Node {
    kind: Kind,
    parent: u32,
    weight: u16,
    /// Every child, active or not (for exclusive insertion and eviction),
    /// as (height, stream): the last is the tallest.
    children: BTreeSet<(usize, u32)>,
    /// Levels in this node's subtree, itself included: 1 for a leaf. The
    /// root's height less one is the depth of the tree.
    height: usize,
    /// The active children, first to be served first.
    queue: Queue<QueueKey>,
    /// This node's key in its parent's queue, while active.
    queued: Option<QueueKey>,
    /// Virtual finish time of this node among its siblings, kept while it
    /// is inactive so that toggling readiness earns no credit.
    finish: u64,
    /// Virtual clock of this node's queue: the finish time of the child
    /// served last. A child that becomes active starts no earlier.
    clock: u64,
    /// Position in the eviction order while closed or idle.
    retired: Option<u64>,
}

impl Node {
    fn new(kind: Kind, parent: u32, weight: u16) -> Self {
        Self {
            kind,
            parent,
            weight,
            children: BTreeSet::new(),
            height: 1,
            queue: Queue::new(),
            queued: None,
            finish: 0,
            clock: 0,
            retired: None,
        }
    }

    fn ready(&self) -> bool {
        matches!(self.kind, Kind::Open { ready: true })
    }

    fn active(&self) -> bool {
        self.ready() || !self.queue.is_empty()
    }
}

/// Bounds on the tree, from [`super::PriorityLimits`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    pub(super) max_nodes: usize,
    pub(super) max_closed: usize,
    pub(super) max_idle: usize,
    pub(super) max_depth: usize,
}

/// A dependency tree for one connection.
#[derive(Debug)]
pub(super) struct Tree {
    nodes: HashMap<u32, Node, IdHashing>,
    bounds: Bounds,
    /// Closed nodes, oldest first: retirement sequence → stream.
    closed: BTreeMap<u64, u32>,
    /// Idle nodes, oldest first.
    idle: BTreeMap<u64, u32>,
    /// Monotonic counter for tie-breaks and retirement order.
    seq: u64,
    /// Nodes evicted to honour a bound.
    pub(super) evicted: u64,
    /// Idle nodes not created because only open streams were left.
    pub(super) refused: u64,
    /// Nodes placed higher than the client asked, to stay within
    /// `max_depth`.
    pub(super) flattened: u64,
}

impl Tree {
    /// A tree holding only the root. A `max_depth` below 1 is taken as 1:
    /// streams on the root must fit.
    pub(super) fn new(bounds: Bounds) -> Self {
        let bounds = Bounds {
            max_depth: bounds.max_depth.max(1),
            ..bounds
        };
        let mut nodes = HashMap::with_hasher(IdHashing::default());
        nodes.insert(ROOT, Node::new(Kind::Root, ROOT, DEFAULT_WEIGHT));
        Self {
            nodes,
            bounds,
            closed: BTreeMap::new(),
            idle: BTreeMap::new(),
            seq: 0,
            evicted: 0,
            refused: 0,
            flattened: 0,
        }
    }

    /// The tree a [`Flat`](super::flat::Flat) scheme stands for: its open streams and
    /// retained closed ones as leaves on the root with the default weight,
    /// with the root's queue and clock and the sequence counter as they
    /// are.
    pub(super) fn from_flat(
        bounds: Bounds,
        seq: u64,
        clock: u64,
        queue: Queue<QueueKey>,
        open: HashMap<u32, Leaf, IdHashing>,
        closed: VecDeque<Retained>,
        evicted: u64,
    ) -> Self {
        let mut tree = Self::new(bounds);
        tree.seq = seq;
        tree.evicted = evicted;
        let mut children = BTreeSet::new();
        for (stream, leaf) in open {
            let mut node = Node::new(
                Kind::Open {
                    ready: leaf.queued.is_some(),
                },
                ROOT,
                DEFAULT_WEIGHT,
            );
            node.finish = leaf.finish;
            node.queued = leaf.queued;
            tree.nodes.insert(stream, node);
            children.insert((1, stream));
        }
        for r in closed {
            let mut node = Node::new(Kind::Closed, ROOT, DEFAULT_WEIGHT);
            node.finish = r.finish;
            node.retired = Some(r.retired);
            tree.nodes.insert(r.stream, node);
            tree.closed.insert(r.retired, r.stream);
            children.insert((1, r.stream));
        }
        if let Some(root) = tree.nodes.get_mut(&ROOT) {
            root.height = if children.is_empty() { 1 } else { 2 };
            root.children = children;
            root.queue = queue;
            root.clock = clock;
        }
        tree
    }

    /// Nodes in the tree, not counting the root.
    pub(super) fn len(&self) -> usize {
        self.nodes.len().saturating_sub(1)
    }

    /// Levels below the root: 0 when empty, at most `max_depth`.
    pub(super) fn depth(&self) -> usize {
        self.nodes
            .get(&ROOT)
            .map_or(0, |root| root.height.saturating_sub(1))
    }

    fn tick(&mut self) -> u64 {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        seq
    }

    /// An open stream: a new node on the root with the default weight
    /// (RFC 7540 §5.3.5: "All streams are initially assigned a
    /// non-exclusive dependency on stream 0x0"), or the idle node a
    /// PRIORITY frame already placed.
    pub(super) fn open(&mut self, stream: u32) {
        if stream == ROOT {
            return;
        }
        if let Some(node) = self.nodes.get_mut(&stream) {
            if !matches!(node.kind, Kind::Open { .. }) {
                node.kind = Kind::Open { ready: false };
                self.unretire(stream);
            }
            return;
        }
        // Open streams are bounded by SETTINGS_MAX_CONCURRENT_STREAMS, so
        // a node is added even when nothing could be evicted.
        self.make_room();
        self.insert(stream, Kind::Open { ready: false });
    }

    pub(super) fn set_ready(&mut self, stream: u32, ready: bool) {
        let Some(node) = self.nodes.get_mut(&stream) else {
            return;
        };
        if let Kind::Open { .. } = node.kind {
            node.kind = Kind::Open { ready };
            self.refresh(stream);
        }
    }

    /// A closed stream leaves scheduling but stays in the tree, among the
    /// `max_closed` most recently closed: RFC 7540 §5.3.4 "an endpoint
    /// SHOULD retain stream prioritization state for a period after
    /// streams become closed".
    pub(super) fn close(&mut self, stream: u32) {
        let Some(node) = self.nodes.get_mut(&stream) else {
            return;
        };
        if !matches!(node.kind, Kind::Open { .. }) {
            return;
        }
        node.kind = Kind::Closed;
        self.refresh(stream);
        self.retire(stream, Retired::Closed);
        while self.closed.len() > self.bounds.max_closed {
            if !self.evict_oldest(Some(Retired::Closed)) {
                break;
            }
        }
    }

    /// Applies a dependency (HEADERS priority fields or a PRIORITY frame)
    /// to `stream`, which the caller has checked is not `on`.
    pub(super) fn set_dependency(&mut self, stream: u32, on: u32, exclusive: bool, weight: u16) {
        if stream == ROOT || stream == on {
            return;
        }
        if !self.nodes.contains_key(&stream) && !self.add_idle(stream) {
            return;
        }
        let weight = weight.clamp(1, 256);
        // RFC 7540 §5.3.1: "A dependency on a stream that is not currently
        // in the tree -- such as a stream in the "idle" state -- results in
        // that stream being given a default priority (Section 5.3.5)."
        let (parent, exclusive, weight) = if self.nodes.contains_key(&on) {
            (on, exclusive, weight)
        } else {
            (ROOT, false, DEFAULT_WEIGHT)
        };
        let Some(previous) = self.nodes.get(&stream).map(|n| n.parent) else {
            return;
        };
        // RFC 7540 §5.3.3: "If a stream is made dependent on one of its own
        // dependencies, the formerly dependent stream is first moved to be
        // dependent on the reprioritized stream's previous parent. The
        // moved dependency retains its weight."
        if self.descends_from(parent, stream) {
            let kept = self.nodes.get(&parent).map_or(DEFAULT_WEIGHT, |n| n.weight);
            self.detach(parent);
            // Moving up: the bound holds without flattening.
            self.place(parent, previous, kept);
        }
        self.detach(stream);
        let placed = self.place(stream, parent, weight);
        // A stream placed higher than asked does not take the children of
        // the ancestor it landed under: they are not the streams the
        // client named, and taking them would push them a level deeper.
        if exclusive && placed == parent {
            // RFC 7540 §5.3.1: "The exclusive flag causes the stream to
            // become the sole dependency of its parent stream, causing other
            // dependencies to become dependent on the exclusive stream."
            self.adopt(stream, parent);
        }
    }

    /// Moves the children of `parent` other than `stream` under `stream`,
    /// in stream id order. A child whose subtree would then reach below
    /// `max_depth` stays where it is, and is counted as flattened.
    fn adopt(&mut self, stream: u32, parent: u32) {
        let mut siblings: Vec<(u32, u16, usize)> = self
            .nodes
            .get(&parent)
            .map(|p| {
                p.children
                    .iter()
                    .filter(|&&(_, c)| c != stream)
                    .filter_map(|&(h, c)| self.nodes.get(&c).map(|n| (c, n.weight, h)))
                    .collect()
            })
            .unwrap_or_default();
        siblings.sort_unstable_by_key(|&(c, _, _)| c);
        // Adoption leaves `stream` where it is, so the room below it is
        // the same for every sibling.
        let room = self.bounds.max_depth.saturating_sub(self.depth_of(stream));
        for (sibling, kept, height) in siblings {
            if height > room {
                self.flattened = self.flattened.saturating_add(1);
                continue;
            }
            self.detach(sibling);
            self.attach(sibling, stream, kept);
        }
    }

    /// The ready stream that should send next, if any.
    pub(super) fn next(&self) -> Option<u32> {
        let mut at = self.nodes.get(&ROOT)?;
        // The tree has no cycles, so the walk ends within `len` steps; the
        // bound only turns a bug into `None` rather than a hang.
        for _ in 0..self.nodes.len() {
            let &(_, _, child) = at.queue.first()?;
            at = self.nodes.get(&child)?;
            if at.ready() {
                return Some(child);
            }
        }
        None
    }

    /// Charges `bytes` sent on `stream` to it and its ancestors. One node
    /// lookup per level: each node found re-keys the child charged before
    /// it in its queue, then is charged itself.
    pub(super) fn sent(&mut self, stream: u32, bytes: usize) {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        // The child charged last: its key in `at`'s queue (if queued), its
        // new key, and its finish time before the charge.
        let mut charged: Option<(Option<QueueKey>, QueueKey, u64)> = None;
        let mut at = stream;
        for _ in 0..self.nodes.len() {
            let fresh = self.tick();
            let Some(node) = self.nodes.get_mut(&at) else {
                return;
            };
            if let Some((Some(old), new, start)) = charged {
                node.queue.rekey(&old, new);
                node.clock = node.clock.max(start);
            }
            if at == ROOT {
                return;
            }
            let cost = bytes.saturating_mul(SCALE) / u64::from(node.weight.max(1));
            let start = node.finish;
            node.finish = start.saturating_add(cost);
            let old = node.queued;
            let new = (node.finish, fresh, at);
            if old.is_some() {
                node.queued = Some(new);
            }
            charged = Some((old, new, start));
            at = node.parent;
        }
    }

    /// Puts a detached `stream` (with its subtree) under `parent`, or, if
    /// its subtree would then reach below `max_depth`, under the ancestor
    /// of `parent` at which it just fits, counting a flattening. Returns
    /// the parent it went under. O(max_depth).
    ///
    /// RFC 7540 §5.3.4 lets an endpoint drop prioritization state: "under
    /// high load, prioritization state can be discarded to limit resource
    /// commitments. In extreme cases, an endpoint could even discard
    /// prioritization state for active or reserved streams." Placing a
    /// stream higher up its named parent's branch drops only the levels
    /// beyond the bound: it still waits for every ancestor it keeps, and
    /// shares with the others below the lowest of them by weight.
    fn place(&mut self, stream: u32, parent: u32, weight: u16) -> u32 {
        let height = self.nodes.get(&stream).map_or(1, |n| n.height);
        // The deepest a parent may be: a stream on the root (depth 0) has
        // room for `max_depth` levels.
        let deepest = self.bounds.max_depth.saturating_sub(height);
        let depth = self.depth_of(parent);
        let mut placed = parent;
        if depth > deepest {
            for _ in deepest..depth {
                placed = self.nodes.get(&placed).map_or(ROOT, |n| n.parent);
            }
            self.flattened = self.flattened.saturating_add(1);
        }
        self.attach(stream, placed, weight);
        placed
    }

    /// Levels between `node` and the root: 0 for the root, 1 for a stream
    /// on it. O(max_depth).
    fn depth_of(&self, node: u32) -> usize {
        let mut depth = 0;
        let mut at = node;
        for _ in 0..self.nodes.len() {
            if at == ROOT {
                break;
            }
            match self.nodes.get(&at) {
                Some(n) => at = n.parent,
                None => break,
            }
            depth += 1;
        }
        depth
    }

    /// Recomputes the height of `at` and of its ancestors after the
    /// children of `at` changed, stopping where nothing changes.
    /// O(max_depth · log k).
    fn regrow(&mut self, mut at: u32) {
        for _ in 0..self.nodes.len() {
            let Some(node) = self.nodes.get_mut(&at) else {
                return;
            };
            let height = node
                .children
                .last()
                .map_or(1, |&(h, _)| h.saturating_add(1));
            let old = node.height;
            if height == old || at == ROOT {
                node.height = height;
                return;
            }
            node.height = height;
            let parent = node.parent;
            if let Some(p) = self.nodes.get_mut(&parent) {
                p.children.remove(&(old, at));
                p.children.insert((height, at));
            }
            at = parent;
        }
    }

    /// Whether `node` is `ancestor` or lies below it.
    fn descends_from(&self, node: u32, ancestor: u32) -> bool {
        let mut at = node;
        for _ in 0..self.nodes.len() {
            if at == ancestor {
                return true;
            }
            if at == ROOT {
                return false;
            }
            match self.nodes.get(&at) {
                Some(n) => at = n.parent,
                None => return false,
            }
        }
        false
    }

    /// Re-queues `at` and its ancestors after `at`'s activity may have
    /// changed, stopping where nothing changes.
    fn refresh(&mut self, mut at: u32) {
        for _ in 0..self.nodes.len() {
            if at == ROOT {
                return;
            }
            let fresh = self.tick();
            let Some(node) = self.nodes.get(&at) else {
                return;
            };
            let (active, queued, parent, finish) =
                (node.active(), node.queued, node.parent, node.finish);
            if active == queued.is_some() {
                return;
            }
            let Some(p) = self.nodes.get_mut(&parent) else {
                return;
            };
            let key = match queued {
                Some(old) => {
                    p.queue.remove(&old);
                    None
                }
                None => {
                    let key = (finish.max(p.clock), fresh, at);
                    p.queue.insert(key);
                    Some(key)
                }
            };
            if let Some(node) = self.nodes.get_mut(&at) {
                node.queued = key;
                if let Some((finish, _, _)) = key {
                    node.finish = finish;
                }
            }
            at = parent;
        }
    }

    /// Takes `stream` (with its subtree) off its parent.
    fn detach(&mut self, stream: u32) {
        let Some(node) = self.nodes.get_mut(&stream) else {
            return;
        };
        let (parent, queued, height) = (node.parent, node.queued.take(), node.height);
        if let Some(p) = self.nodes.get_mut(&parent) {
            p.children.remove(&(height, stream));
            if let Some(key) = queued {
                p.queue.remove(&key);
            }
        }
        self.refresh(parent);
        self.regrow(parent);
    }

    /// Puts a detached `stream` (with its subtree) under `parent`, where
    /// the caller has checked it fits within `max_depth`. Its virtual time
    /// restarts at the new parent's clock.
    fn attach(&mut self, stream: u32, parent: u32, weight: u16) {
        let Some(node) = self.nodes.get_mut(&stream) else {
            return;
        };
        node.parent = parent;
        node.weight = weight;
        node.finish = 0;
        let height = node.height;
        if let Some(p) = self.nodes.get_mut(&parent) {
            p.children.insert((height, stream));
        }
        self.regrow(parent);
        self.refresh(stream);
    }

    /// A new leaf on the root, where it always fits (`max_depth` ≥ 1).
    fn insert(&mut self, stream: u32, kind: Kind) {
        self.nodes
            .insert(stream, Node::new(kind, ROOT, DEFAULT_WEIGHT));
        if let Some(root) = self.nodes.get_mut(&ROOT) {
            root.children.insert((1, stream));
        }
        self.regrow(ROOT);
        self.refresh(stream);
    }

    /// Adds an idle node for a PRIORITY frame on a never-opened stream,
    /// evicting to stay within the bounds; false when refused.
    fn add_idle(&mut self, stream: u32) -> bool {
        if self.idle.len() >= self.bounds.max_idle && !self.evict_oldest(Some(Retired::Idle)) {
            self.refused = self.refused.saturating_add(1);
            return false;
        }
        if !self.make_room() {
            self.refused = self.refused.saturating_add(1);
            return false;
        }
        self.insert(stream, Kind::Idle);
        self.retire(stream, Retired::Idle);
        true
    }

    /// Evicts until one more node fits under `max_nodes`; false if only
    /// open streams are left.
    fn make_room(&mut self) -> bool {
        while self.len() >= self.bounds.max_nodes {
            if !self.evict_oldest(None) {
                return false;
            }
        }
        true
    }

    fn retire(&mut self, stream: u32, kind: Retired) {
        let seq = self.tick();
        let order = match kind {
            Retired::Closed => &mut self.closed,
            Retired::Idle => &mut self.idle,
        };
        order.insert(seq, stream);
        if let Some(node) = self.nodes.get_mut(&stream) {
            node.retired = Some(seq);
        }
    }

    fn unretire(&mut self, stream: u32) {
        if let Some(seq) = self.nodes.get_mut(&stream).and_then(|n| n.retired.take()) {
            self.closed.remove(&seq);
            self.idle.remove(&seq);
        }
    }

    /// Evicts the oldest retained node of `kind` (closed or idle; `None`:
    /// whichever is older). False when there is none.
    fn evict_oldest(&mut self, kind: Option<Retired>) -> bool {
        let closed = self.closed.first_key_value().map(|(&s, &id)| (s, id));
        let idle = self.idle.first_key_value().map(|(&s, &id)| (s, id));
        let victim = match kind {
            Some(Retired::Closed) => closed,
            Some(Retired::Idle) => idle,
            None => match (closed, idle) {
                (Some(c), Some(i)) => Some(if c.0 < i.0 { c } else { i }),
                (c, i) => c.or(i),
            },
        };
        let Some((_, stream)) = victim else {
            return false;
        };
        self.remove(stream);
        self.evicted = self.evicted.saturating_add(1);
        true
    }

    /// Removes a node; its children move to its parent and share its
    /// weight. RFC 7540 §5.3.4: "The weights of new dependencies are
    /// recalculated by distributing the weight of the dependency of the
    /// closed stream proportionally based on the weights of its
    /// dependencies."
    fn remove(&mut self, stream: u32) {
        self.unretire(stream);
        self.detach(stream);
        let Some(node) = self.nodes.remove(&stream) else {
            return;
        };
        let mut children: Vec<(u32, u16)> = node
            .children
            .iter()
            .filter_map(|&(_, c)| self.nodes.get(&c).map(|n| (c, n.weight)))
            .collect();
        children.sort_unstable_by_key(|&(c, _)| c);
        let total: u32 = children.iter().map(|&(_, w)| u32::from(w)).sum();
        for (child, weight) in children {
            let share = u32::from(node.weight) * u32::from(weight) / total.max(1);
            let share = u16::try_from(share.clamp(1, 256)).unwrap_or(DEFAULT_WEIGHT);
            if let Some(c) = self.nodes.get_mut(&child) {
                // The child's key pointed into the removed node's queue.
                c.queued = None;
            }
            // One level up: the bound holds without flattening.
            self.attach(child, node.parent, share);
        }
    }

    /// The parent and weight of `stream`, for tests and diagnostics.
    pub(super) fn placement(&self, stream: u32) -> Option<(u32, u16)> {
        self.nodes.get(&stream).map(|n| (n.parent, n.weight))
    }
}
