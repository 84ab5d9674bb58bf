//! WINDOW_UPDATE (RFC 9113 §6.9): grants the sender more flow-control
//! window on one stream or on the whole connection.
//!
//! Owns the layout and its checks (length 4, increment not 0, with the
//! scope following the stream). Applying the increment and refusing a
//! window over 2^31-1 (FLOW_CONTROL_ERROR, §6.9.1) are the connection's.

use super::{Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame, split_u32};

/// The 31 bits of a window size increment; the top bit is reserved.
const INCREMENT_MASK: u32 = 0x7fff_ffff;

/// A WINDOW_UPDATE frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowUpdate {
    stream_id: StreamId,
    increment: u32,
}

impl WindowUpdate {
    /// WINDOW_UPDATE of `increment` for `stream_id` (0: the connection).
    /// Only the low 31 bits of `increment` are sent, and the caller must
    /// not send 0 (§6.9: "The legal range for the increment to the
    /// flow-control window is 1 to 2^31-1").
    pub fn new(stream_id: StreamId, increment: u32) -> Self {
        Self {
            stream_id,
            increment: increment & INCREMENT_MASK,
        }
    }

    pub(super) fn parse(header: &FrameHeader, payload: &[u8]) -> Result<Self, Error> {
        let stream_id = header.stream_id();
        let Some((word, [])) = split_u32(payload) else {
            // RFC 9113 §6.9: "A WINDOW_UPDATE frame with a length other than
            // 4 octets MUST be treated as a connection error (Section 5.4.1)
            // of type FRAME_SIZE_ERROR."
            return Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "WINDOW_UPDATE frame length is not 4",
            ));
        };
        // The reserved bit before the increment is ignored, like §4.1's.
        let increment = word & INCREMENT_MASK;
        if increment == 0 {
            // RFC 9113 §6.9: "A receiver MUST treat the receipt of a
            // WINDOW_UPDATE frame with a flow-control window increment of 0
            // as a stream error (Section 5.4.2) of type PROTOCOL_ERROR;
            // errors on the connection flow-control window MUST be treated
            // as a connection error (Section 5.4.1)."
            let reason = "WINDOW_UPDATE with an increment of 0";
            return Err(if stream_id.is_connection() {
                Error::connection(ErrorCode::PROTOCOL_ERROR, reason)
            } else {
                Error::stream(stream_id, ErrorCode::PROTOCOL_ERROR, reason)
            });
        }
        Ok(Self {
            stream_id,
            increment,
        })
    }

    /// Appends the frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            FrameType::WINDOW_UPDATE,
            Flags::EMPTY,
            self.stream_id,
            None,
            &[&self.increment.to_be_bytes()],
            out,
        );
    }

    /// The stream whose window grows, or 0 for the connection's.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// The window size increment, 1 to 2^31-1 when parsed.
    pub fn increment(&self) -> u32 {
        self.increment
    }
}
