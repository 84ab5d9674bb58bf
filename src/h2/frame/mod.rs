//! HTTP/2 frames (RFC 9113 §4 and §6, RFC 9218 §7.1): the 9-octet frame
//! header, one file per frame type, a deframer and encoders.
//!
//! Owns the wire layout of every frame and every check that needs only the
//! frame itself: payload length, whether the stream identifier may be 0,
//! padding, setting values. Each failure is an [`Error`] with the code and
//! scope (connection or stream) that RFC 9113 §4–§6 give it, and the RFC
//! sentence quoted where it is enforced.
//!
//! Does not own anything that needs connection state: stream states
//! (§5.1), CONTINUATION sequencing and frames interleaved in a field block
//! (§4.3, §5.5, §6.10), flow-control windows (§6.9), whether a PUSH_PROMISE
//! may be received at all (a server never may: §8.4), SETTINGS ACK
//! bookkeeping, or HPACK. Those belong to the connection, which drives
//! this module.
//!
//! Reading: [`parse_frame`] takes the bytes read so far and returns a
//! [`Frame`] that borrows its payload from them (no allocation), with the
//! number of octets it used, or `Ok(None)` when more bytes are needed. A
//! connection that wants to skip a frame after a stream error uses the two
//! steps it is made of: [`FrameHeader::parse`] (which gives
//! [`FrameHeader::frame_len`]) and [`Frame::parse`].
//!
//! Writing: every frame struct has a constructor, builder methods and an
//! `encode` that appends the whole frame to a `Vec<u8>`;
//! [`encode_header_block`] splits a field block into HEADERS and
//! CONTINUATION frames. Encoders trust their caller: a payload over
//! 2^24-1 octets is a bug in this process, not peer input, and panics.
//!
//! Files: one per frame type (`data.rs` … `priority_update.rs`,
//! `unknown.rs`); this file has the header, the shared newtypes and the
//! padding helpers.

mod continuation;
mod data;
mod goaway;
mod headers;
mod ping;
mod priority;
mod priority_update;
mod push_promise;
mod rst_stream;
mod settings;
mod unknown;
mod window_update;

#[cfg(test)]
mod tests;

use std::fmt;

pub use continuation::Continuation;
pub use data::Data;
pub use goaway::GoAway;
pub use headers::{Headers, encode_header_block};
pub use ping::Ping;
pub use priority::{PriorityFrame, StreamDependency};
pub use priority_update::PriorityUpdate;
pub use push_promise::PushPromise;
pub use rst_stream::RstStream;
pub use settings::{MAX_WINDOW_SIZE, SettingId, Settings, SettingsFrame, SettingsIter};
pub use unknown::Unknown;
pub use window_update::WindowUpdate;

use super::{Error, ErrorCode};

/// Octets in a frame header (RFC 9113 §4.1).
pub const FRAME_HEADER_LEN: usize = 9;

/// SETTINGS_MAX_FRAME_SIZE before any SETTINGS frame, and its lowest legal
/// value (RFC 9113 §6.5.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 1 << 14;

/// The highest legal SETTINGS_MAX_FRAME_SIZE, the largest 24-bit length
/// (RFC 9113 §6.5.2).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// The 31 bits of a stream identifier; the top bit is the reserved bit.
const STREAM_ID_MASK: u32 = 0x7fff_ffff;

/// A stream identifier (RFC 9113 §5.1.1): 31 bits, 0 meaning the
/// connection itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(u32);

impl StreamId {
    /// Stream 0: frames about the connection as a whole.
    pub const CONNECTION: Self = Self(0);
    /// The highest stream identifier, 2^31-1.
    pub const MAX: Self = Self(STREAM_ID_MASK);

    /// The identifier in the low 31 bits of `value`; the top bit (the
    /// reserved bit of the wire format) is dropped.
    pub const fn new(value: u32) -> Self {
        Self(value & STREAM_ID_MASK)
    }

    /// The identifier as a number, at most 2^31-1.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// Whether this is stream 0, the connection.
    pub const fn is_connection(self) -> bool {
        self.0 == 0
    }

    /// Whether a client opens this stream (odd identifiers, §5.1.1).
    pub const fn is_client_initiated(self) -> bool {
        self.0 % 2 == 1
    }

