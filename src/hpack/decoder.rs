//! The HPACK decoder: turns header blocks into header lists, keeping the
//! dynamic table in step with the peer's encoder and enforcing our limits.
//!
//! Owns the representation parsing of RFC 7541 §6, the table size rules of
//! §4.2 and §6.3 as seen from the receiving side, and the header-list
//! limits (the HPACK bomb defence). It does not reassemble HEADERS and
//! CONTINUATION frames (one complete block comes in) and does not judge
//! what the fields mean.

use super::dynamic_table::{DynamicTable, ENTRY_OVERHEAD};
use super::{DecodeError, HeaderList, integer, static_table, string};

/// Limits on what one header block may decode to.
///
/// The size counts each field as name + value + 32 octets, like
/// SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 §6.5.2), so advertise
/// `max_list_size` there. While decoding, [`HeaderList`]'s buffer never
/// holds more than `max_list_size` plus one field (at most
/// `2 * max_string_len`) octets, however many times a block references a
/// large table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderLimits {
    /// Largest decoded list size (name + value + 32 per field).
    pub max_list_size: usize,
    /// Most fields in one block.
    pub max_fields: usize,
    /// Longest name or value, on the wire or decoded.
    pub max_string_len: usize,
}

impl Default for DecoderLimits {
    /// 64 KiB of list, 256 fields, 16 KiB strings: room for large cookies,
    /// far below what would hurt a worker.
    fn default() -> Self {
        Self {
            max_list_size: 64 * 1024,
            max_fields: 256,
            max_string_len: 16 * 1024,
        }
    }
}

/// How a literal field is to be kept (RFC 7541 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Literal {
    /// §6.2.1: added to the dynamic table.
    IncrementalIndexing,
    /// §6.2.2: not added.
    WithoutIndexing,
    /// §6.2.3: not added, and never to be added by anyone downstream.
    NeverIndexed,
}

/// Counts the list against [`DecoderLimits`] as fields are decoded.
/// Once a limit is passed, fields are still decoded (the dynamic table must
/// stay in step) but no longer kept.
#[derive(Debug)]
struct Budget {
    limits: DecoderLimits,
    size: usize,
    fields: usize,
    exceeded: Option<DecodeError>,
}

impl Budget {
    /// Counts a field; true if it may be kept.
    fn admit(&mut self, name_len: usize, value_len: usize) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        self.fields += 1;
        if self.fields > self.limits.max_fields {
            self.exceeded = Some(DecodeError::TooManyFields {
                max: self.limits.max_fields,
            });
            return false;
        }
        self.size = self
            .size
            .saturating_add(name_len)
            .saturating_add(value_len)
            .saturating_add(ENTRY_OVERHEAD);
        if self.size > self.limits.max_list_size {
            self.exceeded = Some(DecodeError::HeaderListTooLarge {
                max: self.limits.max_list_size,
            });
            return false;
        }
        true
    }
}

/// An HPACK decoder for one direction of one connection.
///
/// After an error for which [`DecodeError::is_compression_error`] is true,
/// the decoder's table is out of step with the peer and it must be dropped
/// with the connection.
#[derive(Debug, Clone)]
pub struct Decoder {
    table: DynamicTable,
    /// Our SETTINGS_HEADER_TABLE_SIZE, acknowledged by the peer.
    max_table_size: usize,
    /// Set when our setting dropped below the table's capacity: the next
    /// block must start with a size update to at most this value.
    required_update: Option<usize>,
    limits: DecoderLimits,
}

impl Decoder {
    /// A decoder whose table starts at `max_table_size` octets, which is
    /// also the most a size update may ask for. In HTTP/2 that is 4096
    /// (the initial SETTINGS_HEADER_TABLE_SIZE) until our own SETTINGS
    /// are acknowledged; then call [`set_max_table_size`](Self::set_max_table_size).
    pub fn new(max_table_size: usize, limits: DecoderLimits) -> Self {
        Self {
            table: DynamicTable::new(max_table_size),
            max_table_size,
            required_update: None,
            limits,
        }
    }

    /// Our SETTINGS_HEADER_TABLE_SIZE changed to `max` and the peer
    /// acknowledged it. If `max` is below the table's current size, the
    /// next block must open with a size update that brings it to `max` or
    /// less.
    pub fn set_max_table_size(&mut self, max: usize) {
        self.max_table_size = max;
        if max < self.table.capacity() {
            let smallest = self.required_update.map_or(max, |r| r.min(max));
            self.required_update = Some(smallest);
        }
    }

    /// The largest size update our settings allow.
    pub fn max_table_size(&self) -> usize {
        self.max_table_size
    }

    /// The dynamic table's current maximum size (the last size update).
    pub fn table_size(&self) -> usize {
        self.table.capacity()
    }

    pub fn limits(&self) -> DecoderLimits {
        self.limits
    }

