//! PRIORITY_UPDATE (RFC 9218 §7.1, type 0x10): a client's new priority
//! for a stream, sent on stream 0 as a Priority Field Value.
//!
//! Owns the layout and the checks the frame alone allows: stream 0,
//! room for the Prioritized Stream ID, and that ID not 0. The value is
//! borrowed as sent; [`PriorityUpdate::priority`] parses it with
//! [`Priority::parse`]. Buffering updates for idle streams and the
//! SETTINGS_MAX_CONCURRENT_STREAMS bound on them (§7.1) are the
//! connection's, as is the choice to treat an unparsable value as a
//! connection error (RFC 9218 §7: "Failure to parse the Priority Field
//! Value MAY be treated as a connection error.").

use super::{Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame, split_u32};
use crate::h2::Priority;

/// A PRIORITY_UPDATE frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriorityUpdate<'a> {
    prioritized_stream_id: StreamId,
    field_value: &'a [u8],
}

impl<'a> PriorityUpdate<'a> {
    /// PRIORITY_UPDATE giving `prioritized_stream_id` the priority in
    /// `field_value` (e.g. `b"u=1, i"`). Servers do not send this frame
    /// (RFC 9218 §7.1: "Servers MUST NOT send PRIORITY_UPDATE frames."); the
    /// encoder exists for tests and clients.
    pub fn new(prioritized_stream_id: StreamId, field_value: &'a [u8]) -> Self {
        Self {
            prioritized_stream_id,
            field_value,
        }
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        if !header.stream_id().is_connection() {
            // RFC 9218 §7.1: "Receiving a PRIORITY_UPDATE frame with a field
            // of any other value MUST be treated as a connection error of
            // type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "PRIORITY_UPDATE frame on a stream other than 0",
            ));
        }
        let Some((prioritized, field_value)) = split_u32(payload) else {
            // RFC 9113 §4.2: FRAME_SIZE_ERROR for a frame "too small to
            // contain mandatory frame data"; a connection error as it is on
            // stream 0.
            return Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "PRIORITY_UPDATE frame shorter than 4 octets",
            ));
        };
        let prioritized_stream_id = StreamId::new(prioritized);
        if prioritized_stream_id.is_connection() {
            // RFC 9218 §7.1: "If a PRIORITY_UPDATE frame is received with a
            // prioritized stream ID of 0x0, the recipient MUST respond with
            // a connection error of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "PRIORITY_UPDATE for stream 0",
            ));
        }
        Ok(Self {
            prioritized_stream_id,
            field_value,
        })
    }

    /// Appends the frame to `out`.
    ///
    /// # Panics
    ///
    /// If the value is over 2^24-5 octets (see [`FrameHeader::new`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            FrameType::PRIORITY_UPDATE,
            Flags::EMPTY,
            StreamId::CONNECTION,
            None,
            &[
                &self.prioritized_stream_id.value().to_be_bytes(),
                self.field_value,
            ],
            out,
        );
    }

    /// The stream whose priority changes.
    pub fn prioritized_stream_id(&self) -> StreamId {
        self.prioritized_stream_id
    }

    /// The Priority Field Value as sent (ASCII if the peer is correct).
    pub fn field_value(&self) -> &'a [u8] {
        self.field_value
    }

    /// The value parsed as a Structured Field dictionary; `None` if it is
    /// not one.
    pub fn priority(&self) -> Option<Priority> {
        Priority::parse(self.field_value)
    }
}
