//! HTTP/1.1 as a sans-I/O codec (RFC 9112): a per-connection request
//! [`Decoder`] fed raw bytes that yields [`Event`]s — keep-alive and
//! pipelining included — and response encoders that append to the
//! caller's output buffer.
//!
//! This module owns the wire syntax and the framing decisions that keep
//! requests from being smuggled: head limits, bare CR, obs-fold, Host,
//! Content-Length versus Transfer-Encoding, strict chunked decoding. It
//! owns no socket, timer or clock: the worker reads, calls
//! [`Decoder::decode`], drains what each event consumed, and writes what
//! the encoders produce; the current time arrives as a parameter of
//! [`DateCache::get`]. Every way a client can be wrong is a
//! [`ParseError`], and [`ParseError::status`] is the one place that
//! chooses the answer's status code.
//!
//! Files: `request.rs` (the decoder and head semantics), `section.rs`
//! (line framing and limits of heads and trailers), `body.rs`
//! (Content-Length and chunked bodies), `response.rs` (encoding),
//! `date.rs` (the `date` field), `error.rs` (`ParseError`).

mod body;
mod date;
mod error;
mod request;
mod response;
mod section;

pub(crate) use date::civil_from_days;
pub use date::{DateCache, imf_fixdate};
pub use error::ParseError;
pub use request::{
    BodyKind, Decoder, Event, H2_PREFACE, Limits, RequestHead, Version, is_h2_preface_prefix,
};
pub use response::{
    BodyFraming, ResponseHead, encode_chunk, encode_continue, encode_head, encode_last_chunk,
    error_response, reason_phrase,
};
