//! Finding where a request head or a trailer section ends, before any
//! parsing: the line-level framing rules of RFC 9112 §2.2 and §5.2, and
//! the size limits, applied as bytes arrive.
//!
//! `httparse` tokenises a complete head, but it accepts a partial head of
//! any length and reports a bare CR or a folded line as a generic error.
//! This scanner runs first so that the limits hold while a head is still
//! partial (a client cannot make us buffer past `max_head_bytes`) and so
//! that smuggling-shaped input gets its own error. It is resumable: it
//! remembers how far it has looked, so a head that arrives a byte at a
//! time is scanned once, not once per byte.
//!
//! It does not look inside lines; names, values and the request-line are
//! `request.rs`'s business.

use super::error::ParseError;

/// Which field section is being scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SectionKind {
    /// A request-line, field lines, and an empty line. Empty lines before
    /// the request-line are skipped.
    RequestHead,
    /// Field lines and an empty line, after a chunked body's last chunk.
    Trailers,
}

/// How far a section has been scanned. Offsets are into the caller's
/// unconsumed buffer, which the decoder contract keeps stable between
/// calls that return `Ok(None)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct SectionScanner {
    kind: SectionKind,
    /// Next byte to look at.
    pos: usize,
    /// Where the line being scanned starts.
    line_start: usize,
    /// Where the section starts (after skipped empty lines).
    start: usize,
    /// Complete non-empty lines seen (request-line included).
    lines: usize,
}

/// A scanned section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scan {
    /// More bytes are needed.
    Partial,
    /// The section is `buf[start..end]`, `end` just past its empty line,
    /// and has `fields` field lines.
    Complete {
        start: usize,
        end: usize,
        fields: usize,
    },
}

impl SectionScanner {
    pub(super) fn new(kind: SectionKind) -> Self {
        SectionScanner {
            kind,
            pos: 0,
            line_start: 0,
            start: 0,
            lines: 0,
        }
    }

    /// Whether any byte has been looked at.
    pub(super) fn is_untouched(&self) -> bool {
        self.pos == 0
    }

    /// Where the request-line starts, while it is still incomplete.
    pub(super) fn partial_request_line(&self) -> Option<usize> {
        (self.kind == SectionKind::RequestHead && self.lines == 0).then_some(self.line_start)
    }

    /// Index of the first field line among `lines`.
    fn first_field_line(&self) -> usize {
        match self.kind {
            SectionKind::RequestHead => 1,
            SectionKind::Trailers => 0,
        }
    }

    /// Scans `buf` (the same bytes as last time, plus possibly more) from
    /// where the previous call stopped.
    pub(super) fn scan(
        &mut self,
        buf: &[u8],
        max_bytes: usize,
        max_fields: usize,
    ) -> Result<Scan, ParseError> {
        let limit = buf.len().min(max_bytes);
        while self.pos < limit {
            let Some(&byte) = buf.get(self.pos) else {
                break;
            };
            let in_fields = self.lines >= self.first_field_line();
            if self.pos == self.line_start && in_fields && (byte == b' ' || byte == b'\t') {
                // RFC 9112 §5.2: "A server that receives an obs-fold in a
                // request message ... MUST either reject the message by
                // sending a 400 (Bad Request) ..." — we reject. A first
                // field line that starts with whitespace is RFC 9112 §2.2's
                // "whitespace between the start-line and the first header
                // field", which we also reject, as an invalid name.
                return Err(if self.lines > self.first_field_line() {
                    ParseError::ObsFold
                } else {
                    ParseError::InvalidHeaderName
                });
            }
            match byte {
                b'\r' => match buf.get(self.pos + 1) {
                    // Decide once the next byte arrives.
                    None => return Ok(Scan::Partial),
                    Some(b'\n') => self.pos += 1,
                    // RFC 9112 §2.2: "A recipient of such a bare CR MUST
                    // consider that element to be invalid or replace each
                    // bare CR with SP" — we consider it invalid.
                    Some(_) => return Err(ParseError::BareCr),
                },
                // RFC 9112 §2.2: "a recipient MAY recognize a single LF as
                // a line terminator and ignore any preceding CR" — we do,
                // as httparse does, so both layers agree on line ends.
                b'\n' => {
                    let content_end =
                        if self.pos > self.line_start && buf.get(self.pos - 1) == Some(&b'\r') {
                            self.pos - 1
                        } else {
                            self.pos
                        };
                    let empty = content_end == self.line_start;
                    self.pos += 1;
                    if empty {
                        if self.kind == SectionKind::RequestHead && self.lines == 0 {
                            // RFC 9112 §2.2: a server "SHOULD ignore at
                            // least one empty line (CRLF) received prior to
                            // the request-line". They count toward the limit.
                            self.line_start = self.pos;
                            self.start = self.pos;
                            continue;
                        }
                        return Ok(Scan::Complete {
                            start: self.start,
                            end: self.pos,
                            fields: self.lines.saturating_sub(self.first_field_line()),
                        });
                    }
                    self.lines += 1;
                    self.line_start = self.pos;
                    if self.lines.saturating_sub(self.first_field_line()) > max_fields {
                        return Err(ParseError::TooManyHeaders);
                    }
                }
                _ => self.pos += 1,
            }
        }
        if buf.len() > max_bytes {
            return Err(ParseError::HeadTooLarge);
        }
        Ok(Scan::Partial)
    }
}

