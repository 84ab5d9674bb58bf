//! The dynamic table (RFC 7541 §2.3.2, §4): a FIFO of recently added
//! fields, bounded by a size in octets, with eviction on insert and on
//! capacity changes.
//!
//! Shared by the decoder and the encoder, which each keep their own copy.
//! It knows nothing about the static table or the combined index space:
//! its positions start at 0 for the newest entry. Who may change the
//! capacity, and when, is the decoder's and the encoder's business.

use std::collections::VecDeque;

/// RFC 7541 §4.1: an entry's size is its name and value lengths plus 32.
pub(crate) const ENTRY_OVERHEAD: usize = 32;

/// The size of an entry `name: value` as RFC 7541 §4.1 counts it.
pub(crate) fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len()
        .saturating_add(value.len())
        .saturating_add(ENTRY_OVERHEAD)
}

/// Evicted entries' buffers kept for reuse, so a steady state of inserts
/// and evictions does not allocate.
const SPARE_BUFFERS: usize = 8;

#[derive(Debug, Clone)]
struct Entry {
    /// The name followed by the value, in one allocation.
    bytes: Vec<u8>,
    name_len: usize,
}

impl Entry {
    fn split(&self) -> (&[u8], &[u8]) {
        // `name_len` was `name.len()` when `bytes` was built as name ++
        // value, so it is within `bytes`.
        self.bytes.split_at(self.name_len)
    }
}

/// Where a field was found in the dynamic table (0 = newest entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    Full(usize),
    Name(usize),
}

/// The dynamic table. Front of `entries` is the newest entry.
#[derive(Debug, Clone)]
pub(crate) struct DynamicTable {
    entries: VecDeque<Entry>,
    /// Sum of the entries' sizes; never above `capacity`.
    size: usize,
    capacity: usize,
    spare: Vec<Vec<u8>>,
}

impl DynamicTable {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            size: 0,
            capacity,
            spare: Vec::new(),
        }
    }

    /// The current maximum size (the last size update).
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The sum of the entries' sizes.
    #[cfg(test)]
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entry at `position` (0 = newest), if there is one.
    pub(crate) fn get(&self, position: usize) -> Option<(&[u8], &[u8])> {
        self.entries.get(position).map(Entry::split)
    }

    /// Sets the maximum size, evicting the oldest entries until the table
    /// fits (RFC 7541 §4.3).
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict_to(capacity);
    }

    /// Adds `name: value` as the newest entry, evicting old ones to make
    /// room (RFC 7541 §4.4). An entry larger than the capacity empties the
    /// table and is not added.
    pub(crate) fn insert(&mut self, name: &[u8], value: &[u8]) {
        let size = entry_size(name, value);
        if size > self.capacity {
            self.evict_to(0);
            return;
        }
        self.evict_to(self.capacity - size);
        let mut bytes = self.spare.pop().unwrap_or_default();
        bytes.clear();
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(value);
        self.entries.push_front(Entry {
            bytes,
            name_len: name.len(),
        });
        self.size += size;
    }

    /// The newest entry matching `name: value`, else the newest entry
    /// matching `name`.
    pub(crate) fn find(&self, name: &[u8], value: &[u8]) -> Option<Match> {
        let mut name_match = None;
        for (position, entry) in self.entries.iter().enumerate() {
            let (n, v) = entry.split();
            if n == name {
                if v == value {
                    return Some(Match::Full(position));
                }
                name_match.get_or_insert(position);
            }
        }
        name_match.map(Match::Name)
    }

    /// Evicts oldest entries until the size is at most `target`.
    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some(entry) = self.entries.pop_back() else {
                break;
            };
            let (name, value) = entry.split();
            self.size = self.size.saturating_sub(entry_size(name, value));
            if self.spare.len() < SPARE_BUFFERS {
                self.spare.push(entry.bytes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_entry_is_position_zero() {
        let mut table = DynamicTable::new(4096);
        table.insert(b"a", b"1");
        table.insert(b"b", b"2");
        assert_eq!(table.get(0), Some((&b"b"[..], &b"2"[..])));
        assert_eq!(table.get(1), Some((&b"a"[..], &b"1"[..])));
        assert_eq!(table.get(2), None);
        assert_eq!(table.size(), 2 * 34);
    }

    #[test]
    fn inserting_past_capacity_evicts_the_oldest() {
        let mut table = DynamicTable::new(2 * 34);
        table.insert(b"a", b"1");
        table.insert(b"b", b"2");
        table.insert(b"c", b"3");
        assert_eq!(table.len(), 2);
        assert_eq!(table.get(1), Some((&b"b"[..], &b"2"[..])));
    }

    #[test]
    fn an_entry_larger_than_the_table_empties_it() {
        let mut table = DynamicTable::new(40);
        table.insert(b"a", b"1");
        table.insert(b"name", b"a value that is too long");
        assert_eq!(table.len(), 0);
        assert_eq!(table.size(), 0);
    }

    #[test]
    fn shrinking_the_capacity_evicts_and_zero_clears() {
        let mut table = DynamicTable::new(4096);
        table.insert(b"a", b"1");
        table.insert(b"b", b"2");
        table.set_capacity(34);
        assert_eq!(table.len(), 1);
        table.set_capacity(0);
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn find_prefers_a_full_match_then_the_newest_name() {
        let mut table = DynamicTable::new(4096);
        table.insert(b"k", b"old");
        table.insert(b"k", b"new");
        table.insert(b"other", b"x");
        assert_eq!(table.find(b"k", b"old"), Some(Match::Full(2)));
        assert_eq!(table.find(b"k", b"none"), Some(Match::Name(1)));
        assert_eq!(table.find(b"absent", b""), None);
    }
}