    /// Whether a server opens this stream (even, non-zero identifiers).
    pub const fn is_server_initiated(self) -> bool {
        self.0 != 0 && self.0.is_multiple_of(2)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A frame type code (RFC 9113 §4.1, §11.2). A newtype so that unknown
/// types survive: they parse as [`Frame::Unknown`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameType(u8);

impl FrameType {
    /// 0x00, §6.1.
    pub const DATA: Self = Self(0x00);
    /// 0x01, §6.2.
    pub const HEADERS: Self = Self(0x01);
    /// 0x02, §6.3.
    pub const PRIORITY: Self = Self(0x02);
    /// 0x03, §6.4.
    pub const RST_STREAM: Self = Self(0x03);
    /// 0x04, §6.5.
    pub const SETTINGS: Self = Self(0x04);
    /// 0x05, §6.6.
    pub const PUSH_PROMISE: Self = Self(0x05);
    /// 0x06, §6.7.
    pub const PING: Self = Self(0x06);
    /// 0x07, §6.8.
    pub const GOAWAY: Self = Self(0x07);
    /// 0x08, §6.9.
    pub const WINDOW_UPDATE: Self = Self(0x08);
    /// 0x09, §6.10.
    pub const CONTINUATION: Self = Self(0x09);
    /// 0x10, RFC 9218 §7.1.
    pub const PRIORITY_UPDATE: Self = Self(0x10);

    /// The type for a wire value, known or not.
    pub const fn new(value: u8) -> Self {
        Self(value)
    }

    /// The wire value.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// The RFC name, or `None` for a type this crate does not know.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "DATA",
            0x01 => "HEADERS",
            0x02 => "PRIORITY",
            0x03 => "RST_STREAM",
            0x04 => "SETTINGS",
            0x05 => "PUSH_PROMISE",
            0x06 => "PING",
            0x07 => "GOAWAY",
            0x08 => "WINDOW_UPDATE",
            0x09 => "CONTINUATION",
            0x10 => "PRIORITY_UPDATE",
            _ => return None,
        })
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown frame type {:#04x}", self.0),
        }
    }
}

impl fmt::Debug for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "FrameType::{name}"),
            None => write!(f, "FrameType({:#04x})", self.0),
        }
    }
}

/// The flags octet of a frame header. Which bits mean something depends
/// on the frame type; the rest are unused and ignored on receipt (§4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// No flag set.
    pub const EMPTY: Self = Self(0);
    /// 0x01 on DATA and HEADERS.
    pub const END_STREAM: Self = Self(0x01);
    /// 0x01 on SETTINGS and PING.
    pub const ACK: Self = Self(0x01);
    /// 0x04 on HEADERS, PUSH_PROMISE and CONTINUATION.
    pub const END_HEADERS: Self = Self(0x04);
    /// 0x08 on DATA, HEADERS and PUSH_PROMISE.
    pub const PADDED: Self = Self(0x08);
    /// 0x20 on HEADERS.
    pub const PRIORITY: Self = Self(0x20);

    /// The flags of a wire octet.
    pub const fn new(bits: u8) -> Self {
        Self(bits)
    }

    /// The wire octet.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags plus `other` when `on`, unchanged otherwise.
    pub const fn with_if(self, other: Self, on: bool) -> Self {
        if on { Self(self.0 | other.0) } else { self }
    }
}

impl std::ops::BitOr for Flags {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// The 9-octet header that starts every frame (RFC 9113 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    length: u32,
    kind: FrameType,
    flags: Flags,
    stream_id: StreamId,
}

impl FrameHeader {
    /// A header for a payload of `length` octets.
    ///
    /// # Panics
    ///
    /// If `length` is over 2^24-1: the caller built a frame no peer may
    /// receive, which is a bug in this process.
    pub fn new(kind: FrameType, flags: Flags, stream_id: StreamId, length: usize) -> Self {
        let length = u32::try_from(length)
            .ok()
            .filter(|&length| length <= MAX_MAX_FRAME_SIZE);
        let Some(length) = length else {
            panic!("HTTP/2 frame payload over 2^24-1 octets")
        };
        Self {
            length,
            kind,
            flags,
            stream_id,
        }
    }

