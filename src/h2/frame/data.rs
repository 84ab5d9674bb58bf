//! DATA (RFC 9113 §6.1): a stream's content octets, optionally padded.
//!
//! Owns the layout and the checks the frame alone allows: not on stream 0,
//! padding shorter than the payload. Whether the stream may receive DATA
//! (§5.1, STREAM_CLOSED) and flow control are the connection's; this file
//! only reports [`Data::flow_controlled_len`], which the connection must
//! count against both windows even when it then rejects the frame (§6.9).

use super::{
    Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame, split_pad_length,
    strip_padding,
};

/// A DATA frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Data<'a> {
    stream_id: StreamId,
    data: &'a [u8],
    end_stream: bool,
    pad_len: Option<u8>,
}

impl<'a> Data<'a> {
    /// DATA carrying `data` on `stream_id`, without END_STREAM or padding.
    pub fn new(stream_id: StreamId, data: &'a [u8]) -> Self {
        Self {
            stream_id,
            data,
            end_stream: false,
            pad_len: None,
        }
    }

    /// Sets END_STREAM: the last frame the sender sends on the stream.
    pub fn end_stream(mut self) -> Self {
        self.end_stream = true;
        self
    }

    /// Adds a Pad Length octet and `pad_len` zero octets of padding.
    pub fn padded(mut self, pad_len: u8) -> Self {
        self.pad_len = Some(pad_len);
        self
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        if header.stream_id().is_connection() {
            // RFC 9113 §6.1: "If a DATA frame is received whose Stream
            // Identifier field is 0x00, the recipient MUST respond with a
            // connection error (Section 5.4.1) of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "DATA frame on stream 0",
            ));
        }
        let (pad_len, rest) = split_pad_length(header, payload)?;
        let data = strip_padding(pad_len, rest)?;
        Ok(Self {
            stream_id: header.stream_id(),
            data,
            end_stream: header.flags().contains(Flags::END_STREAM),
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
            FrameType::DATA,
            Flags::EMPTY.with_if(Flags::END_STREAM, self.end_stream),
            self.stream_id,
            self.pad_len,
            &[self.data],
            out,
        );
    }

    /// The stream the data belongs to.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// The application data, padding removed.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Whether END_STREAM is set.
    pub fn is_end_stream(&self) -> bool {
        self.end_stream
    }

    /// The Pad Length, if the frame is PADDED.
    pub fn pad_len(&self) -> Option<u8> {
        self.pad_len
    }

    /// The octets this frame counts against the flow-control windows: the
    /// whole payload (§6.1: "The entire DATA frame payload is included in
    /// flow control, including the Pad Length and Padding fields if
    /// present."). Saturates at `u32::MAX`, which only a locally built
    /// frame too large to encode could reach.
    pub fn flow_controlled_len(&self) -> u32 {
        let padding = self.pad_len.map_or(0, |pad_len| 1 + u32::from(pad_len));
        u32::try_from(self.data.len())
            .unwrap_or(u32::MAX)
            .saturating_add(padding)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Frame, parse_frame};
    use super::*;

    fn round_trip(frame: Data<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        frame.encode(&mut out);
        let (parsed, used) = parse_frame(&out, 16_384).unwrap().unwrap();
        assert_eq!(parsed, Frame::Data(frame));
        assert_eq!(used, out.len());
        out
    }

    #[test]
    fn plain_data_encodes_header_then_octets() {
        let out = round_trip(Data::new(StreamId::new(1), b"hello").end_stream());
        assert_eq!(out, b"\0\0\x05\0\x01\0\0\0\x01hello");
    }

    #[test]
    fn padded_data_counts_pad_length_and_padding_against_flow_control() {
        let frame = Data::new(StreamId::new(3), b"abc").padded(4);
        let out = round_trip(frame);
        assert_eq!(out.len(), 9 + 1 + 3 + 4);
        assert_eq!(out.get(4), Some(&Flags::PADDED.bits()));
        assert_eq!(frame.flow_controlled_len(), 8);
    }

    #[test]
    fn zero_pad_length_adds_one_octet() {
        let frame = Data::new(StreamId::new(3), b"").padded(0);
        round_trip(frame);
        assert_eq!(frame.flow_controlled_len(), 1);
    }
}
