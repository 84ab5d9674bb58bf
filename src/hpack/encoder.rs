//! The HPACK encoder: turns header lists into header blocks, choosing for
//! each field between the static table, the dynamic table and a literal,
//! and signalling table size changes the peer's SETTINGS ask for.
//!
//! Owns the encoding policy (what to index, what never to index, when to
//! Huffman-code) and the sending side of RFC 7541 §4.2 and §6.3. It does
//! not split blocks into frames and does not validate fields.
//!
//! # Indexing policy ([`IndexingMode::Policy`], the default)
//!
//! - **Never indexed** (§6.2.3, kept out of every table downstream too):
//!   fields the caller marks sensitive ([`HeaderField::sensitive`]), and
//!   `authorization`, `proxy-authorization`, `set-cookie` (credentials and
//!   session tokens: indexing them would let a CRIME-style attacker who
//!   can inject fields on the same connection probe them by compressed
//!   size), and `cookie` values shorter than 20 octets (short enough to
//!   guess; nghttp2 uses the same rule; longer cookies are indexed because
//!   they repeat on every request).
//! - **Not indexed** (§6.2.2): values that differ per message, where an
//!   entry would only evict useful ones: `:path`, `age`, `content-length`,
//!   `content-range`, `etag`, `if-modified-since`, `if-none-match`,
//!   `last-modified`, `location`; and any entry larger than 3/4 of the
//!   table. `date` *is* indexed: it changes once a second, and a busy
//!   connection sends many responses within one second.
//! - **Indexed** (§6.2.1): everything else, notably the fields that repeat
//!   from response to response (`content-type`, `server`, `cache-control`,
//!   `vary`, `content-encoding`, custom headers).
//!
//! Full matches use an index (static first, then dynamic); otherwise the
//! name is taken from the static table if it is there, else from the
//! dynamic table. Strings are Huffman-coded only when that is shorter
//! ([`HuffmanMode::WhenShorter`]).

use super::dynamic_table::{self, DynamicTable, entry_size};
use super::string::{self, HuffmanMode};
use super::{HeaderField, integer, static_table};

/// Which literals the encoder adds to the dynamic table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexingMode {
    /// The policy in the module documentation.
    #[default]
    Policy,
    /// Every field the caller did not mark sensitive, credentials
    /// included (what RFC 7541 Appendix C shows; for tests).
    Always,
    /// None: no dynamic table is built (the peer still gets size updates).
    Never,
}

/// Size updates owed to the peer, collected between two blocks.
#[derive(Debug, Clone, Copy)]
struct PendingUpdate {
    smallest: usize,
    last: usize,
}

/// An HPACK encoder for one direction of one connection.
#[derive(Debug, Clone)]
pub struct Encoder {
    table: DynamicTable,
    /// The most table the encoder will use, whatever the peer allows.
    limit: usize,
    pending_update: Option<PendingUpdate>,
    indexing: IndexingMode,
    huffman: HuffmanMode,
    /// See [`Encoder::generation`].
    generation: u64,
}

impl Default for Encoder {
    /// An HTTP/2 encoder: table size 4096, the initial
    /// SETTINGS_HEADER_TABLE_SIZE.
    fn default() -> Self {
        Self::new(super::DEFAULT_TABLE_SIZE)
    }
}

impl Encoder {
    /// An encoder whose table starts at `table_size` octets, the size both
    /// ends assume before any update (4096 in HTTP/2). It is also the most
    /// the encoder will ever use: a peer that allows more gets no more.
    pub fn new(table_size: usize) -> Self {
        Self {
            table: DynamicTable::new(table_size),
            limit: table_size,
            pending_update: None,
            indexing: IndexingMode::default(),
            huffman: HuffmanMode::default(),
            generation: 0,
        }
    }

    pub fn set_indexing(&mut self, mode: IndexingMode) {
        self.indexing = mode;
        self.changed();
    }

    pub fn set_huffman(&mut self, mode: HuffmanMode) {
        self.huffman = mode;
        self.changed();
    }

