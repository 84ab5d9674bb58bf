//! PING (RFC 9113 §6.7): 8 opaque octets, echoed back with ACK.
//!
//! Owns the layout and its checks (length 8, stream 0). Answering a PING
//! ([`Ping::ack`] builds the answer), not answering an ACK, and bounding
//! how many PINGs a peer may send are the connection's.

use super::{Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame};

/// A PING frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ping {
    ack: bool,
    opaque_data: [u8; 8],
}

impl Ping {
    /// A PING asking for an answer.
    pub fn new(opaque_data: [u8; 8]) -> Self {
        Self {
            ack: false,
            opaque_data,
        }
    }

    /// The answer to this PING: same data, ACK set (§6.7: "Receivers of a
    /// PING frame that does not include an ACK flag MUST send a PING frame
    /// with the ACK flag set in response, with an identical frame
    /// payload.").
    pub fn ack(self) -> Self {
        Self {
            ack: true,
            opaque_data: self.opaque_data,
        }
    }

    pub(super) fn parse(header: &FrameHeader, payload: &[u8]) -> Result<Self, Error> {
        if !header.stream_id().is_connection() {
            // RFC 9113 §6.7: "If a PING frame is received with a Stream
            // Identifier field value other than 0x00, the recipient MUST
            // respond with a connection error (Section 5.4.1) of type
            // PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "PING frame on a stream other than 0",
            ));
        }
        let Ok(opaque_data) = <[u8; 8]>::try_from(payload) else {
            // RFC 9113 §6.7: "Receipt of a PING frame with a length field
            // value other than 8 MUST be treated as a connection error
            // (Section 5.4.1) of type FRAME_SIZE_ERROR."
            return Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "PING frame length is not 8",
            ));
        };
        Ok(Self {
            ack: header.flags().contains(Flags::ACK),
            opaque_data,
        })
    }

    /// Appends the frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            FrameType::PING,
            Flags::EMPTY.with_if(Flags::ACK, self.ack),
            StreamId::CONNECTION,
            None,
            &[&self.opaque_data],
            out,
        );
    }

    /// Whether this is an answer (ACK set).
    pub fn is_ack(&self) -> bool {
        self.ack
    }

    /// The 8 opaque octets.
    pub fn opaque_data(&self) -> [u8; 8] {
        self.opaque_data
    }
}
