//! HEADERS (RFC 9113 §6.2): opens a stream or carries trailers, with the
//! first fragment of a field block; and [`encode_header_block`], which
//! splits a whole block into HEADERS + CONTINUATION for sending.
//!
//! Owns the layout (Pad Length, the deprecated priority fields, the
//! fragment, padding) and the checks the frame alone allows. Does not own
//! reassembly of the block from CONTINUATION frames (§4.3), HPACK, or the
//! stream state a HEADERS frame may arrive in (§5.1): the connection's.
//!
//! Self-dependency (RFC 7540 §5.3.1) is a stream error, but a HEADERS frame
//! carries a field block that must still be decoded to keep the HPACK state
//! in step (§4.3). Parsing therefore succeeds and reports it through
//! [`Headers::depends_on_itself`]; the connection decodes the block, then
//! resets the stream.

use super::{
    DEFAULT_MAX_FRAME_SIZE, Error, ErrorCode, Flags, FrameHeader, FrameType, MAX_MAX_FRAME_SIZE,
    StreamDependency, StreamId, encode_frame, split_pad_length, strip_padding,
};
use crate::h2::frame::Continuation;

/// A HEADERS frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headers<'a> {
    stream_id: StreamId,
    fragment: &'a [u8],
    end_stream: bool,
    end_headers: bool,
    dependency: Option<StreamDependency>,
    pad_len: Option<u8>,
}

impl<'a> Headers<'a> {
    /// HEADERS on `stream_id` carrying `fragment`, with no flag set.
    pub fn new(stream_id: StreamId, fragment: &'a [u8]) -> Self {
        Self {
            stream_id,
            fragment,
            end_stream: false,
            end_headers: false,
            dependency: None,
            pad_len: None,
        }
    }

    /// Sets END_STREAM: no DATA follows this field block.
    pub fn end_stream(mut self) -> Self {
        self.end_stream = true;
        self
    }

    /// Sets END_HEADERS: the fragment is the whole block.
    pub fn end_headers(mut self) -> Self {
        self.end_headers = true;
        self
    }

    /// Sets PRIORITY and its fields.
    pub fn with_dependency(mut self, dependency: StreamDependency) -> Self {
        self.dependency = Some(dependency);
        self
    }

    /// Adds a Pad Length octet and `pad_len` zero octets of padding.
    pub fn padded(mut self, pad_len: u8) -> Self {
        self.pad_len = Some(pad_len);
        self
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        if header.stream_id().is_connection() {
            // RFC 9113 §6.2: "If a HEADERS frame is received whose Stream
            // Identifier field is 0x00, the recipient MUST respond with a
            // connection error (Section 5.4.1) of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "HEADERS frame on stream 0",
            ));
        }
        let flags = header.flags();
        let (pad_len, rest) = split_pad_length(header, payload)?;
        let (dependency, rest) = if flags.contains(Flags::PRIORITY) {
            match StreamDependency::split(rest) {
                Some((dependency, rest)) => (Some(dependency), rest),
                // RFC 9113 §4.2: FRAME_SIZE_ERROR for a frame "too small to
                // contain mandatory frame data", and "any frame carrying a
                // field block" makes it a connection error.
                None => {
                    return Err(Error::connection(
                        ErrorCode::FRAME_SIZE_ERROR,
                        "HEADERS frame too short for its priority fields",
                    ));
                }
            }
        } else {
            (None, rest)
        };
        let fragment = strip_padding(pad_len, rest)?;
        Ok(Self {
            stream_id: header.stream_id(),
            fragment,
            end_stream: flags.contains(Flags::END_STREAM),
            end_headers: flags.contains(Flags::END_HEADERS),
            dependency,
            pad_len,
        })
    }

    /// Appends the frame to `out`.
    ///
    /// # Panics
    ///
    /// If the payload is over 2^24-1 octets (see [`FrameHeader::new`]);
    /// use [`encode_header_block`] to split a large block.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let flags = Flags::EMPTY
            .with_if(Flags::END_STREAM, self.end_stream)
            .with_if(Flags::END_HEADERS, self.end_headers)
            .with_if(Flags::PRIORITY, self.dependency.is_some());
        let fields = self.dependency.map(StreamDependency::to_bytes);
        let fields: &[u8] = match &fields {
            Some(fields) => fields,
            None => &[],
        };
        encode_frame(
            FrameType::HEADERS,
            flags,
            self.stream_id,
            self.pad_len,
            &[fields, self.fragment],
            out,
        );
    }

    /// The stream opened or continued.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// The field block fragment, padding and priority fields removed.
    pub fn fragment(&self) -> &'a [u8] {
        self.fragment
    }

    /// Whether END_STREAM is set.
    pub fn is_end_stream(&self) -> bool {
        self.end_stream
    }

    /// Whether END_HEADERS is set (no CONTINUATION follows).
    pub fn is_end_headers(&self) -> bool {
        self.end_headers
    }

    /// The priority fields, if the PRIORITY flag is set.
    pub fn dependency(&self) -> Option<StreamDependency> {
        self.dependency
    }

    /// The Pad Length, if the frame is PADDED.
    pub fn pad_len(&self) -> Option<u8> {
        self.pad_len
    }

    /// Whether the priority fields make the stream depend on itself, which
    /// RFC 7540 §5.3.1 makes a stream PROTOCOL_ERROR once the field block
    /// has been decoded (see the module documentation).
    pub fn depends_on_itself(&self) -> bool {
        self.dependency
            .is_some_and(|dependency| dependency.dependency() == self.stream_id)
    }
}

