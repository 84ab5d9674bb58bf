//! `DecodeError`: everything that can go wrong while decoding a header
//! block, and how the HTTP/2 layer must answer it.
//!
//! This file owns the error type only; the checks that raise each variant
//! live next to the wire format they guard (`integer.rs`, `string.rs`,
//! `huffman.rs`, `decoder.rs`). The encoder cannot fail and has no error.

use std::fmt;

/// Why a header block could not be decoded.
///
/// Two kinds of failure exist, and [`DecodeError::is_compression_error`]
/// tells them apart:
///
/// - **Compression errors** (every variant except the two list limits):
///   the block is malformed or breaks an implementation limit in a way that
///   leaves the dynamic table out of step with the peer's encoder. RFC 9113
///   §4.3 makes these a connection error of type `COMPRESSION_ERROR`; the
///   [`Decoder`](super::Decoder) must not be used again.
/// - **Header list limits** ([`HeaderListTooLarge`](Self::HeaderListTooLarge),
///   [`TooManyFields`](Self::TooManyFields)): the block was well formed and
///   was decoded to its end, so the dynamic table is still in step, but the
///   list was thrown away. The HTTP/2 layer answers on the stream only
///   (431 for a request, RST_STREAM otherwise) and keeps the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The block ended in the middle of a representation.
    Truncated,
    /// A prefix integer is larger than 2^32 - 1 (no index, length or table
    /// size can be), or uses more continuation octets than such a value
    /// needs.
    IntegerOverflow,
    /// An index was 0, or pointed past the end of the static plus dynamic
    /// table.
    InvalidIndex {
        /// The index as sent.
        index: usize,
    },
    /// A Huffman-coded string contained the EOS symbol.
    HuffmanEos,
    /// A Huffman-coded string ended with padding longer than 7 bits or not
    /// made of 1 bits.
    HuffmanPadding,
    /// A string literal (on the wire, or once Huffman-decoded) is longer
    /// than [`DecoderLimits::max_string_len`](super::DecoderLimits).
    StringTooLong {
        /// The configured maximum.
        max: usize,
    },
    /// A dynamic table size update asked for more than our
    /// SETTINGS_HEADER_TABLE_SIZE.
    TableSizeUpdateTooLarge {
        /// The size the peer asked for.
        requested: usize,
        /// The largest size our settings allow.
        max: usize,
    },
    /// A dynamic table size update came after a header field.
    TableSizeUpdateNotAtStart,
    /// Our SETTINGS_HEADER_TABLE_SIZE went below the table's current size,
    /// and the first block after it did not start with a size update down
    /// to at most the new value.
    TableSizeUpdateMissing {
        /// The largest size the missing update could have named.
        required: usize,
    },
    /// The decoded list's size (name + value + 32 per field) went over
    /// [`DecoderLimits::max_list_size`](super::DecoderLimits). Not a
    /// compression error.
    HeaderListTooLarge {
        /// The configured maximum.
        max: usize,
    },
    /// The block held more fields than
    /// [`DecoderLimits::max_fields`](super::DecoderLimits). Not a
    /// compression error.
    TooManyFields {
        /// The configured maximum.
        max: usize,
    },
}

impl DecodeError {
    /// Whether this is an HTTP/2 connection error of type
    /// `COMPRESSION_ERROR` (true), or a header-list limit that leaves the
    /// decoder usable and concerns one stream only (false).
    pub fn is_compression_error(&self) -> bool {
        !matches!(
            self,
            Self::HeaderListTooLarge { .. } | Self::TooManyFields { .. }
        )
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("header block ends inside a representation"),
            Self::IntegerOverflow => f.write_str("prefix integer exceeds the implementation limit"),
            Self::InvalidIndex { index } => {
                write!(f, "header table index {index} is not in the table")
            }
            Self::HuffmanEos => f.write_str("Huffman string contains the EOS symbol"),
            Self::HuffmanPadding => {
                f.write_str("Huffman string padding is longer than 7 bits or not all 1s")
            }
            Self::StringTooLong { max } => {
                write!(f, "string literal is longer than the limit of {max} octets")
            }
            Self::TableSizeUpdateTooLarge { requested, max } => write!(
                f,
                "dynamic table size update to {requested} exceeds our SETTINGS_HEADER_TABLE_SIZE of {max}"
            ),
            Self::TableSizeUpdateNotAtStart => {
                f.write_str("dynamic table size update after the first header field")
            }
            Self::TableSizeUpdateMissing { required } => write!(
                f,
                "header block does not start with a dynamic table size update to at most {required}"
            ),
            Self::HeaderListTooLarge { max } => {
                write!(
                    f,
                    "decoded header list is larger than the limit of {max} octets"
                )
            }
            Self::TooManyFields { max } => {
                write!(f, "header block has more than the limit of {max} fields")
            }
        }
    }
}

impl std::error::Error for DecodeError {}
