//! GOAWAY (RFC 9113 §6.8): the sender stops accepting streams above a
//! last stream identifier, with an error code and optional debug data.
//!
//! Owns the layout and its checks (stream 0, at least 8 octets). What to do
//! on receipt, and never raising the last stream identifier across GOAWAYs
//! we send, are the connection's. Debug data is borrowed as is; §6.8 warns
//! it "could contain security- or privacy-sensitive data", so log it at
//! debug level at most.

use super::{Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame, split_u32};

/// A GOAWAY frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoAway<'a> {
    last_stream_id: StreamId,
    code: ErrorCode,
    debug_data: &'a [u8],
}

impl<'a> GoAway<'a> {
    /// GOAWAY with `last_stream_id` and `code`, without debug data.
    pub fn new(last_stream_id: StreamId, code: ErrorCode) -> Self {
        Self {
            last_stream_id,
            code,
            debug_data: &[],
        }
    }

    /// Appends opaque `debug_data` for the peer's diagnostics.
    pub fn with_debug_data(mut self, debug_data: &'a [u8]) -> Self {
        self.debug_data = debug_data;
        self
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        if !header.stream_id().is_connection() {
            // RFC 9113 §6.8: "An endpoint MUST treat a GOAWAY frame with a
            // stream identifier other than 0x00 as a connection error
            // (Section 5.4.1) of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "GOAWAY frame on a stream other than 0",
            ));
        }
        let fields = split_u32(payload)
            .and_then(|(last, rest)| split_u32(rest).map(|(code, rest)| (last, code, rest)));
        let Some((last_stream_id, code, debug_data)) = fields else {
            // RFC 9113 §4.2: FRAME_SIZE_ERROR for a frame "too small to
            // contain mandatory frame data"; a connection error as it is on
            // stream 0.
            return Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "GOAWAY frame shorter than 8 octets",
            ));
        };
        Ok(Self {
            // The Last-Stream-ID's reserved bit is ignored like the header's.
            last_stream_id: StreamId::new(last_stream_id),
            code: ErrorCode::new(code),
            debug_data,
        })
    }

    /// Appends the frame to `out`.
    ///
    /// # Panics
    ///
    /// If the debug data is over 2^24-9 octets (see [`FrameHeader::new`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            FrameType::GOAWAY,
            Flags::EMPTY,
            StreamId::CONNECTION,
            None,
            &[
                &self.last_stream_id.value().to_be_bytes(),
                &self.code.value().to_be_bytes(),
                self.debug_data,
            ],
            out,
        );
    }

    /// The highest stream the sender might have acted on.
    pub fn last_stream_id(&self) -> StreamId {
        self.last_stream_id
    }

    /// Why the connection is going away, possibly a code this crate does
    /// not know.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The opaque debug data (may be empty).
    pub fn debug_data(&self) -> &'a [u8] {
        self.debug_data
    }
}