/// Appends a whole field block as one HEADERS frame followed by as many
/// CONTINUATION frames as it takes for no payload to exceed
/// `max_frame_size`, the peer's SETTINGS_MAX_FRAME_SIZE (clamped into its
/// legal range, 2^14..=2^24-1). END_HEADERS is set on the last frame, and
/// END_STREAM (if asked) on the HEADERS frame, where RFC 9113 §6.2 puts it.
///
/// The frames must go out back to back: §6.2 says a HEADERS frame without
/// END_HEADERS "MUST be followed by a CONTINUATION frame for the same
/// stream", so the caller must not interleave another frame.
pub fn encode_header_block(
    stream_id: StreamId,
    block: &[u8],
    end_stream: bool,
    max_frame_size: u32,
    out: &mut Vec<u8>,
) {
    let max = max_frame_size.clamp(DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE);
    // At most 2^24-1: fits usize on every target this crate builds for.
    let max = max as usize;
    let (first, mut rest) = block.split_at(block.len().min(max));
    let mut headers = Headers::new(stream_id, first);
    if end_stream {
        headers = headers.end_stream();
    }
    if rest.is_empty() {
        headers = headers.end_headers();
    }
    headers.encode(out);
    while !rest.is_empty() {
        let (fragment, tail) = rest.split_at(rest.len().min(max));
        let continuation = Continuation::new(stream_id, fragment);
        let continuation = if tail.is_empty() {
            continuation.end_headers()
        } else {
            continuation
        };
        continuation.encode(out);
        rest = tail;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Frame, parse_frame};
    use super::*;

    fn round_trip(frame: Headers<'_>) {
        let mut out = Vec::new();
        frame.encode(&mut out);
        let (parsed, used) = parse_frame(&out, 16_384).unwrap().unwrap();
        assert_eq!(parsed, Frame::Headers(frame));
        assert_eq!(used, out.len());
    }

    #[test]
    fn headers_with_every_field_round_trips() {
        let dependency = StreamDependency::new(StreamId::new(1), true, 42);
        round_trip(
            Headers::new(StreamId::new(3), b"\x82\x86")
                .end_stream()
                .end_headers()
                .with_dependency(dependency)
                .padded(7),
        );
        round_trip(Headers::new(StreamId::new(5), b""));
    }

    #[test]
    fn priority_flag_fields_come_after_the_pad_length() {
        let dependency = StreamDependency::new(StreamId::new(1), true, 256);
        let mut out = Vec::new();
        Headers::new(StreamId::new(3), b"F")
            .with_dependency(dependency)
            .padded(1)
            .encode(&mut out);
        assert_eq!(
            out,
            [0, 0, 8, 1, 0x28, 0, 0, 0, 3, 1, 0x80, 0, 0, 1, 255, b'F', 0]
        );
    }

    #[test]
    fn self_dependency_parses_and_is_reported() {
        let dependency = StreamDependency::new(StreamId::new(3), false, 16);
        let frame = Headers::new(StreamId::new(3), b"").with_dependency(dependency);
        assert!(frame.depends_on_itself());
        round_trip(frame);
        assert!(!Headers::new(StreamId::new(3), b"").depends_on_itself());
    }
}
