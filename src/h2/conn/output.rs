//! What the connection has to write, and how the I/O layer takes it.
//!
//! Frames are encoded into the connection's `out` buffer, except the
//! payload of a DATA frame cut from a shared body (a cached file,
//! [`Connection::send_shared`]): only its 9-octet header is written to
//! `out`, and the payload is *spliced* in by reference, so a large body
//! goes from the cache to the socket without being copied here.
//!
//! The output is therefore `out[out_pos..]` with splices inserted at
//! recorded offsets. [`Connection::pending_output_vectored`] hands it out
//! as slices for `writev`; [`Connection::pending_output`] flattens it into
//! one slice (copying the spliced payloads, for callers that want
//! contiguous octets: tests, fuzz targets). Both are consumed with
//! [`Connection::consume_output`], which may stop anywhere, mid-frame or
//! mid-splice.
//!
//! Not here: what is framed when (`send.rs`, against the output
//! high-water marks: a larger one for frames that will be spliced).

use std::io::IoSlice;
use std::ops::Range;
use std::sync::Arc;

use super::{Connection, Phase};

/// Payloads shorter than this are copied into `out`: an extra iovec (and
/// an `Arc` count) costs more than copying a small body.
pub(super) const SPLICE_MIN: usize = 2048;

/// A payload written by reference: `data[range]` goes out just before
/// `out[at..]`.
#[derive(Debug)]
pub(super) struct Splice {
    at: usize,
    data: Arc<[u8]>,
    range: Range<usize>,
}

/// The spliced payloads of the unwritten output, in order of `at`.
#[derive(Debug, Default)]
pub(super) struct Splices {
    queue: std::collections::VecDeque<Splice>,
    /// Octets in `queue` not yet written.
    len: usize,
}

impl Splices {
    fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl Connection {
    /// Append `data[range]` to the output by reference (after everything
    /// already in `out`). An empty range adds nothing.
    pub(super) fn splice(&mut self, data: &Arc<[u8]>, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        self.spliced.len += range.len();
        self.spliced.queue.push_back(Splice {
            at: self.out.len(),
            data: Arc::clone(data),
            range,
        });
    }

    /// Octets framed and not yet written, spliced payloads included.
    pub(super) fn unwritten(&self) -> usize {
        self.out.len() - self.out_pos + self.spliced.len
    }

    /// Bytes to write now (control frames first, then DATA framed up to
    /// the output target), as one slice. Spliced payloads are copied in to
    /// make it contiguous; [`pending_output_vectored`] avoids that. Call
    /// [`consume_output`](Self::consume_output) with what was written.
    ///
    /// [`pending_output_vectored`]: Self::pending_output_vectored
    pub fn pending_output(&mut self) -> &[u8] {
        self.frame_pending();
        if !self.spliced.is_empty() {
            self.flatten();
        }
        &self.out[self.out_pos..]
    }

    /// Like [`pending_output`](Self::pending_output), without copying:
    /// fills `bufs` with the slices to write next, in order, and returns
    /// how many it filled (zero: nothing to write). If `bufs` is too short
    /// for all of it, the slices are a prefix of the output. Call
    /// [`consume_output`](Self::consume_output) with the octets written.
    pub fn pending_output_vectored<'a>(&'a mut self, bufs: &mut [IoSlice<'a>]) -> usize {
        self.frame_pending();
        let mut filled = 0;
        let mut from = self.out_pos;
        let mut slots = bufs.iter_mut();
        for s in &self.spliced.queue {
            if s.at > from {
                let Some(slot) = slots.next() else {
                    return filled;
                };
                *slot = IoSlice::new(self.out.get(from..s.at).unwrap_or_default());
                filled += 1;
            }
            let Some(slot) = slots.next() else {
                return filled;
            };
            *slot = IoSlice::new(s.data.get(s.range.clone()).unwrap_or_default());
            filled += 1;
            from = s.at;
        }
        if self.out.len() > from
            && let Some(slot) = slots.next()
        {
            *slot = IoSlice::new(self.out.get(from..).unwrap_or_default());
            filled += 1;
        }
        filled
    }

    /// `n` octets of the pending output were written.
    pub fn consume_output(&mut self, mut n: usize) {
        while n > 0 {
            let next_at = self.spliced.queue.front().map_or(self.out.len(), |s| s.at);
            let own = next_at - self.out_pos;
            if own > 0 {
                let k = n.min(own);
                self.out_pos += k;
                n -= k;
                continue;
            }
            let Some(s) = self.spliced.queue.front_mut() else {
                break; // more than was pending: all of it is written
            };
            let k = n.min(s.range.len());
            s.range.start += k;
            self.spliced.len -= k;
            n -= k;
            if s.range.is_empty() {
                self.spliced.queue.pop_front();
            }
        }
        if self.out_pos == self.out.len() && self.spliced.is_empty() {
            self.out.clear();
            self.out_pos = 0;
        } else if self.out_pos > self.out.len() / 2 {
            self.out.drain(..self.out_pos);
            for s in &mut self.spliced.queue {
                s.at -= self.out_pos;
            }
            self.out_pos = 0;
        }
    }

    /// Frame DATA up to the high-water mark, unless the connection failed.
    fn frame_pending(&mut self) {
        if self.phase != Phase::Failed {
            self.frame_data();
        }
    }

    /// Copy the spliced payloads into `out`, leaving one contiguous run.
    fn flatten(&mut self) {
        let mut flat = Vec::with_capacity(self.unwritten());
        let mut from = self.out_pos;
        for s in self.spliced.queue.drain(..) {
            flat.extend_from_slice(self.out.get(from..s.at).unwrap_or_default());
            flat.extend_from_slice(s.data.get(s.range).unwrap_or_default());
            from = s.at;
        }
        flat.extend_from_slice(self.out.get(from..).unwrap_or_default());
        self.spliced.len = 0;
        self.out = flat;
        self.out_pos = 0;
    }
}
