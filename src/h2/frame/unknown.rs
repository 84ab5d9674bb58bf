//! Frames of a type this crate does not know (RFC 9113 §4.1, §5.5).
//!
//! They are parsed, with no check beyond the SETTINGS_MAX_FRAME_SIZE that
//! applies to every frame, so the connection can log and drop them: §4.1
//! says "Implementations MUST ignore and discard frames of unknown types."
//! The one exception, an unknown frame in the middle of a field block
//! (§5.5: "MUST be treated as a connection error (Section 5.4.1) of type
//! PROTOCOL_ERROR"), needs to know the previous frame and is the
//! connection's.

use super::{Flags, FrameHeader, FrameType, StreamId, encode_frame};

/// A frame of an unknown type, kept whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unknown<'a> {
    kind: FrameType,
    flags: Flags,
    stream_id: StreamId,
    payload: &'a [u8],
}

impl<'a> Unknown<'a> {
    /// A frame of type `kind` (meant to be one this crate does not know,
    /// e.g. to test a peer's tolerance).
    pub fn new(kind: FrameType, flags: Flags, stream_id: StreamId, payload: &'a [u8]) -> Self {
        Self {
            kind,
            flags,
            stream_id,
            payload,
        }
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Self {
        Self {
            kind: header.kind(),
            flags: header.flags(),
            stream_id: header.stream_id(),
            payload,
        }
    }

    /// Appends the frame to `out`.
    ///
    /// # Panics
    ///
    /// If the payload is over 2^24-1 octets (see [`FrameHeader::new`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            self.kind,
            self.flags,
            self.stream_id,
            None,
            &[self.payload],
            out,
        );
    }

    /// The frame type.
    pub fn kind(&self) -> FrameType {
        self.kind
    }

    /// The flags octet as sent.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// The stream identifier.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// The payload as sent.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}
