//! `HeaderField` (one decoded or to-be-encoded field) and `HeaderList`
//! (a reusable buffer holding a whole decoded block).
//!
//! A `HeaderList` keeps every name and value in one byte buffer and the
//! fields as offsets into it, so decoding a block into a list that is
//! reused from block to block allocates nothing once it has grown. It does
//! not interpret fields (pseudo-headers, validity of names): that is the
//! HTTP/2 layer's job.

use std::fmt;

/// One header field, borrowed.
///
/// `never_indexed` is the "literal never indexed" flag (RFC 7541 §6.2.3).
/// The decoder sets it from the wire, so an intermediary can keep it when
/// it re-encodes; the encoder treats it as "sensitive: never put this in a
/// table" (RFC 7541 §7.1.3).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HeaderField<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
    pub never_indexed: bool,
}

impl<'a> HeaderField<'a> {
    /// A field that may be indexed.
    pub fn new(name: &'a [u8], value: &'a [u8]) -> Self {
        Self {
            name,
            value,
            never_indexed: false,
        }
    }

    /// A sensitive field, sent as "literal never indexed".
    pub fn sensitive(name: &'a [u8], value: &'a [u8]) -> Self {
        Self {
            name,
            value,
            never_indexed: true,
        }
    }
}

impl fmt::Debug for HeaderField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}{}",
            self.name.escape_ascii(),
            self.value.escape_ascii(),
            if self.never_indexed {
                " (never indexed)"
            } else {
                ""
            }
        )
    }
}

/// Offsets of one field in [`HeaderList::bytes`]: the name is
/// `start..name_end`, the value `name_end..end`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    name_end: usize,
    end: usize,
    never_indexed: bool,
}

/// A decoded header list, in wire order. Reuse one across blocks.
#[derive(Debug, Default, Clone)]
pub struct HeaderList {
    bytes: Vec<u8>,
    spans: Vec<Span>,
}

impl HeaderList {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Removes every field, keeping the allocations.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
    }

    /// The field at `position`, if there is one.
    pub fn get(&self, position: usize) -> Option<HeaderField<'_>> {
        self.spans.get(position).map(|span| self.field(span))
    }

    /// The fields in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            list: self,
            spans: self.spans.iter(),
        }
    }

    fn field(&self, span: &Span) -> HeaderField<'_> {
        HeaderField {
            name: self
                .bytes
                .get(span.start..span.name_end)
                .unwrap_or_default(),
            value: self.bytes.get(span.name_end..span.end).unwrap_or_default(),
            never_indexed: span.never_indexed,
        }
    }

    /// How many octets the buffer can hold before it reallocates.
    #[cfg(test)]
    pub(crate) fn capacity_octets(&self) -> usize {
        self.bytes.capacity()
    }

    /// Where the next field's octets will start; pass it to
    /// [`commit`](Self::commit) or [`rollback`](Self::rollback).
    pub(crate) fn mark(&self) -> usize {
        self.bytes.len()
    }

    /// The buffer the decoder appends names and values to.
    pub(crate) fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// The octets appended since `mark`, split at `name_end`.
    pub(crate) fn pending(&self, mark: usize, name_end: usize) -> (&[u8], &[u8]) {
        let pending = self.bytes.get(mark..).unwrap_or_default();
        pending.split_at(name_end.saturating_sub(mark).min(pending.len()))
    }

    /// Turns the octets appended since `mark` into a field.
    pub(crate) fn commit(&mut self, mark: usize, name_end: usize, never_indexed: bool) {
        self.spans.push(Span {
            start: mark,
            name_end,
            end: self.bytes.len(),
            never_indexed,
        });
    }

    /// Drops the octets appended since `mark`.
    pub(crate) fn rollback(&mut self, mark: usize) {
        self.bytes.truncate(mark);
    }

    /// Appends a whole field.
    pub(crate) fn push(&mut self, name: &[u8], value: &[u8], never_indexed: bool) {
        let mark = self.mark();
        self.bytes.extend_from_slice(name);
        let name_end = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.commit(mark, name_end, never_indexed);
    }
}

impl<'a> IntoIterator for &'a HeaderList {
    type Item = HeaderField<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over a [`HeaderList`]'s fields, in order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    list: &'a HeaderList,
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = HeaderField<'a>;

    fn next(&mut self) -> Option<HeaderField<'a>> {
        self.spans.next().map(|span| self.list.field(span))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}
