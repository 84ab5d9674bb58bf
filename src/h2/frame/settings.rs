//! SETTINGS (RFC 9113 §6.5): the sender's parameters, or the ACK of the
//! peer's; and [`Settings`], the current values one side has announced.
//!
//! Owns the layout, the frame checks (stream 0, length a multiple of 6, an
//! empty ACK) and the value checks of §6.5.2, RFC 8441 §3 and RFC 9218
//! §2.1, all made when the frame is parsed, so a frame that parses can be
//! applied without further checks. Unknown settings are skipped (§6.5.2:
//! "An endpoint that receives a SETTINGS frame with any unknown or
//! unsupported identifier MUST ignore that setting.").
//!
//! Not owned: sending the ACK, the SETTINGS_TIMEOUT, adjusting stream
//! windows when SETTINGS_INITIAL_WINDOW_SIZE changes (§6.9.2), telling
//! HPACK about SETTINGS_HEADER_TABLE_SIZE, and capping how many settings a
//! peer may send (a SETTINGS flood): [`SettingsFrame::len`] gives the
//! connection the count to cap.

use std::fmt;

use super::{
    DEFAULT_MAX_FRAME_SIZE, Error, ErrorCode, Flags, FrameHeader, FrameType, MAX_MAX_FRAME_SIZE,
    StreamId, encode_frame,
};

/// The largest flow-control window, 2^31-1 (RFC 9113 §6.9.1).
pub const MAX_WINDOW_SIZE: u32 = (1 << 31) - 1;

/// Octets of one setting on the wire: identifier (16) and value (32).
const ENTRY_LEN: usize = 6;

/// A setting identifier (RFC 9113 §6.5.2 and extensions). A newtype so
/// that unknown identifiers survive iteration.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SettingId(u16);

impl SettingId {
    /// 0x1, RFC 9113: the HPACK dynamic table size the sender's decoder
    /// allows.
    pub const HEADER_TABLE_SIZE: Self = Self(0x1);
    /// 0x2, RFC 9113: whether server push is allowed (0 or 1).
    pub const ENABLE_PUSH: Self = Self(0x2);
    /// 0x3, RFC 9113: how many concurrent streams the sender allows.
    pub const MAX_CONCURRENT_STREAMS: Self = Self(0x3);
    /// 0x4, RFC 9113: the sender's initial stream window.
    pub const INITIAL_WINDOW_SIZE: Self = Self(0x4);
    /// 0x5, RFC 9113: the largest frame payload the sender accepts.
    pub const MAX_FRAME_SIZE: Self = Self(0x5);
    /// 0x6, RFC 9113: the advisory field section size limit.
    pub const MAX_HEADER_LIST_SIZE: Self = Self(0x6);
    /// 0x8, RFC 8441: extended CONNECT is supported (0 or 1).
    pub const ENABLE_CONNECT_PROTOCOL: Self = Self(0x8);
    /// 0x9, RFC 9218: RFC 7540 priority signals are not used (0 or 1).
    pub const NO_RFC7540_PRIORITIES: Self = Self(0x9);

    /// The identifier for a wire value, known or not.
    pub const fn new(value: u16) -> Self {
        Self(value)
    }

    /// The wire value.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The registered name, or `None` for an identifier this crate does
    /// not know.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x1 => "SETTINGS_HEADER_TABLE_SIZE",
            0x2 => "SETTINGS_ENABLE_PUSH",
            0x3 => "SETTINGS_MAX_CONCURRENT_STREAMS",
            0x4 => "SETTINGS_INITIAL_WINDOW_SIZE",
            0x5 => "SETTINGS_MAX_FRAME_SIZE",
            0x6 => "SETTINGS_MAX_HEADER_LIST_SIZE",
            0x8 => "SETTINGS_ENABLE_CONNECT_PROTOCOL",
            0x9 => "SETTINGS_NO_RFC7540_PRIORITIES",
            _ => return None,
        })
    }
}

impl fmt::Display for SettingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown setting {:#06x}", self.0),
        }
    }
}

impl fmt::Debug for SettingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "SettingId::{name}"),
            None => write!(f, "SettingId({:#06x})", self.0),
        }
    }
}

