//! CONTINUATION (RFC 9113 §6.10): the next fragment of a field block
//! started by HEADERS or PUSH_PROMISE.
//!
//! Owns the layout and the stream-0 check. The sequencing rules — a
//! CONTINUATION only directly after a HEADERS, PUSH_PROMISE or
//! CONTINUATION on the same stream without END_HEADERS, and nothing else
//! in between — need to know the previous frame, so the connection enforces
//! them (§6.10, connection PROTOCOL_ERROR), along with a cap on the
//! reassembled block's size.

use super::{Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame};

/// A CONTINUATION frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Continuation<'a> {
    stream_id: StreamId,
    fragment: &'a [u8],
    end_headers: bool,
}

impl<'a> Continuation<'a> {
    /// CONTINUATION of `fragment` on `stream_id`, without END_HEADERS.
    pub fn new(stream_id: StreamId, fragment: &'a [u8]) -> Self {
        Self {
            stream_id,
            fragment,
            end_headers: false,
        }
    }

    /// Sets END_HEADERS: this fragment ends the block.
    pub fn end_headers(mut self) -> Self {
        self.end_headers = true;
        self
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        if header.stream_id().is_connection() {
            // RFC 9113 §6.10: "If a CONTINUATION frame is received with a
            // Stream Identifier field of 0x00, the recipient MUST respond
            // with a connection error (Section 5.4.1) of type
            // PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "CONTINUATION frame on stream 0",
            ));
        }
        Ok(Self {
            stream_id: header.stream_id(),
            fragment: payload,
            end_headers: header.flags().contains(Flags::END_HEADERS),
        })
    }

    /// Appends the frame to `out`.
    ///
    /// # Panics
    ///
    /// If the fragment is over 2^24-1 octets (see [`FrameHeader::new`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            FrameType::CONTINUATION,
            Flags::EMPTY.with_if(Flags::END_HEADERS, self.end_headers),
            self.stream_id,
            None,
            &[self.fragment],
            out,
        );
    }

    /// The stream whose block this continues.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// The field block fragment.
    pub fn fragment(&self) -> &'a [u8] {
        self.fragment
    }

    /// Whether END_HEADERS is set.
    pub fn is_end_headers(&self) -> bool {
        self.end_headers
    }
}
