//! The RFC 9218 (Extensible Priorities) scheduler: eight urgency buckets,
//! each serving its non-incremental streams one at a time in stream-id
//! order and its incremental streams round robin.
//!
//! This file owns only the order among *ready* streams (open, with data
//! and send window). Which streams are open, their priority while not
//! ready, and PRIORITY_UPDATEs for streams not yet open are the facade's
//! ([`super::Scheduler`]); parsing the `priority` field is the
//! connection's.
//!
//! # Policy within one urgency
//!
//! RFC 9218 §10 leaves the mix of incremental and non-incremental
//! responses at one urgency to the server and RECOMMENDs avoiding
//! starvation. Here the non-incremental streams of an urgency form one
//! *sequential group* that takes part in the urgency's round robin as if
//! it were a single incremental stream: with one non-incremental and two
//! incremental streams ready, frames go S, I1, I2, S, I1, I2, … The group
//! always sends for its lowest ready stream id, so non-incremental
//! responses still complete one after the other in request order, and
//! neither kind can starve the other.
//!
//! # Cost
//!
//! Every operation is O(log n) in the number of ready streams: a lookup
//! in a hash map, and at most a few `BTreeSet`/`BTreeMap` insertions or
//! removals. [`Buckets::next`] looks at the eight urgencies in turn
//! (constant) and takes the first entry of one ordered map.

use super::Priority;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Number of urgency levels, 0 (most urgent) to 7 (background).
const URGENCIES: usize = 8;

/// Who owns one turn in an urgency's round robin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// The non-incremental streams of the urgency, as one participant.
    Sequential,
    /// One incremental stream.
    Incremental(u32),
}

/// The ready streams of one urgency.
#[derive(Debug, Default)]
struct Level {
    /// Ready non-incremental streams; the lowest id is served.
    sequential: BTreeSet<u32>,
    /// The round robin: turn number → participant; the lowest turn goes
    /// next and, once served, gets a new (highest) turn number.
    rotation: BTreeMap<u64, Turn>,
    /// The sequential group's turn number while the group is non-empty.
    sequential_turn: Option<u64>,
}

/// Where a ready stream sits.
#[derive(Debug, Clone, Copy)]
struct Placed {
    urgency: usize,
    /// `Some(turn)` for an incremental stream (its own turn number),
    /// `None` for a non-incremental one (it uses the group's turn).
    turn: Option<u64>,
}

/// The ready streams of a connection under RFC 9218.
#[derive(Debug)]
pub(super) struct Buckets {
    levels: [Level; URGENCIES],
    placed: HashMap<u32, Placed>,
    /// The next turn number to hand out (monotonic; 2^64 turns will not
    /// be reached, and `wrapping_add` keeps it panic-free regardless).
    next_turn: u64,
}

impl Buckets {
    pub(super) fn new() -> Self {
        Self {
            levels: Default::default(),
            placed: HashMap::new(),
            next_turn: 0,
        }
    }

    fn take_turn(&mut self) -> u64 {
        let turn = self.next_turn;
        self.next_turn = self.next_turn.wrapping_add(1);
        turn
    }

    /// Makes `stream` ready with priority `p`, or moves it if it already
    /// was ready under another priority.
    pub(super) fn insert(&mut self, stream: u32, p: Priority) {
        self.remove(stream);
        let urgency = usize::from(p.urgency).min(URGENCIES - 1);
        let turn = self.take_turn();
        let Some(level) = self.levels.get_mut(urgency) else {
            return;
        };
        let placed = if p.incremental {
            level.rotation.insert(turn, Turn::Incremental(stream));
            Placed {
                urgency,
                turn: Some(turn),
            }
        } else {
            level.sequential.insert(stream);
            if level.sequential_turn.is_none() {
                level.sequential_turn = Some(turn);
                level.rotation.insert(turn, Turn::Sequential);
            }
            Placed {
                urgency,
                turn: None,
            }
        };
        self.placed.insert(stream, placed);
    }

    /// Takes `stream` out of the ready set (no longer ready, or closed).
    pub(super) fn remove(&mut self, stream: u32) {
        let Some(placed) = self.placed.remove(&stream) else {
            return;
        };
        let Some(level) = self.levels.get_mut(placed.urgency) else {
            return;
        };
        match placed.turn {
            Some(turn) => {
                level.rotation.remove(&turn);
            }
            None => {
                level.sequential.remove(&stream);
                if level.sequential.is_empty()
                    && let Some(turn) = level.sequential_turn.take()
                {
                    level.rotation.remove(&turn);
                }
            }
        }
    }

    /// The stream that should send the next frame: the most urgent level
    /// with a ready stream, then the first turn of its round robin.
    pub(super) fn next(&self) -> Option<u32> {
        let level = self.levels.iter().find(|l| !l.rotation.is_empty())?;
        match level.rotation.first_key_value()? {
            (_, Turn::Incremental(stream)) => Some(*stream),
            (_, Turn::Sequential) => level.sequential.first().copied(),
        }
    }

    /// Accounts one frame sent on `stream`: its turn (or its group's) goes
    /// to the back of its urgency's round robin.
    pub(super) fn sent(&mut self, stream: u32) {
        let Some(placed) = self.placed.get(&stream).copied() else {
            return;
        };
        let fresh = self.take_turn();
        let Some(level) = self.levels.get_mut(placed.urgency) else {
            return;
        };
        let old = match placed.turn {
            Some(turn) => turn,
            None => match level.sequential_turn {
                Some(turn) => turn,
                None => return,
            },
        };
        let Some(owner) = level.rotation.remove(&old) else {
            return;
        };
        level.rotation.insert(fresh, owner);
        match owner {
            Turn::Sequential => level.sequential_turn = Some(fresh),
            Turn::Incremental(_) => {
                self.placed.insert(
                    stream,
                    Placed {
                        urgency: placed.urgency,
                        turn: Some(fresh),
                    },
                );
            }
        }
    }
}