/// Checks one value against the rules of its identifier.
fn check(id: SettingId, value: u32) -> Result<(), Error> {
    match id {
        // RFC 9113 §6.5.2, SETTINGS_ENABLE_PUSH: "Any value other than 0 or
        // 1 MUST be treated as a connection error (Section 5.4.1) of type
        // PROTOCOL_ERROR."
        SettingId::ENABLE_PUSH if value > 1 => Err(Error::connection(
            ErrorCode::PROTOCOL_ERROR,
            "SETTINGS_ENABLE_PUSH is neither 0 nor 1",
        )),
        // RFC 9113 §6.5.2, SETTINGS_INITIAL_WINDOW_SIZE: "Values above the
        // maximum flow-control window size of 2^31-1 MUST be treated as a
        // connection error (Section 5.4.1) of type FLOW_CONTROL_ERROR."
        SettingId::INITIAL_WINDOW_SIZE if value > MAX_WINDOW_SIZE => Err(Error::connection(
            ErrorCode::FLOW_CONTROL_ERROR,
            "SETTINGS_INITIAL_WINDOW_SIZE is above 2^31-1",
        )),
        // RFC 9113 §6.5.2, SETTINGS_MAX_FRAME_SIZE: "Values outside this
        // range MUST be treated as a connection error (Section 5.4.1) of
        // type PROTOCOL_ERROR."
        SettingId::MAX_FRAME_SIZE
            if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) =>
        {
            Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "SETTINGS_MAX_FRAME_SIZE is outside 2^14..=2^24-1",
            ))
        }
        // RFC 8441 §3: "The value of the parameter MUST be 0 or 1." It names
        // no error code; PROTOCOL_ERROR is the generic one (§5.4).
        SettingId::ENABLE_CONNECT_PROTOCOL if value > 1 => Err(Error::connection(
            ErrorCode::PROTOCOL_ERROR,
            "SETTINGS_ENABLE_CONNECT_PROTOCOL is neither 0 nor 1",
        )),
        // RFC 9218 §2.1: "Any value other than 0 or 1 MUST be treated as a
        // connection error [...] of type PROTOCOL_ERROR."
        SettingId::NO_RFC7540_PRIORITIES if value > 1 => Err(Error::connection(
            ErrorCode::PROTOCOL_ERROR,
            "SETTINGS_NO_RFC7540_PRIORITIES is neither 0 nor 1",
        )),
        _ => Ok(()),
    }
}

/// Where a frame's settings come from: the wire (already checked) or a
/// list built locally for sending.
#[derive(Clone, Copy, Debug)]
enum Entries<'a> {
    /// A payload whose length is a multiple of 6 and whose values passed
    /// [`check`].
    Wire(&'a [u8]),
    /// Settings to send, in order.
    List(&'a [(SettingId, u32)]),
}

/// A SETTINGS frame: either an ACK, or settings to apply in order.
///
/// Equality compares the flag and the settings, wherever they came from,
/// so a built frame equals the frame its encoding parses to.
#[derive(Clone, Copy, Debug)]
pub struct SettingsFrame<'a> {
    ack: bool,
    entries: Entries<'a>,
}

impl<'a> SettingsFrame<'a> {
    /// SETTINGS carrying `entries`, sent in order. Values are not checked:
    /// sending only legal values is the caller's job.
    pub fn new(entries: &'a [(SettingId, u32)]) -> Self {
        Self {
            ack: false,
            entries: Entries::List(entries),
        }
    }

    /// The ACK of the peer's SETTINGS (§6.5.3: "Once all values have been
    /// processed, the recipient MUST immediately emit a SETTINGS frame with
    /// the ACK flag set.").
    pub fn ack() -> Self {
        Self {
            ack: true,
            entries: Entries::List(&[]),
        }
    }

