//! HPACK (RFC 7541): header compression for HTTP/2, as a sans-I/O codec.
//!
//! A [`Decoder`] turns complete header blocks into [`HeaderList`]s and an
//! [`Encoder`] turns header fields into blocks; each keeps its own dynamic
//! table and must see every block of its connection direction, in order.
//! Nothing here does I/O, reads a clock or knows about frames: the HTTP/2
//! layer reassembles HEADERS + CONTINUATION into one block, tells each side
//! about SETTINGS_HEADER_TABLE_SIZE changes, and validates the fields.
//!
//! Errors: [`DecodeError`]; every variant is an HTTP/2 connection error
//! `COMPRESSION_ERROR` except the header-list limits (`HeaderListTooLarge`,
//! `TooManyFields`), which concern one stream only — see
//! [`DecodeError::is_compression_error`]. The encoder cannot fail.
//!
//! Files: `integer.rs` and `string.rs` (wire primitives), `huffman.rs` with
//! its generated `huffman_table.rs`, `static_table.rs`, `dynamic_table.rs`,
//! `header_list.rs` (field types), `decoder.rs`, `encoder.rs` (with the
//! indexing policy), `error.rs`.

mod decoder;
mod dynamic_table;
mod encoder;
mod error;
mod header_list;
pub mod huffman;
mod huffman_table;
mod integer;
mod static_table;
mod string;

pub use decoder::{Decoder, DecoderLimits};
pub use encoder::{Encoder, IndexingMode};
pub use error::DecodeError;
pub use header_list::{HeaderField, HeaderList, Iter};
pub use string::HuffmanMode;

/// SETTINGS_HEADER_TABLE_SIZE before any SETTINGS frame (RFC 9113 §6.5.2).
pub const DEFAULT_TABLE_SIZE: usize = 4096;