/// Copies parsed fields out of the connection buffer, names lowercased
/// (field names are case-insensitive; lowercase is HTTP/2's spelling).
pub(super) fn owned_fields(headers: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|header| (header.name.to_ascii_lowercase(), header.value.to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(kind: SectionKind, buf: &[u8]) -> Result<Scan, ParseError> {
        SectionScanner::new(kind).scan(buf, 64, 4)
    }

    #[test]
    fn head_ends_at_the_first_empty_line() {
        let buf = b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        assert_eq!(
            scan_all(SectionKind::RequestHead, buf),
            Ok(Scan::Complete {
                start: 2,
                end: 29,
                fields: 1
            })
        );
    }

    #[test]
    fn trailers_may_be_empty() {
        assert_eq!(
            scan_all(SectionKind::Trailers, b"\r\n"),
            Ok(Scan::Complete {
                start: 0,
                end: 2,
                fields: 0
            })
        );
    }

    #[test]
    fn scanning_resumes_where_it_stopped() {
        let buf = b"GET / HTTP/1.1\nHost: a\n\n";
        let mut scanner = SectionScanner::new(SectionKind::RequestHead);
        for end in 0..buf.len() {
            assert_eq!(scanner.scan(&buf[..end], 64, 4), Ok(Scan::Partial));
        }
        assert_eq!(
            scanner.scan(buf, 64, 4),
            Ok(Scan::Complete {
                start: 0,
                end: buf.len(),
                fields: 1
            })
        );
    }

    #[test]
    fn a_cr_at_the_end_waits_for_the_next_byte() {
        let mut scanner = SectionScanner::new(SectionKind::RequestHead);
        assert_eq!(scanner.scan(b"GET / HTTP/1.1\r", 64, 4), Ok(Scan::Partial));
        assert_eq!(
            scanner.scan(b"GET / HTTP/1.1\rX", 64, 4),
            Err(ParseError::BareCr)
        );
    }

    #[test]
    fn limits_apply_before_the_section_is_complete() {
        let long = [b'a'; 65];
        assert_eq!(
            scan_all(SectionKind::RequestHead, &long),
            Err(ParseError::HeadTooLarge)
        );
        let many = b"GET / HTTP/1.1\na:1\nb:1\nc:1\nd:1\ne:1\n";
        assert_eq!(
            scan_all(SectionKind::RequestHead, many),
            Err(ParseError::TooManyHeaders)
        );
    }

    #[test]
    fn folded_and_indented_lines_are_rejected() {
        assert_eq!(
            scan_all(SectionKind::RequestHead, b"GET / HTTP/1.1\r\n a: 1\r\n"),
            Err(ParseError::InvalidHeaderName)
        );
        assert_eq!(
            scan_all(SectionKind::Trailers, b"a: 1\r\n\tmore\r\n"),
            Err(ParseError::ObsFold)
        );
    }
}
