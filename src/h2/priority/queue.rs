//! The ordered queue of a tree node's active children.
//!
//! A `BTreeSet` with its least key held apart. Scheduling only ever reads
//! the least key and re-keys the child it served; when that child is
//! still first afterwards, in particular when it is its parent's only
//! active child (every level of a dependency chain), re-keying is a
//! store instead of a remove and an insert. Otherwise it costs what the
//! set alone would: O(log k) for k keys.

use std::collections::BTreeSet;

/// Keys in order, the least at hand.
#[derive(Debug)]
pub(super) struct Queue<K> {
    /// The least key; `None` only when the queue is empty.
    head: Option<K>,
    /// Every other key, all greater than `head`.
    rest: BTreeSet<K>,
}

impl<K: Ord + Copy> Queue<K> {
    pub(super) fn new() -> Self {
        Self {
            head: None,
            rest: BTreeSet::new(),
        }
    }

    pub(super) fn first(&self) -> Option<&K> {
        self.head.as_ref()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    pub(super) fn insert(&mut self, key: K) {
        match self.head {
            Some(head) if key < head => {
                self.rest.insert(head);
                self.head = Some(key);
            }
            Some(_) => {
                self.rest.insert(key);
            }
            None => self.head = Some(key),
        }
    }

    pub(super) fn remove(&mut self, key: &K) {
        if self.head.as_ref() == Some(key) {
            self.head = self.rest.pop_first();
        } else {
            self.rest.remove(key);
        }
    }

    /// Replaces `old` by `new`.
    pub(super) fn rekey(&mut self, old: &K, new: K) {
        if self.head.as_ref() == Some(old) && self.rest.first().is_none_or(|next| new < *next) {
            self.head = Some(new);
            return;
        }
        self.remove(old);
        self.insert(new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drains a queue, least first.
    fn drain(mut q: Queue<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        while let Some(&k) = q.first() {
            q.remove(&k);
            out.push(k);
        }
        out
    }

    #[test]
    fn keys_come_out_least_first_whatever_the_order_they_went_in() {
        let mut q = Queue::new();
        for k in [5, 1, 9, 3, 7] {
            q.insert(k);
        }
        q.remove(&9);
        q.remove(&4);
        assert_eq!(drain(q), [1, 3, 5, 7]);
    }

    #[test]
    fn rekeying_the_first_key_keeps_the_order_whether_it_stays_first_or_not() {
        let mut q = Queue::new();
        for k in [10, 20, 30] {
            q.insert(k);
        }
        q.rekey(&10, 15);
        assert_eq!(q.first(), Some(&15));
        q.rekey(&15, 25);
        assert_eq!(q.first(), Some(&20));
        q.rekey(&30, 5);
        assert_eq!(drain(q), [5, 20, 25]);
    }

    #[test]
    fn a_lone_key_is_rekeyed_in_place() {
        let mut q = Queue::new();
        q.insert(1);
        q.rekey(&1, 100);
        assert_eq!(drain(q), [100]);
    }
}