    /// A number that changes whenever encoding the same fields could give
    /// different octets: a table insertion or resize, a size update to
    /// send, a change of mode. While it stays the same, encoding a list
    /// that inserted nothing gives the same block again and changes
    /// nothing, so a caller may reuse the block instead.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn changed(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed to `max`. The next
    /// block starts with the size update(s) RFC 7541 §4.2 requires: the
    /// smallest size since the last block if the table had to shrink, then
    /// the final size.
    pub fn set_peer_max_table_size(&mut self, max: usize) {
        let size = max.min(self.limit);
        let pending = self.pending_update.get_or_insert(PendingUpdate {
            smallest: size,
            last: size,
        });
        pending.smallest = pending.smallest.min(size);
        pending.last = size;
        self.changed();
    }

    /// The dynamic table's current maximum size.
    pub fn table_size(&self) -> usize {
        self.table.capacity()
    }

    /// Appends the header block for `fields` to `out`.
    pub fn encode<'a>(
        &mut self,
        fields: impl IntoIterator<Item = HeaderField<'a>>,
        out: &mut Vec<u8>,
    ) {
        self.size_updates(out);
        for field in fields {
            self.field(field, out);
        }
    }

    /// RFC 7541 §4.2: the update "MUST occur at the beginning of the first
    /// header block following the change", and "the smallest maximum table
    /// size that occurs in that interval MUST be signaled".
    fn size_updates(&mut self, out: &mut Vec<u8>) {
        let Some(PendingUpdate { smallest, last }) = self.pending_update.take() else {
            return;
        };
        if smallest < self.table.capacity() {
            integer::encode(smallest, 5, 0x20, out);
            self.table.set_capacity(smallest);
            self.changed();
        }
        if last != self.table.capacity() {
            integer::encode(last, 5, 0x20, out);
            self.table.set_capacity(last);
            self.changed();
        }
    }

    fn field(&mut self, field: HeaderField<'_>, out: &mut Vec<u8>) {
        let HeaderField { name, value, .. } = field;
        let never_indexed = field.never_indexed
            || (self.indexing != IndexingMode::Always && policy_never_indexes(name, value));
        let static_match = static_table::find(name, value);
        if !never_indexed && let Some(static_table::Match::Full(index)) = static_match {
            integer::encode(index, 7, 0x80, out);
            return;
        }
        let dynamic_match = self.table.find(name, value);
        if !never_indexed && let Some(dynamic_table::Match::Full(position)) = dynamic_match {
            integer::encode(static_table::LEN + 1 + position, 7, 0x80, out);
            return;
        }
        let name_index = match (static_match, dynamic_match) {
            (Some(static_table::Match::Full(i) | static_table::Match::Name(i)), _) => i,
            (None, Some(dynamic_table::Match::Full(p) | dynamic_table::Match::Name(p))) => {
                static_table::LEN + 1 + p
            }
            (None, None) => 0,
        };
        let index_it = !never_indexed && self.should_index(name, value);
        let (prefix_bits, pattern) = if index_it {
            (6, 0x40)
        } else if never_indexed {
            (4, 0x10)
        } else {
            (4, 0x00)
        };
        integer::encode(name_index, prefix_bits, pattern, out);
        if name_index == 0 {
            string::encode(name, self.huffman, out);
        }
        string::encode(value, self.huffman, out);
        if index_it {
            self.table.insert(name, value);
            self.changed();
        }
    }

    fn should_index(&self, name: &[u8], value: &[u8]) -> bool {
        match self.indexing {
            IndexingMode::Always => true,
            IndexingMode::Never => false,
            IndexingMode::Policy => {
                !policy_varies_per_message(name)
                    && entry_size(name, value) <= self.table.capacity() / 4 * 3
            }
        }
    }
}

/// Fields the policy sends as "literal never indexed".
fn policy_never_indexes(name: &[u8], value: &[u8]) -> bool {
    match name {
        b"authorization" | b"proxy-authorization" | b"set-cookie" => true,
        b"cookie" => value.len() < 20,
        _ => false,
    }
}

/// Fields the policy does not index because their values rarely repeat.
fn policy_varies_per_message(name: &[u8]) -> bool {
    matches!(
        name,
        b":path"
            | b"age"
            | b"content-length"
            | b"content-range"
            | b"etag"
            | b"if-modified-since"
            | b"if-none-match"
            | b"last-modified"
            | b"location"
    )
}

#[cfg(test)]
mod tests;
