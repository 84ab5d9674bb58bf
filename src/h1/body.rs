//! Request bodies: counting down a Content-Length, and removing the
//! chunked transfer coding (RFC 9112 §7.1) strictly — hex sizes with
//! overflow checks, bounded and validated chunk extensions, CRLF after
//! every size line and every chunk, and a bounded trailer section.
//!
//! A [`Body`] works on the caller's unconsumed buffer. When it needs more
//! bytes it remembers how far it has validated (`pending`) instead of
//! consuming framing bytes without an event, so the decoder's contract
//! ("`Ok(None)` consumed nothing") holds and no byte is parsed twice.
//! This file does not decide *whether* a request has a body; that is
//! `request.rs`, from the head.

use super::error::ParseError;
use super::request::Limits;
use super::section::{Scan, SectionKind, SectionScanner, owned_fields};

/// A body being received.
#[derive(Debug)]
pub(super) enum Body {
    /// `remaining` octets of a Content-Length body are still to come.
    Length { remaining: u64 },
    /// A chunked body.
    Chunked(Chunked),
}

/// Progress through a chunked body.
#[derive(Debug)]
pub(super) struct Chunked {
    /// Sum of the chunk sizes announced so far (bounded by
    /// `max_body_bytes`).
    announced: u64,
    phase: Phase,
    /// Bytes at the front of the caller's buffer already validated but
    /// not yet consumed (they are consumed with the next event).
    pending: usize,
}

/// Where in the chunked grammar the next byte belongs.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// `chunk-size [ chunk-ext ] CRLF`
    Size,
    /// `chunk-data`, `remaining` octets of it.
    Data { remaining: u64 },
    /// The CRLF after `chunk-data`.
    DataEnd,
    /// `trailer-section CRLF`, after `last-chunk`.
    Trailers(SectionScanner),
}

/// What one call to [`Body::step`] produced.
#[derive(Debug)]
pub(super) enum Step<'b> {
    /// Nothing can be produced until more bytes arrive.
    NeedMore,
    /// Body octets, and how many buffer bytes (framing included) to
    /// consume with them. `last` says the body is complete after them.
    Data {
        data: &'b [u8],
        consumed: usize,
        last: bool,
    },
    /// A chunked body ended; its trailer fields (often none).
    Finished {
        trailers: Vec<(String, Vec<u8>)>,
        consumed: usize,
    },
}

/// The longest chunk-size numeral we read, leading zeros included. A
/// `u64` needs 16 hex digits; the slack admits harmless zero padding.
const MAX_SIZE_DIGITS: usize = 32;

impl Body {
    /// A chunked body about to start.
    pub(super) fn chunked() -> Self {
        Body::Chunked(Chunked {
            announced: 0,
            phase: Phase::Size,
            pending: 0,
        })
    }

    /// Decodes from the front of `buf`.
    pub(super) fn step<'b>(
        &mut self,
        buf: &'b [u8],
        limits: &Limits,
    ) -> Result<Step<'b>, ParseError> {
        match self {
            Body::Length { remaining } => {
                let take = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                let Some(data) = buf.get(..take).filter(|data| !data.is_empty()) else {
                    return Ok(Step::NeedMore);
                };
                // `take <= *remaining`, so this cannot underflow.
                *remaining = remaining.saturating_sub(take as u64);
                Ok(Step::Data {
                    data,
                    consumed: take,
                    last: *remaining == 0,
                })
            }
            Body::Chunked(chunked) => chunked.step(buf, limits),
        }
    }
}

impl Chunked {
    fn step<'b>(&mut self, buf: &'b [u8], limits: &Limits) -> Result<Step<'b>, ParseError> {
        let mut pos = self.pending;
        loop {
            // `pos` only grows past bytes that were present in `buf`; an
            // out-of-range value means the caller broke the contract by
            // shrinking the buffer, and waiting is the harmless answer.
            let Some(rest) = buf.get(pos..) else {
                return Ok(Step::NeedMore);
            };
            match self.phase {
                Phase::Size => {
                    let Some((size, line_len)) = size_line(rest, limits.max_chunk_ext_bytes)?
                    else {
                        break;
                    };
                    pos += line_len;
                    if size == 0 {
                        self.phase = Phase::Trailers(SectionScanner::new(SectionKind::Trailers));
                    } else {
                        self.announced = self
                            .announced
                            .checked_add(size)
                            .filter(|total| *total <= limits.max_body_bytes)
                            .ok_or(ParseError::BodyTooLarge)?;
                        self.phase = Phase::Data { remaining: size };
                    }
                }
                Phase::Data { remaining } => {
                    let take = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(rest.len());
                    let Some(data) = rest.get(..take).filter(|data| !data.is_empty()) else {
                        break;
                    };
                    let left = remaining.saturating_sub(take as u64);
                    self.phase = if left == 0 {
                        Phase::DataEnd
                    } else {
                        Phase::Data { remaining: left }
                    };
                    self.pending = 0;
                    return Ok(Step::Data {
                        data,
                        consumed: pos + take,
                        last: false,
                    });
                }
                Phase::DataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.phase = Phase::Size;
                    }
                    [] | [b'\r'] => break,
                    _ => return Err(ParseError::InvalidChunkDelimiter),
                },
                Phase::Trailers(mut scanner) => {
                    let scan = scanner.scan(rest, limits.max_head_bytes, limits.max_headers)?;
                    self.phase = Phase::Trailers(scanner);
                    let Scan::Complete { end, fields, .. } = scan else {
                        break;
                    };
                    let section = rest.get(..end).unwrap_or_default();
                    let trailers = trailer_fields(section, fields)?;
                    self.pending = 0;
                    return Ok(Step::Finished {
                        trailers,
                        consumed: pos + end,
                    });
                }
            }
        }
        self.pending = pos;
        Ok(Step::NeedMore)
    }
}

