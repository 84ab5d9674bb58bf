//! The HTTP/2 layer's error vocabulary: the [`ErrorCode`] wire newtype
//! (RFC 9113 §7), the [`Error`] enum whose variants are the two scopes of
//! §5.4 (connection vs stream), and [`Error::to_frame`], the one function
//! that turns an error into the GOAWAY or RST_STREAM to send.
//!
//! This file owns only the vocabulary. The checks that raise each error
//! live next to the wire format they guard (`frame/*.rs`), and later in the
//! connection for everything that needs state. It does not write bytes to
//! any socket and does not decide when to close: the caller sends the
//! returned frame and, for a connection error, closes once it is flushed
//! (§5.4.1: "After sending the GOAWAY frame for an error condition, the
//! endpoint MUST close the TCP connection.").

use std::fmt;

use super::frame::{GoAway, RstStream, StreamId};

/// An HTTP/2 error code (RFC 9113 §7), as carried by RST_STREAM and
/// GOAWAY.
///
/// A newtype over the 32-bit wire value rather than an enum, so that codes
/// this crate does not know survive a parse/encode round trip (§7:
/// "Unknown or unsupported error codes MUST NOT trigger any special
/// behavior.").
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(u32);

impl ErrorCode {
    /// 0x00: not an error, e.g. a graceful GOAWAY.
    pub const NO_ERROR: Self = Self(0x00);
    /// 0x01: an unspecific protocol error.
    pub const PROTOCOL_ERROR: Self = Self(0x01);
    /// 0x02: the endpoint hit an unexpected internal error.
    pub const INTERNAL_ERROR: Self = Self(0x02);
    /// 0x03: the peer violated the flow-control protocol.
    pub const FLOW_CONTROL_ERROR: Self = Self(0x03);
    /// 0x04: a SETTINGS frame was not acknowledged in time.
    pub const SETTINGS_TIMEOUT: Self = Self(0x04);
    /// 0x05: a frame arrived after the stream was half-closed.
    pub const STREAM_CLOSED: Self = Self(0x05);
    /// 0x06: a frame had an invalid size.
    pub const FRAME_SIZE_ERROR: Self = Self(0x06);
    /// 0x07: the stream was refused before any processing.
    pub const REFUSED_STREAM: Self = Self(0x07);
    /// 0x08: the stream is no longer needed.
    pub const CANCEL: Self = Self(0x08);
    /// 0x09: the field compression context cannot be maintained.
    pub const COMPRESSION_ERROR: Self = Self(0x09);
    /// 0x0a: the tunnel of a CONNECT request was reset or closed.
    pub const CONNECT_ERROR: Self = Self(0x0a);
    /// 0x0b: the peer is generating excessive load.
    pub const ENHANCE_YOUR_CALM: Self = Self(0x0b);
    /// 0x0c: the transport does not meet minimum security requirements.
    pub const INADEQUATE_SECURITY: Self = Self(0x0c);
    /// 0x0d: the endpoint requires HTTP/1.1 instead.
    pub const HTTP_1_1_REQUIRED: Self = Self(0x0d);

    /// The code for a wire value, known or not.
    pub const fn new(value: u32) -> Self {
        Self(value)
    }

    /// The wire value.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// The RFC 9113 §7 name, or `None` for a code this crate does not know.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "NO_ERROR",
            0x01 => "PROTOCOL_ERROR",
            0x02 => "INTERNAL_ERROR",
            0x03 => "FLOW_CONTROL_ERROR",
            0x04 => "SETTINGS_TIMEOUT",
            0x05 => "STREAM_CLOSED",
            0x06 => "FRAME_SIZE_ERROR",
            0x07 => "REFUSED_STREAM",
            0x08 => "CANCEL",
            0x09 => "COMPRESSION_ERROR",
            0x0a => "CONNECT_ERROR",
            0x0b => "ENHANCE_YOUR_CALM",
            0x0c => "INADEQUATE_SECURITY",
            0x0d => "HTTP_1_1_REQUIRED",
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown error code {:#x}", self.0),
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "ErrorCode::{name}"),
            None => write!(f, "ErrorCode({:#x})", self.0),
        }
    }
}

/// A violation of RFC 9113 (or one of its extensions) by the peer, with
/// the scope of RFC 9113 §5.4 that decides how it is answered.
///
/// The `reason` says what happened in words an operator can read in a
/// debug log; it is a fixed string so that raising an error never
/// allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A connection error (§5.4.1): the frame layer or shared state
    /// (field compression, flow control, settings) can no longer be
    /// trusted. Answered with GOAWAY, then the connection is closed.
    Connection {
        /// The code to put in the GOAWAY.
        code: ErrorCode,
        /// What the peer did wrong.
        reason: &'static str,
    },
    /// A stream error (§5.4.2): only `stream` is affected. Answered with
    /// RST_STREAM; other streams carry on.
    Stream {
        /// The stream to reset.
        stream_id: StreamId,
        /// The code to put in the RST_STREAM.
        code: ErrorCode,
        /// What the peer did wrong.
        reason: &'static str,
    },
}