    pub(super) fn parse(header: &FrameHeader, payload: &'a [u8]) -> Result<Self, Error> {
        if !header.stream_id().is_connection() {
            // RFC 9113 §6.5: "If an endpoint receives a SETTINGS frame whose
            // Stream Identifier field is anything other than 0x00, the
            // endpoint MUST respond with a connection error (Section 5.4.1)
            // of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "SETTINGS frame on a stream other than 0",
            ));
        }
        let ack = header.flags().contains(Flags::ACK);
        if ack && !payload.is_empty() {
            // RFC 9113 §6.5: "Receipt of a SETTINGS frame with the ACK flag
            // set and a length field value other than 0 MUST be treated as a
            // connection error (Section 5.4.1) of type FRAME_SIZE_ERROR."
            return Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "SETTINGS ACK with a non-empty payload",
            ));
        }
        let (entries, []) = payload.as_chunks::<ENTRY_LEN>() else {
            // RFC 9113 §6.5: "A SETTINGS frame with a length other than a
            // multiple of 6 octets MUST be treated as a connection error
            // (Section 5.4.1) of type FRAME_SIZE_ERROR."
            return Err(Error::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                "SETTINGS frame length is not a multiple of 6",
            ));
        };
        for entry in entries {
            let (id, value) = decode_entry(entry);
            check(id, value)?;
        }
        Ok(Self {
            ack,
            entries: Entries::Wire(payload),
        })
    }

    /// Appends the frame to `out`.
    ///
    /// # Panics
    ///
    /// If there are more settings than fit a frame (over 2.7 million).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let flags = Flags::EMPTY.with_if(Flags::ACK, self.ack);
        match self.entries {
            Entries::Wire(payload) => encode_frame(
                FrameType::SETTINGS,
                flags,
                StreamId::CONNECTION,
                None,
                &[payload],
                out,
            ),
            Entries::List(list) => {
                let length = list.len().saturating_mul(ENTRY_LEN);
                FrameHeader::new(FrameType::SETTINGS, flags, StreamId::CONNECTION, length)
                    .encode(out);
                for (id, value) in list {
                    out.extend_from_slice(&id.0.to_be_bytes());
                    out.extend_from_slice(&value.to_be_bytes());
                }
            }
        }
    }

    /// Whether this is an ACK.
    pub fn is_ack(&self) -> bool {
        self.ack
    }

    /// The settings in the order they must be applied, unknown ones
    /// included (skip them). Does not allocate.
    pub fn iter(&self) -> SettingsIter<'a> {
        SettingsIter {
            entries: match self.entries {
                Entries::Wire(payload) => IterEntries::Wire(payload.as_chunks().0.iter()),
                Entries::List(list) => IterEntries::List(list.iter()),
            },
        }
    }

    /// How many settings the frame carries, known or not: what a
    /// connection caps to resist a SETTINGS flood.
    pub fn len(&self) -> usize {
        match self.entries {
            Entries::Wire(payload) => payload.len() / ENTRY_LEN,
            Entries::List(list) => list.len(),
        }
    }

    /// Whether the frame carries no setting (always so for an ACK).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for SettingsFrame<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.ack == other.ack && self.iter().eq(other.iter())
    }
}

impl Eq for SettingsFrame<'_> {}

impl<'a> IntoIterator for &SettingsFrame<'a> {
    type Item = (SettingId, u32);
    type IntoIter = SettingsIter<'a>;

    fn into_iter(self) -> SettingsIter<'a> {
        self.iter()
    }
}

fn decode_entry(entry: &[u8; ENTRY_LEN]) -> (SettingId, u32) {
    let [i0, i1, v0, v1, v2, v3] = *entry;
    (
        SettingId(u16::from_be_bytes([i0, i1])),
        u32::from_be_bytes([v0, v1, v2, v3]),
    )
}

/// The settings of a [`SettingsFrame`], as `(identifier, value)` pairs.
#[derive(Clone, Debug)]
pub struct SettingsIter<'a> {
    entries: IterEntries<'a>,
}

#[derive(Clone, Debug)]
enum IterEntries<'a> {
    Wire(std::slice::Iter<'a, [u8; ENTRY_LEN]>),
    List(std::slice::Iter<'a, (SettingId, u32)>),
}

impl Iterator for SettingsIter<'_> {
    type Item = (SettingId, u32);

    fn next(&mut self) -> Option<(SettingId, u32)> {
        match &mut self.entries {
            IterEntries::Wire(entries) => entries.next().map(decode_entry),
            IterEntries::List(entries) => entries.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.entries {
            IterEntries::Wire(entries) => entries.size_hint(),
            IterEntries::List(entries) => entries.size_hint(),
        }
    }
}

impl ExactSizeIterator for SettingsIter<'_> {}

/// The values one endpoint has announced, starting from the RFC defaults.
///
/// Keep one for the peer (updated with [`apply`](Self::apply) as its
/// SETTINGS arrive) and one for ourselves (updated when the peer ACKs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// SETTINGS_HEADER_TABLE_SIZE; initially 4,096.
    pub header_table_size: u32,
    /// SETTINGS_ENABLE_PUSH; initially on (a server's value means nothing:
    /// §6.5.2).
    pub enable_push: bool,
    /// SETTINGS_MAX_CONCURRENT_STREAMS; `None`, the initial value, is no
    /// limit.
    pub max_concurrent_streams: Option<u32>,
    /// SETTINGS_INITIAL_WINDOW_SIZE; initially 65,535, at most 2^31-1.
    pub initial_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE; initially 16,384, at most 2^24-1.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE; `None`, the initial value, is no
    /// limit.
    pub max_header_list_size: Option<u32>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441); initially off.
    pub enable_connect_protocol: bool,
    /// SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218); initially off.
    pub no_rfc7540_priorities: bool,
}

