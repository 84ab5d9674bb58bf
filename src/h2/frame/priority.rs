//! PRIORITY (RFC 9113 §6.3, RFC 7540 §5.3) and the stream dependency
//! fields it shares with HEADERS.
//!
//! RFC 9113 deprecates this priority scheme (§5.3.2) but keeps the frame's
//! layout and its mandatory error handling, which live here. Acting on the
//! dependency tree, or ignoring it (RFC 9218 §2.1,
//! SETTINGS_NO_RFC7540_PRIORITIES), is the connection's choice.
//!
//! A PRIORITY frame carries no connection state, so every error it can
//! cause is a stream error, except stream 0. The self-dependency rule
//! (RFC 7540 §5.3.1) is checked here for PRIORITY; for HEADERS it is left
//! to the connection, see [`Headers`](super::Headers).

use super::{Error, ErrorCode, Flags, FrameHeader, FrameType, StreamId, encode_frame, split_u32};

/// The RFC 7540 §5.3 priority fields: the stream depended on, whether the
/// dependency is exclusive, and a weight of 1 to 256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamDependency {
    dependency: StreamId,
    exclusive: bool,
    /// The wire octet: the weight minus one.
    weight_octet: u8,
}

impl StreamDependency {
    /// Octets on the wire: exclusive bit + 31-bit stream, weight octet.
    pub(super) const LEN: usize = 5;

    /// A dependency on `dependency` with `weight`, which is clamped into
    /// 1..=256.
    pub fn new(dependency: StreamId, exclusive: bool, weight: u16) -> Self {
        let weight_octet = u8::try_from(weight.saturating_sub(1)).unwrap_or(u8::MAX);
        Self {
            dependency,
            exclusive,
            weight_octet,
        }
    }

    /// The stream depended on (0: the root).
    pub fn dependency(&self) -> StreamId {
        self.dependency
    }

    /// Whether the dependency is exclusive.
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
    }

    /// The weight, 1 to 256 (RFC 7540 §6.3: "Add one to the value to
    /// obtain a weight between 1 and 256.").
    pub fn weight(&self) -> u16 {
        u16::from(self.weight_octet) + 1
    }

    /// Reads the 5 octets at the start of `payload`; `None` if shorter.
    pub(super) fn split(payload: &[u8]) -> Option<(Self, &[u8])> {
        let (word, rest) = split_u32(payload)?;
        let (&weight_octet, rest) = rest.split_first()?;
        let dependency = Self {
            dependency: StreamId::new(word),
            exclusive: word & 0x8000_0000 != 0,
            weight_octet,
        };
        Some((dependency, rest))
    }

    /// The 5 wire octets.
    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
        let exclusive = if self.exclusive { 0x8000_0000 } else { 0 };
        let [d0, d1, d2, d3] = (self.dependency.value() | exclusive).to_be_bytes();
        [d0, d1, d2, d3, self.weight_octet]
    }
}

impl Default for StreamDependency {
    /// RFC 7540 §5.3.5: "All streams are initially assigned a
    /// non-exclusive dependency on stream 0x0. [...] streams are assigned
    /// a default weight of 16."
    fn default() -> Self {
        Self::new(StreamId::CONNECTION, false, 16)
    }
}

/// A PRIORITY frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriorityFrame {
    stream_id: StreamId,
    dependency: StreamDependency,
}

impl PriorityFrame {
    /// PRIORITY for `stream_id`.
    pub fn new(stream_id: StreamId, dependency: StreamDependency) -> Self {
        Self {
            stream_id,
            dependency,
        }
    }

    pub(super) fn parse(header: &FrameHeader, payload: &[u8]) -> Result<Self, Error> {
        let stream_id = header.stream_id();
        if stream_id.is_connection() {
            // RFC 9113 §6.3: "If a PRIORITY frame is received with a stream
            // identifier of 0x00, the recipient MUST respond with a
            // connection error (Section 5.4.1) of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "PRIORITY frame on stream 0",
            ));
        }
        let dependency = match StreamDependency::split(payload) {
            Some((dependency, [])) => dependency,
            // RFC 9113 §6.3: "A PRIORITY frame with a length other than 5
            // octets MUST be treated as a stream error (Section 5.4.2) of
            // type FRAME_SIZE_ERROR."
            _ => {
                return Err(Error::stream(
                    stream_id,
                    ErrorCode::FRAME_SIZE_ERROR,
                    "PRIORITY frame length is not 5",
                ));
            }
        };
        if dependency.dependency == stream_id {
            // RFC 7540 §5.3.1: "A stream cannot depend on itself. An
            // endpoint MUST treat this as a stream error (Section 5.4.2) of
            // type PROTOCOL_ERROR."
            return Err(Error::stream(
                stream_id,
                ErrorCode::PROTOCOL_ERROR,
                "PRIORITY frame makes the stream depend on itself",
            ));
        }
        Ok(Self {
            stream_id,
            dependency,
        })
    }

    /// Appends the frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let fields = self.dependency.to_bytes();
        encode_frame(
            FrameType::PRIORITY,
            Flags::EMPTY,
            self.stream_id,
            None,
            &[&fields],
            out,
        );
    }

    /// The stream being prioritized.
    pub fn stream_id(&self) -> StreamId {
        self.stream_id
    }

    /// The new priority fields.
    pub fn dependency(&self) -> StreamDependency {
        self.dependency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_is_the_octet_plus_one_and_clamped_when_built() {
        assert_eq!(
            StreamDependency::new(StreamId::new(1), false, 256).weight(),
            256
        );
        assert_eq!(
            StreamDependency::new(StreamId::new(1), false, 1).weight(),
            1
        );
        assert_eq!(
            StreamDependency::new(StreamId::new(1), false, 0).weight(),
            1
        );
        assert_eq!(
            StreamDependency::new(StreamId::new(1), false, 999).weight(),
            256
        );
        assert_eq!(StreamDependency::default().weight(), 16);
    }

    #[test]
    fn exclusive_bit_is_the_top_bit_of_the_dependency() {
        let fields = StreamDependency::new(StreamId::new(5), true, 201).to_bytes();
        assert_eq!(fields, [0x80, 0, 0, 5, 200]);
        let (parsed, rest) = StreamDependency::split(&fields).unwrap();
        assert!(rest.is_empty());
        assert!(parsed.is_exclusive());
        assert_eq!(parsed.dependency(), StreamId::new(5));
        assert_eq!(parsed.weight(), 201);
    }
}
