//! `ParseError`: everything a peer can get wrong in an HTTP/1.1 request,
//! and the one function, [`ParseError::status`], that turns it into the
//! 4xx/5xx status the connection answers with before it closes.
//!
//! This file owns only the error vocabulary. Where each error is detected
//! lives in `section.rs` (head and trailer framing), `request.rs` (request
//! line and header semantics) and `body.rs` (chunked coding).

use std::fmt;

/// What was wrong with the bytes a client sent.
///
/// Every variant is fatal for the connection: HTTP/1.1 has no way to
/// resynchronise once framing is in doubt, so the caller answers with
/// [`crate::h1::error_response`] (which carries `connection: close`) and
/// closes. The decoder keeps returning the same error if asked again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The request head (or a trailer section) exceeded
    /// `Limits::max_head_bytes`, possibly before it was complete.
    HeadTooLarge,
    /// More field lines than `Limits::max_headers`.
    TooManyHeaders,
    /// The request-target exceeded `Limits::max_target_bytes`.
    TargetTooLong,
    /// The declared or accumulated body exceeded `Limits::max_body_bytes`.
    BodyTooLarge,
    /// The request-line is not `method SP request-target SP HTTP-version`
    /// with a token method and a visible-ASCII target.
    InvalidRequestLine,
    /// The HTTP-version is neither `HTTP/1.0` nor `HTTP/1.1`.
    InvalidVersion,
    /// The bytes are the HTTP/2 connection preface (`PRI * HTTP/2.0`):
    /// the peer speaks HTTP/2 with prior knowledge. See
    /// [`crate::h1::is_h2_preface_prefix`] to route such connections
    /// before they reach this decoder.
    Http2Preface,
    /// A field name is not a token, or a line does not start with one
    /// (this includes whitespace between the start-line and the first
    /// field, and whitespace between a field name and its colon).
    InvalidHeaderName,
    /// A field value holds a control character.
    InvalidHeaderValue,
    /// A CR not immediately followed by LF in the head or trailers.
    BareCr,
    /// A field line continued on the next line by leading whitespace.
    ObsFold,
    /// An HTTP/1.1 request without a Host field.
    MissingHost,
    /// More than one Host field line.
    DuplicateHost,
    /// A Host value that is not `uri-host [ ":" port ]`.
    InvalidHost,
    /// A Content-Length value that is not a non-negative decimal `u64`.
    InvalidContentLength,
    /// Content-Length values that disagree with each other.
    ConflictingContentLength,
    /// Both Content-Length and Transfer-Encoding: the classic request
    /// smuggling shape.
    ContentLengthWithTransferEncoding,
    /// A Transfer-Encoding whose final coding is not a bare `chunked`, or
    /// that applies `chunked` more than once, or that lists no coding.
    InvalidTransferEncoding,
    /// A Transfer-Encoding in an HTTP/1.0 request, whose framing cannot
    /// be trusted.
    TransferEncodingInHttp10,
    /// A transfer coding other than `chunked` (we decode no others).
    UnsupportedTransferCoding,
    /// A chunk-size line that does not start with hex digits.
    InvalidChunkSize,
    /// A chunk size that does not fit in a `u64`.
    ChunkSizeOverflow,
    /// Chunk extensions longer than `Limits::max_chunk_ext_bytes`.
    ChunkExtensionTooLong,
    /// Chunk extensions that do not match the `chunk-ext` grammar.
    InvalidChunkExtension,
    /// A chunk-size line or chunk-data not terminated by CRLF.
    InvalidChunkDelimiter,
}

impl ParseError {
    /// The status code to answer with: the single mapping from a client's
    /// mistake to the wire.
    pub fn status(&self) -> u16 {
        match self {
            ParseError::HeadTooLarge | ParseError::TooManyHeaders => 431,
            ParseError::TargetTooLong => 414,
            ParseError::BodyTooLarge => 413,
            ParseError::UnsupportedTransferCoding => 501,
            ParseError::Http2Preface => 505,
            ParseError::InvalidRequestLine
            | ParseError::InvalidVersion
            | ParseError::InvalidHeaderName
            | ParseError::InvalidHeaderValue
            | ParseError::BareCr
            | ParseError::ObsFold
            | ParseError::MissingHost
            | ParseError::DuplicateHost
            | ParseError::InvalidHost
            | ParseError::InvalidContentLength
            | ParseError::ConflictingContentLength
            | ParseError::ContentLengthWithTransferEncoding
            | ParseError::InvalidTransferEncoding
            | ParseError::TransferEncodingInHttp10
            | ParseError::InvalidChunkSize
            | ParseError::ChunkSizeOverflow
            | ParseError::ChunkExtensionTooLong
            | ParseError::InvalidChunkExtension
            | ParseError::InvalidChunkDelimiter => 400,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::HeadTooLarge => "request header section too large",
            ParseError::TooManyHeaders => "too many header fields",
            ParseError::TargetTooLong => "request-target too long",
            ParseError::BodyTooLarge => "request content too large",
            ParseError::InvalidRequestLine => "malformed request-line",
            ParseError::InvalidVersion => "unsupported or malformed HTTP-version",
            ParseError::Http2Preface => "HTTP/2 connection preface on an HTTP/1.1 connection",
            ParseError::InvalidHeaderName => "malformed header field name",
            ParseError::InvalidHeaderValue => "control character in header field value",
            ParseError::BareCr => "CR not followed by LF",
            ParseError::ObsFold => "obsolete line folding is not accepted",
            ParseError::MissingHost => "HTTP/1.1 request without Host",
            ParseError::DuplicateHost => "more than one Host field",
            ParseError::InvalidHost => "malformed Host field value",
            ParseError::InvalidContentLength => "malformed Content-Length",
            ParseError::ConflictingContentLength => "conflicting Content-Length values",
            ParseError::ContentLengthWithTransferEncoding => {
                "both Content-Length and Transfer-Encoding"
            }
            ParseError::InvalidTransferEncoding => "Transfer-Encoding does not end in chunked",
            ParseError::TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            ParseError::UnsupportedTransferCoding => "unsupported transfer coding",
            ParseError::InvalidChunkSize => "malformed chunk size",
            ParseError::ChunkSizeOverflow => "chunk size too large",
            ParseError::ChunkExtensionTooLong => "chunk extensions too long",
            ParseError::InvalidChunkExtension => "malformed chunk extension",
            ParseError::InvalidChunkDelimiter => "chunk not terminated by CRLF",
        })
    }
}

impl std::error::Error for ParseError {}
