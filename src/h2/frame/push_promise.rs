//! PUSH_PROMISE (RFC 9113 §6.6): a server reserves a stream it will push,
//! with the first fragment of the promised request's field block.
//!
//! bicorn is a server, and a server never receives PUSH_PROMISE legally:
//! §8.4 says "A client cannot push. Thus, servers MUST treat the receipt of
//! a PUSH_PROMISE frame as a connection error (Section 5.4.1) of type
//! PROTOCOL_ERROR." The frame is still parsed in full here (its own checks
//! included), so that the layer is symmetric and the connection rejects it
//! with one rule in one place. Stream-state rules on the promised stream
//! are the connection's.

use super::{
    Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame, split_pad_length,
    split_u32, strip_padding,
};

/// A PUSH_PROMISE frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushPromise<'a> {
    stream_id: StreamId,
    promised_stream_id: StreamId,
    fragment: &'a [u8],
    end_headers: bool,
    pad_len: Option<u8>,
}

impl<'a> PushPromise<'a> {
    /// PUSH_PROMISE on `stream_id` reserving `promised_stream_id`, with no
    /// flag set.
    pub fn new(stream_id: StreamId, promised_stream_id: StreamId, fragment: &'a [u8]) -> Self {
        Self {
            stream_id,
            promised_stream_id,
            fragment,
            end_headers: false,
            pad_len: None,
        }
    }

    /// Sets END_HEADERS: the fragment is the whole block.
    pub fn end_headers(mut self) -> Self {
        self.end_headers = true;
        self
    }

    /// Adds a Pad Length octet and `pad_len` zero octets of padding.
    pub fn padded(mut self, pad_len: u8) -> Self {
        self.pad_len = Some(pad_len);
        self
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        if header.stream_id().is_connection() {
            // RFC 9113 §6.6: "If the Stream Identifier field specifies the
            // value 0x00, a recipient MUST respond with a connection error
            // (Section 5.4.1) of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "PUSH_PROMISE frame on stream 0",
            ));
        }
        let (pad_len, rest) = split_pad_length(header, payload)?;
        let Some((promised, rest)) = split_u32(rest) else {
            // RFC 9113 §4.2: FRAME_SIZE_ERROR for a frame "too small to
            // contain mandatory frame data", a connection error for a frame
            // carrying a field block.
            return Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "PUSH_PROMISE frame too short for its Promised Stream ID",
            ));
        };
        let fragment = strip_padding(pad_len, rest)?;
        Ok(Self {
            stream_id: header.stream_id(),
            promised_stream_id: StreamId::new(promised),
            fragment,
            end_headers: header.flags().contains(Flags::END_HEADERS),
            pad_len,
        })
    }

    /// Appends the frame to `out`.
    ///
    /// # Panics
    ///
    /// If the payload is over 2^24-1 octets (see [`FrameHeader::new`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(
            FrameType::PUSH_PROMISE,
            Flags::EMPTY.with_if(Flags::END_HEADERS, self.end_headers),
            self.stream_id,
            self.pad_len,
            &[
                &self.promised_stream_id.value().to_be_bytes(),
                self.fragment,
            ],
            out,
        );
    }

    /// The stream the promise is made on.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// The stream reserved for the push.
    pub fn promised_stream_id(&self) -> StreamId {
        self.promised_stream_id
    }

    /// The field block fragment, padding removed.
    pub fn fragment(&self) -> &'a [u8] {
        self.fragment
    }

    /// Whether END_HEADERS is set.
    pub fn is_end_headers(&self) -> bool {
        self.end_headers
    }

    /// The Pad Length, if the frame is PADDED.
    pub fn pad_len(&self) -> Option<u8> {
        self.pad_len
    }
}