    /// The header at the start of `buf`, or `None` if fewer than 9 octets
    /// have arrived. Any 9 octets are a valid header; what the length,
    /// flags and stream identifier may be is up to the frame type and
    /// [`parse_frame`].
    pub fn parse(buf: &[u8]) -> Option<Self> {
        let (octets, _) = buf.split_first_chunk::<FRAME_HEADER_LEN>()?;
        let [l0, l1, l2, kind, flags, s0, s1, s2, s3] = *octets;
        Some(Self {
            length: u32::from_be_bytes([0, l0, l1, l2]),
            kind: FrameType(kind),
            flags: Flags(flags),
            // RFC 9113 §4.1: the reserved bit "MUST remain unset (0x00) when
            // sending and MUST be ignored when receiving" (`new` drops it).
            stream_id: StreamId::new(u32::from_be_bytes([s0, s1, s2, s3])),
        })
    }

    /// Appends the 9 octets to `out`, with the reserved bit unset.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let [_, l0, l1, l2] = self.length.to_be_bytes();
        let [s0, s1, s2, s3] = self.stream_id.value().to_be_bytes();
        out.extend_from_slice(&[l0, l1, l2, self.kind.0, self.flags.0, s0, s1, s2, s3]);
    }

    /// The payload length, header excluded.
    pub const fn length(&self) -> u32 {
        self.length
    }

    /// The frame type.
    pub const fn kind(&self) -> FrameType {
        self.kind
    }

    /// The flags octet, unused bits included.
    pub const fn flags(&self) -> Flags {
        self.flags
    }

    /// The stream identifier, reserved bit dropped.
    pub const fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// Octets of the whole frame: header plus payload.
    pub const fn frame_len(&self) -> usize {
        // At most 9 + 2^24-1: no overflow on any target with usize ≥ 32 bits.
        FRAME_HEADER_LEN + self.length as usize
    }
}