    /// Decodes one complete header block into `list`, replacing what it
    /// held. On any error `list` is left empty.
    pub fn decode(&mut self, block: &[u8], list: &mut HeaderList) -> Result<(), DecodeError> {
        list.clear();
        let result = self.decode_block(block, list);
        if result.is_err() {
            list.clear();
        }
        result
    }

    fn decode_block(&mut self, block: &[u8], list: &mut HeaderList) -> Result<(), DecodeError> {
        let mut input = block;
        self.table_size_updates(&mut input)?;
        let mut budget = Budget {
            limits: self.limits,
            size: 0,
            fields: 0,
            exceeded: None,
        };
        while let Some(&first) = input.first() {
            match first {
                0x80..=0xff => self.indexed(&mut input, list, &mut budget)?,
                0x40..=0x7f => self.literal(
                    &mut input,
                    6,
                    Literal::IncrementalIndexing,
                    list,
                    &mut budget,
                )?,
                0x00..=0x0f => {
                    self.literal(&mut input, 4, Literal::WithoutIndexing, list, &mut budget)?
                }
                0x10..=0x1f => {
                    self.literal(&mut input, 4, Literal::NeverIndexed, list, &mut budget)?
                }
                // RFC 7541 §4.2: the size update "MUST occur at the
                // beginning of the first header block following the change
                // to the dynamic table size"; anywhere else it is an error.
                0x20..=0x3f => return Err(DecodeError::TableSizeUpdateNotAtStart),
            }
        }
        budget.exceeded.map_or(Ok(()), Err)
    }

    /// Applies the dynamic table size updates (RFC 7541 §6.3) that open a
    /// block, and checks one came if our settings required it.
    fn table_size_updates(&mut self, input: &mut &[u8]) -> Result<(), DecodeError> {
        let mut smallest: Option<usize> = None;
        while let Some(0x20..=0x3f) = input.first() {
            let requested = integer::decode(input, 5)?;
            // RFC 7541 §6.3: "The new maximum size MUST be lower than or
            // equal to the limit determined by the protocol using HPACK. A
            // value that exceeds this limit MUST be treated as a decoding
            // error."
            if requested > self.max_table_size {
                return Err(DecodeError::TableSizeUpdateTooLarge {
                    requested,
                    max: self.max_table_size,
                });
            }
            self.table.set_capacity(requested);
            smallest = Some(smallest.map_or(requested, |s| s.min(requested)));
        }
        if let Some(required) = self.required_update.take() {
            // RFC 7541 §4.2: "the smallest maximum table size that occurs
            // in that interval MUST be signaled in a dynamic table size
            // update."
            if smallest.is_none_or(|s| s > required) {
                return Err(DecodeError::TableSizeUpdateMissing { required });
            }
        }
        Ok(())
    }

    /// The entry at `index` in the combined index space (RFC 7541 §2.3.3).
    fn entry(&self, index: usize) -> Result<(&[u8], &[u8]), DecodeError> {
        let found = match index.checked_sub(static_table::LEN + 1) {
            None => static_table::entry(index),
            Some(position) => self.table.get(position),
        };
        // RFC 7541 §2.3.3: "Indices strictly greater than the sum of the
        // lengths of both tables MUST be treated as a decoding error." and
        // §6.1: "The index value of 0 is not used. It MUST be treated as a
        // decoding error".
        found.ok_or(DecodeError::InvalidIndex { index })
    }

    /// RFC 7541 §6.1: an indexed header field.
    fn indexed(
        &self,
        input: &mut &[u8],
        list: &mut HeaderList,
        budget: &mut Budget,
    ) -> Result<(), DecodeError> {
        let index = integer::decode(input, 7)?;
        let (name, value) = self.entry(index)?;
        // The size is known before copying: a block repeating a large entry
        // stops growing the list as soon as the limit is passed.
        if budget.admit(name.len(), value.len()) {
            list.push(name, value, false);
        }
        Ok(())
    }

    /// RFC 7541 §6.2: a literal header field, with an indexed or literal
    /// name.
    fn literal(
        &mut self,
        input: &mut &[u8],
        prefix_bits: u8,
        kind: Literal,
        list: &mut HeaderList,
        budget: &mut Budget,
    ) -> Result<(), DecodeError> {
        let max_string_len = self.limits.max_string_len;
        let name_index = integer::decode(input, prefix_bits)?;
        let mark = list.mark();
        if name_index == 0 {
            string::decode(input, max_string_len, list.bytes_mut())?;
        } else {
            let (name, _) = self.entry(name_index)?;
            list.bytes_mut().extend_from_slice(name);
        }
        let name_end = list.mark();
        string::decode(input, max_string_len, list.bytes_mut())?;
        let (name, value) = list.pending(mark, name_end);
        if kind == Literal::IncrementalIndexing {
            self.table.insert(name, value);
        }
        if budget.admit(name.len(), value.len()) {
            list.commit(mark, name_end, kind == Literal::NeverIndexed);
        } else {
            list.rollback(mark);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