impl Error {
    /// A connection error with `code`.
    pub const fn connection(code: ErrorCode, reason: &'static str) -> Self {
        Self::Connection { code, reason }
    }

    /// A stream error on `stream_id` with `code`.
    pub const fn stream(stream_id: StreamId, code: ErrorCode, reason: &'static str) -> Self {
        Self::Stream {
            stream_id,
            code,
            reason,
        }
    }

    /// The error code to send.
    pub const fn code(&self) -> ErrorCode {
        match *self {
            Self::Connection { code, .. } | Self::Stream { code, .. } => code,
        }
    }

    /// What the peer did wrong.
    pub const fn reason(&self) -> &'static str {
        match *self {
            Self::Connection { reason, .. } | Self::Stream { reason, .. } => reason,
        }
    }

    /// Whether this error ends the whole connection.
    pub const fn is_connection_error(&self) -> bool {
        matches!(self, Self::Connection { .. })
    }

    /// The stream a stream error concerns; `None` for a connection error.
    pub const fn stream_id(&self) -> Option<StreamId> {
        match *self {
            Self::Connection { .. } => None,
            Self::Stream { stream_id, .. } => Some(stream_id),
        }
    }

    /// The frame that answers this error: the one place where an HTTP/2
    /// protocol error becomes bytes for the peer.
    ///
    /// `last_stream_id` is the highest peer-initiated stream this endpoint
    /// has processed or might still process; it goes in the GOAWAY of a
    /// connection error (§5.4.1: "An endpoint that encounters a connection
    /// error SHOULD first send a GOAWAY frame (Section 6.8) with the stream
    /// identifier of the last stream that it successfully received from
    /// its peer."). The reason is sent as the GOAWAY's debug data: it is
    /// a fixed string from this crate, so it leaks nothing about the
    /// process or other clients.
    ///
    /// Stream errors become RST_STREAM (§5.4.2). The caller must still
    /// honour §5.4.2's "MUST NOT send a RST_STREAM in response to a
    /// RST_STREAM frame", which needs to know what was received; the frame
    /// layer never raises a stream error for a RST_STREAM frame.
    pub fn to_frame(&self, last_stream_id: StreamId) -> ErrorFrame {
        match *self {
            Self::Connection { code, reason } => ErrorFrame::GoAway(
                GoAway::new(last_stream_id, code).with_debug_data(reason.as_bytes()),
            ),
            Self::Stream {
                stream_id, code, ..
            } => ErrorFrame::RstStream(RstStream::new(stream_id, code)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connection { code, reason } => {
                write!(f, "HTTP/2 connection error {code}: {reason}")
            }
            Self::Stream {
                stream_id,
                code,
                reason,
            } => write!(f, "HTTP/2 stream {stream_id} error {code}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// What [`Error::to_frame`] says to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFrame {
    /// End the connection (connection error).
    GoAway(GoAway<'static>),
    /// Reset one stream (stream error).
    RstStream(RstStream),
}

impl ErrorFrame {
    /// Appends the frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::GoAway(frame) => frame.encode(out),
            Self::RstStream(frame) => frame.encode(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_display_their_rfc_names() {
        assert_eq!(ErrorCode::PROTOCOL_ERROR.to_string(), "PROTOCOL_ERROR");
        assert_eq!(
            ErrorCode::HTTP_1_1_REQUIRED.to_string(),
            "HTTP_1_1_REQUIRED"
        );
        assert_eq!(ErrorCode::new(6), ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn unknown_codes_survive_and_display_in_hex() {
        let code = ErrorCode::new(0xdead_beef);
        assert_eq!(code.value(), 0xdead_beef);
        assert_eq!(code.name(), None);
        assert_eq!(code.to_string(), "unknown error code 0xdeadbeef");
        assert_eq!(format!("{code:?}"), "ErrorCode(0xdeadbeef)");
    }

    #[test]
    fn connection_error_becomes_goaway_with_last_stream_and_reason() {
        let error = Error::connection(ErrorCode::FRAME_SIZE_ERROR, "too big");
        let frame = error.to_frame(StreamId::new(7));
        let ErrorFrame::GoAway(goaway) = frame else {
            panic!("expected GOAWAY, got {frame:?}");
        };
        assert_eq!(goaway.last_stream_id(), StreamId::new(7));
        assert_eq!(goaway.code(), ErrorCode::FRAME_SIZE_ERROR);
        assert_eq!(goaway.debug_data(), b"too big");
        assert!(error.is_connection_error());
        assert_eq!(error.stream_id(), None);
    }

    #[test]
    fn stream_error_becomes_rst_stream_on_that_stream() {
        let error = Error::stream(StreamId::new(3), ErrorCode::PROTOCOL_ERROR, "x");
        assert_eq!(
            error.to_frame(StreamId::new(9)),
            ErrorFrame::RstStream(RstStream::new(StreamId::new(3), ErrorCode::PROTOCOL_ERROR))
        );
        assert_eq!(error.to_string(), "HTTP/2 stream 3 error PROTOCOL_ERROR: x");
    }
}