impl Settings {
    /// Applies `frame`'s settings in order, the last value of each winning
    /// (§6.5: "Each parameter in a SETTINGS frame replaces any existing
    /// value for that parameter."). Unknown identifiers and ACKs change
    /// nothing. Values are taken as they are: a parsed frame's were
    /// checked by the parser; a locally built frame's are the caller's
    /// responsibility.
    pub fn apply(&mut self, frame: &SettingsFrame<'_>) {
        for (id, value) in frame {
            match id {
                SettingId::HEADER_TABLE_SIZE => self.header_table_size = value,
                SettingId::ENABLE_PUSH => self.enable_push = value != 0,
                SettingId::MAX_CONCURRENT_STREAMS => self.max_concurrent_streams = Some(value),
                SettingId::INITIAL_WINDOW_SIZE => self.initial_window_size = value,
                SettingId::MAX_FRAME_SIZE => self.max_frame_size = value,
                SettingId::MAX_HEADER_LIST_SIZE => self.max_header_list_size = Some(value),
                SettingId::ENABLE_CONNECT_PROTOCOL => self.enable_connect_protocol = value != 0,
                SettingId::NO_RFC7540_PRIORITIES => self.no_rfc7540_priorities = value != 0,
                _ => {}
            }
        }
    }
}

impl Default for Settings {
    /// The initial values of RFC 9113 §6.5.2, RFC 8441 §3 and RFC 9218
    /// §2.1.
    fn default() -> Self {
        Self {
            header_table_size: 4_096,
            enable_push: true,
            max_concurrent_streams: None,
            initial_window_size: 65_535,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_header_list_size: None,
            enable_connect_protocol: false,
            no_rfc7540_priorities: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Frame, parse_frame};
    use super::*;

    #[test]
    fn built_settings_encode_in_order_and_parse_back_equal() {
        let list = [
            (SettingId::MAX_CONCURRENT_STREAMS, 100),
            (SettingId::new(0xabcd), 7),
            (SettingId::INITIAL_WINDOW_SIZE, 1 << 20),
        ];
        let frame = SettingsFrame::new(&list);
        let mut out = Vec::new();
        frame.encode(&mut out);
        assert_eq!(out.len(), 9 + 18);
        let (parsed, _) = parse_frame(&out, 16_384).unwrap().unwrap();
        assert_eq!(parsed, Frame::Settings(frame));
        let Frame::Settings(parsed) = parsed else {
            unreachable!()
        };
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed.iter().collect::<Vec<_>>(), list);
    }

    #[test]
    fn apply_keeps_the_last_value_and_skips_unknown_ids() {
        let list = [
            (SettingId::MAX_FRAME_SIZE, 20_000),
            (SettingId::new(0x77), 1),
            (SettingId::MAX_FRAME_SIZE, 30_000),
            (SettingId::ENABLE_PUSH, 0),
            (SettingId::MAX_HEADER_LIST_SIZE, 8_192),
            (SettingId::ENABLE_CONNECT_PROTOCOL, 1),
            (SettingId::NO_RFC7540_PRIORITIES, 1),
            (SettingId::HEADER_TABLE_SIZE, 0),
        ];
        let mut settings = Settings::default();
        settings.apply(&SettingsFrame::new(&list));
        assert_eq!(
            settings,
            Settings {
                header_table_size: 0,
                enable_push: false,
                max_concurrent_streams: None,
                initial_window_size: 65_535,
                max_frame_size: 30_000,
                max_header_list_size: Some(8_192),
                enable_connect_protocol: true,
                no_rfc7540_priorities: true,
            }
        );
    }

    #[test]
    fn ack_is_empty_and_changes_nothing() {
        let mut out = Vec::new();
        SettingsFrame::ack().encode(&mut out);
        assert_eq!(out, [0, 0, 0, 4, 1, 0, 0, 0, 0]);
        let mut settings = Settings::default();
        settings.apply(&SettingsFrame::ack());
        assert_eq!(settings, Settings::default());
        assert!(SettingsFrame::ack().is_empty());
    }

    #[test]
    fn setting_ids_display_their_names() {
        assert_eq!(
            SettingId::NO_RFC7540_PRIORITIES.to_string(),
            "SETTINGS_NO_RFC7540_PRIORITIES"
        );
        assert_eq!(SettingId::new(0x10).to_string(), "unknown setting 0x0010");
    }
}