/// Parses `chunk-size [ chunk-ext ] CRLF` at the front of `buf`: the size
/// and the line's length, or `None` if the line is incomplete.
fn size_line(buf: &[u8], max_ext: usize) -> Result<Option<(u64, usize)>, ParseError> {
    let digits = buf.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits > MAX_SIZE_DIGITS {
        return Err(ParseError::ChunkSizeOverflow);
    }
    if digits == buf.len() {
        return Ok(None);
    }
    if digits == 0 {
        return Err(ParseError::InvalidChunkSize);
    }
    let mut size: u64 = 0;
    for &digit in buf.iter().take(digits) {
        let value = char::from(digit)
            .to_digit(16)
            .ok_or(ParseError::InvalidChunkSize)?;
        // RFC 9112 §7.1: "recipients MUST anticipate potentially large
        // hexadecimal numerals and prevent parsing errors due to integer
        // conversion overflows".
        size = size
            .checked_mul(16)
            .and_then(|size| size.checked_add(u64::from(value)))
            .ok_or(ParseError::ChunkSizeOverflow)?;
    }
    let rest = buf.get(digits..).unwrap_or_default();
    // The extensions, then CR, then LF: at most `max_ext + 2` bytes.
    let window = rest
        .get(..rest.len().min(max_ext.saturating_add(2)))
        .unwrap_or_default();
    let Some(lf) = window.iter().position(|b| *b == b'\n') else {
        return if rest.len() >= max_ext.saturating_add(2) {
            Err(ParseError::ChunkExtensionTooLong)
        } else {
            Ok(None)
        };
    };
    // A bare LF is not a chunk line terminator here: RFC 9112 §2.2's
    // leniency covers the start-line and fields only.
    let Some(cr) = lf
        .checked_sub(1)
        .filter(|cr| window.get(*cr) == Some(&b'\r'))
    else {
        return Err(ParseError::InvalidChunkDelimiter);
    };
    let ext = window.get(..cr).unwrap_or_default();
    if ext.len() > max_ext {
        return Err(ParseError::ChunkExtensionTooLong);
    }
    // RFC 9112 §7.1.1: "A recipient MUST ignore unrecognized chunk
    // extensions" — we check their syntax and ignore them all.
    validate_chunk_ext(ext)?;
    Ok(Some((size, digits + lf + 1)))
}

/// Checks `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`.
fn validate_chunk_ext(ext: &[u8]) -> Result<(), ParseError> {
    let invalid = ParseError::InvalidChunkExtension;
    let mut rest = ext;
    while !rest.is_empty() {
        rest = skip_bws(rest);
        rest = rest.strip_prefix(b";").ok_or(invalid)?;
        rest = skip_token(skip_bws(rest)).ok_or(invalid)?;
        let after_bws = skip_bws(rest);
        if let Some(value) = after_bws.strip_prefix(b"=") {
            let value = skip_bws(value);
            rest = if value.first() == Some(&b'"') {
                skip_quoted_string(value).ok_or(invalid)?
            } else {
                skip_token(value).ok_or(invalid)?
            };
        } else if !after_bws.is_empty() {
            rest = after_bws;
        } else if after_bws.len() != rest.len() {
            // Trailing whitespace with nothing after it.
            return Err(invalid);
        }
    }
    Ok(())
}

fn skip_bws(bytes: &[u8]) -> &[u8] {
    let ws = bytes
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count();
    bytes.get(ws..).unwrap_or_default()
}

/// Skips `1*tchar`; `None` if there is none.
fn skip_token(bytes: &[u8]) -> Option<&[u8]> {
    let len = bytes.iter().take_while(|b| is_tchar(**b)).count();
    (len > 0).then(|| bytes.get(len..).unwrap_or_default())
}

/// Skips a `quoted-string` starting at `bytes[0] == '"'`.
fn skip_quoted_string(bytes: &[u8]) -> Option<&[u8]> {
    let mut iter = bytes.iter().enumerate().skip(1);
    while let Some((i, &b)) = iter.next() {
        match b {
            b'"' => return bytes.get(i + 1..),
            b'\\' => {
                let (_, &escaped) = iter.next()?;
                if !(escaped == b'\t' || escaped == b' ' || escaped >= 0x21) || escaped == 0x7f {
                    return None;
                }
            }
            b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff => {}
            _ => return None,
        }
    }
    None
}

/// `tchar` of RFC 9110 §5.6.2.
pub(super) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a complete trailer section of `fields` field lines.
fn trailer_fields(section: &[u8], fields: usize) -> Result<Vec<(String, Vec<u8>)>, ParseError> {
    let mut slots = vec![httparse::EMPTY_HEADER; fields];
    match httparse::parse_headers(section, &mut slots) {
        Ok(httparse::Status::Complete((_, headers))) => Ok(owned_fields(headers)),
        Ok(httparse::Status::Partial) => Err(ParseError::InvalidHeaderName),
        Err(httparse::Error::HeaderValue) => Err(ParseError::InvalidHeaderValue),
        Err(httparse::Error::TooManyHeaders) => Err(ParseError::TooManyHeaders),
        Err(_) => Err(ParseError::InvalidHeaderName),
    }
}

#[cfg(test)]
mod tests;
