//! RST_STREAM (RFC 9113 §6.4): ends one stream immediately.
//!
//! Owns the layout and the checks the frame alone allows (length 4, not on
//! stream 0). Refusing RST_STREAM on an idle stream (§6.4, connection
//! PROTOCOL_ERROR) needs stream state and is the connection's, as is the
//! rule never to answer a RST_STREAM with one (§5.4.2).

use super::{Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame, split_u32};

/// A RST_STREAM frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RstStream {
    stream_id: StreamId,
    code: ErrorCode,
}

impl RstStream {
    /// RST_STREAM of `stream_id` with `code`.
    pub fn new(stream_id: StreamId, code: ErrorCode) -> Self {
        Self { stream_id, code }
    }

    pub(super) fn parse(header: &FrameHeader, payload: &[u8]) -> Result<Self, Error> {
        if header.stream_id().is_connection() {
            // RFC 9113 §6.4: "If a RST_STREAM frame is received with a
            // stream identifier of 0x00, the recipient MUST treat this as a
            // connection error (Section 5.4.1) of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "RST_STREAM frame on stream 0",
            ));
        }
        match split_u32(payload) {
            Some((code, [])) => Ok(Self {
                stream_id: header.stream_id(),
                code: ErrorCode::new(code),
            }),
            // RFC 9113 §6.4: "A RST_STREAM frame with a length other than 4
            // octets MUST be treated as a connection error (Section 5.4.1)
            // of type FRAME_SIZE_ERROR."
            _ => Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "RST_STREAM frame length is not 4",
            )),
        }
    }

    /// Appends the frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            FrameType::RST_STREAM,
            Flags::EMPTY,
            self.stream_id,
            None,
            &[&self.code.value().to_be_bytes()],
            out,
        );
    }

    /// The stream reset.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// Why, possibly a code this crate does not know.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}