/// One frame, borrowing its payload from the buffer it was parsed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// DATA, §6.1.
    Data(Data<'a>),
    /// HEADERS, §6.2.
    Headers(Headers<'a>),
    /// PRIORITY, §6.3 (deprecated, still parsed).
    Priority(PriorityFrame),
    /// RST_STREAM, §6.4.
    RstStream(RstStream),
    /// SETTINGS, §6.5.
    Settings(SettingsFrame<'a>),
    /// PUSH_PROMISE, §6.6; a server must reject it (see [`PushPromise`]).
    PushPromise(PushPromise<'a>),
    /// PING, §6.7.
    Ping(Ping),
    /// GOAWAY, §6.8.
    GoAway(GoAway<'a>),
    /// WINDOW_UPDATE, §6.9.
    WindowUpdate(WindowUpdate),
    /// CONTINUATION, §6.10.
    Continuation(Continuation<'a>),
    /// PRIORITY_UPDATE, RFC 9218 §7.1.
    PriorityUpdate(PriorityUpdate<'a>),
    /// A type this crate does not know; to be ignored (see [`Unknown`]).
    Unknown(Unknown<'a>),
}

impl<'a> Frame<'a> {
    /// Parses the payload of a frame whose header is `header`. `payload`
    /// must be the whole payload, `header.length()` octets; the size limit
    /// of SETTINGS_MAX_FRAME_SIZE is [`parse_frame`]'s to check.
    pub fn parse(header: FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        Ok(match header.kind {
            FrameType::DATA => Self::Data(Data::parse(&header, payload)?),
            FrameType::HEADERS => Self::Headers(Headers::parse(&header, payload)?),
            FrameType::PRIORITY => Self::Priority(PriorityFrame::parse(&header, payload)?),
            FrameType::RST_STREAM => Self::RstStream(RstStream::parse(&header, payload)?),
            FrameType::SETTINGS => Self::Settings(SettingsFrame::parse(&header, payload)?),
            FrameType::PUSH_PROMISE => Self::PushPromise(PushPromise::parse(&header, payload)?),
            FrameType::PING => Self::Ping(Ping::parse(&header, payload)?),
            FrameType::GOAWAY => Self::GoAway(GoAway::parse(&header, payload)?),
            FrameType::WINDOW_UPDATE => Self::WindowUpdate(WindowUpdate::parse(&header, payload)?),
            FrameType::CONTINUATION => Self::Continuation(Continuation::parse(&header, payload)?),
            FrameType::PRIORITY_UPDATE => {
                Self::PriorityUpdate(PriorityUpdate::parse(&header, payload)?)
            }
            _ => Self::Unknown(Unknown::parse(&header, payload)),
        })
    }

    /// The frame type.
    pub fn kind(&self) -> FrameType {
        match self {
            Self::Data(_) => FrameType::DATA,
            Self::Headers(_) => FrameType::HEADERS,
            Self::Priority(_) => FrameType::PRIORITY,
            Self::RstStream(_) => FrameType::RST_STREAM,
            Self::Settings(_) => FrameType::SETTINGS,
            Self::PushPromise(_) => FrameType::PUSH_PROMISE,
            Self::Ping(_) => FrameType::PING,
            Self::GoAway(_) => FrameType::GOAWAY,
            Self::WindowUpdate(_) => FrameType::WINDOW_UPDATE,
            Self::Continuation(_) => FrameType::CONTINUATION,
            Self::PriorityUpdate(_) => FrameType::PRIORITY_UPDATE,
            Self::Unknown(frame) => frame.kind(),
        }
    }

    /// The stream identifier of the frame header (0 for connection frames).
    pub fn stream_id(&self) -> StreamId {
        match self {
            Self::Data(frame) => frame.stream_id(),
            Self::Headers(frame) => frame.stream_id(),
            Self::Priority(frame) => frame.stream_id(),
            Self::RstStream(frame) => frame.stream_id(),
            Self::PushPromise(frame) => frame.stream_id(),
            Self::WindowUpdate(frame) => frame.stream_id(),
            Self::Continuation(frame) => frame.stream_id(),
            Self::Unknown(frame) => frame.stream_id(),
            Self::Settings(_) | Self::Ping(_) | Self::GoAway(_) | Self::PriorityUpdate(_) => {
                StreamId::CONNECTION
            }
        }
    }

    /// Appends the frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Data(frame) => frame.encode(out),
            Self::Headers(frame) => frame.encode(out),
            Self::Priority(frame) => frame.encode(out),
            Self::RstStream(frame) => frame.encode(out),
            Self::Settings(frame) => frame.encode(out),
            Self::PushPromise(frame) => frame.encode(out),
            Self::Ping(frame) => frame.encode(out),
            Self::GoAway(frame) => frame.encode(out),
            Self::WindowUpdate(frame) => frame.encode(out),
            Self::Continuation(frame) => frame.encode(out),
            Self::PriorityUpdate(frame) => frame.encode(out),
            Self::Unknown(frame) => frame.encode(out),
        }
    }
}

/// Parses the frame at the start of `buf`.
///
/// Returns the frame and the octets it used, or `Ok(None)` when `buf`
/// does not yet hold a whole frame. `max_frame_size` is the
/// SETTINGS_MAX_FRAME_SIZE this endpoint advertised (while a lower value
/// awaits its ACK, pass the higher of old and new); values below 2^14 are
/// taken as 2^14, which every endpoint must accept.
///
/// A frame over `max_frame_size` is refused as soon as its header has
/// arrived, so its payload is never buffered. Any other error comes only
/// once the whole frame is in `buf`: after a stream error (the frame is
/// then `FrameHeader::parse(buf)`'s `frame_len()` octets long) the
/// connection may skip the frame and go on.
pub fn parse_frame(buf: &[u8], max_frame_size: u32) -> Result<Option<(Frame<'_>, usize)>, Error> {
    let Some(header) = FrameHeader::parse(buf) else {
        return Ok(None);
    };
    // RFC 9113 §4.2: "All implementations MUST be capable of receiving and
    // minimally processing frames up to 2^14 octets in length".
    let max_frame_size = max_frame_size.max(DEFAULT_MAX_FRAME_SIZE);
    if header.length > max_frame_size {
        // RFC 9113 §4.2: "An endpoint MUST send an error code of
        // FRAME_SIZE_ERROR if a frame exceeds the size defined in
        // SETTINGS_MAX_FRAME_SIZE". The connection scope is mandatory for
        // HEADERS, PUSH_PROMISE, CONTINUATION, SETTINGS and stream 0; we
        // use it for every type (§5.4.1: "an endpoint MAY choose to treat a
        // stream error as a connection error"), because the check is made
        // before the payload arrives, and skipping an oversized DATA frame
        // would still mean reading all of it to count it against the
        // connection window (§6.9).
        return Err(Error::connection(
            ErrorCode::FRAME_SIZE_ERROR,
            "frame is larger than our SETTINGS_MAX_FRAME_SIZE",
        ));
    }
    let end = header.frame_len();
    let Some(payload) = buf.get(FRAME_HEADER_LEN..end) else {
        return Ok(None);
    };
    Frame::parse(header, payload).map(|frame| Some((frame, end)))
}

/// Up to 255 zero octets: padding for encoders (§6.1: "Padding octets MUST
/// be set to zero when sending.").
const ZEROS: [u8; 255] = [0; 255];

/// Splits the Pad Length octet off a frame whose PADDED flag may be set.
/// Returns the pad length (if PADDED) and the rest of the payload, padding
/// still attached; see [`strip_padding`].
fn split_pad_length<'a>(
    header: &FrameHeader,
    payload: &'a [u8],
) -> Result<(Option<u8>, &'a [u8]), Error> {
    if !header.flags.contains(Flags::PADDED) {
        return Ok((None, payload));
    }
    match payload.split_first() {
        Some((&pad_len, rest)) => Ok((Some(pad_len), rest)),
        // RFC 9113 §4.2: FRAME_SIZE_ERROR for a frame "too small to contain
        // mandatory frame data"; connection scope since DATA counts against
        // the connection window and the others carry field blocks.
        None => Err(Error::connection(
            ErrorCode::FRAME_SIZE_ERROR,
            "PADDED frame has no room for its Pad Length",
        )),
    }
}

/// Removes `pad_len` octets of padding from the end of `rest`, what is left
/// of a payload once the Pad Length and any fixed fields are read.
///
/// Padding octets are not checked to be zero: "A receiver is not obligated
/// to verify padding" (§6.1, §6.2, §6.6), and checking costs a pass over
/// up to 255 octets per frame for no gain in safety.
fn strip_padding(pad_len: Option<u8>, rest: &[u8]) -> Result<&[u8], Error> {
    let Some(pad_len) = pad_len else {
        return Ok(rest);
    };
    match rest.len().checked_sub(usize::from(pad_len)) {
        Some(kept) => Ok(rest.get(..kept).unwrap_or_default()),
        // RFC 9113 §6.1: "If the length of the padding is the length of the
        // frame payload or greater, the recipient MUST treat this as a
        // connection error (Section 5.4.1) of type PROTOCOL_ERROR." (Same
        // text in §6.2 and §6.6.) Padding that would overlap the fixed
        // fields after the Pad Length is refused the same way.
        None => Err(Error::connection(
            ErrorCode::PROTOCOL_ERROR,
            "Pad Length covers the whole frame payload",
        )),
    }
}

/// Appends a frame made of `parts`, wrapped in `pad_len` (Pad Length octet
/// first, zero padding last) when it is `Some`. Sets PADDED accordingly.
fn encode_frame(
    kind: FrameType,
    flags: Flags,
    stream_id: StreamId,
    pad_len: Option<u8>,
    parts: &[&[u8]],
    out: &mut Vec<u8>,
) {
    let body: usize = parts.iter().map(|part| part.len()).sum();
    let padding = pad_len.map_or(0, |pad_len| 1 + usize::from(pad_len));
    let flags = flags.with_if(Flags::PADDED, pad_len.is_some());
    let header = FrameHeader::new(kind, flags, stream_id, body.saturating_add(padding));
    out.reserve(header.frame_len());
    header.encode(out);
    if let Some(pad_len) = pad_len {
        out.push(pad_len);
    }
    for part in parts {
        out.extend_from_slice(part);
    }
    if let Some(pad_len) = pad_len {
        out.extend_from_slice(ZEROS.get(..usize::from(pad_len)).unwrap_or_default());
    }
}

/// The big-endian u32 at the start of `payload` and what follows it.
fn split_u32(payload: &[u8]) -> Option<(u32, &[u8])> {
    let (octets, rest) = payload.split_first_chunk::<4>()?;
    Some((u32::from_be_bytes(*octets), rest))
}
