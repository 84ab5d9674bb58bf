//! The connection-level request decoder: bytes in, [`Event`]s out, for
//! as many requests as a keep-alive, possibly pipelined, connection
//! carries. It also owns what a request head *means*: version,
//! persistence, Host, and the message-body length rules of RFC 9112 §6.3,
//! applied strictly because disagreeing with a front proxy about where a
//! request ends is how requests get smuggled.
//!
//! It never touches a socket or a clock. The worker reads into its own
//! buffer, calls [`Decoder::decode`] on the unconsumed bytes, and drains
//! what each event consumed. Line framing and limits are `section.rs`;
//! body decoding is `body.rs`; answering is `response.rs`.

use super::body::{Body, Step};
use super::error::ParseError;
use super::section::{Scan, SectionKind, SectionScanner, owned_fields};

/// The HTTP/2 connection preface (RFC 9113 §3.4).
pub const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether `buf` is consistent with the HTTP/2 connection preface: every
/// byte so far matches it (an empty buffer matches). A worker that
/// accepts h2c with prior knowledge reads until this is false or
/// `buf.len() >= H2_PREFACE.len()`, and hands the connection to the
/// HTTP/2 engine if it is still true. If the preface reaches
/// [`Decoder::decode`] anyway, it fails with [`ParseError::Http2Preface`].
pub fn is_h2_preface_prefix(buf: &[u8]) -> bool {
    H2_PREFACE.starts_with(buf) || buf.starts_with(H2_PREFACE)
}

/// What a client may make us buffer or accept. Exceeding a limit is a
/// [`ParseError`] with the matching 4xx status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Request-line plus fields plus the empty line; also bounds each
    /// trailer section (431).
    pub max_head_bytes: usize,
    /// Field lines per head or trailer section (431).
    pub max_headers: usize,
    /// The request-target (414).
    pub max_target_bytes: usize,
    /// Declared Content-Length, or the running sum of chunk sizes (413).
    pub max_body_bytes: u64,
    /// Extensions on one chunk-size line (400).
    pub max_chunk_ext_bytes: usize,
}

impl Default for Limits {
    /// 16 KiB heads, 100 fields, 8 KiB targets, 1 GiB bodies, 256 bytes
    /// of chunk extensions.
    fn default() -> Self {
        Limits {
            max_head_bytes: 16 * 1024,
            max_headers: 100,
            max_target_bytes: 8 * 1024,
            max_body_bytes: 1 << 30,
            max_chunk_ext_bytes: 256,
        }
    }
}

/// The HTTP-version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`
    Http10,
    /// `HTTP/1.1`
    Http11,
}

/// How the request's body is framed (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: neither Content-Length nor Transfer-Encoding, or
    /// `Content-Length: 0`.
    Empty,
    /// Exactly this many octets (non-zero).
    Length(u64),
    /// Chunked transfer coding; the length is known at the end.
    Chunked,
}

/// A parsed request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// The method token, case preserved (methods are case-sensitive).
    pub method: String,
    /// The request-target as sent (visible ASCII).
    pub target: String,
    /// The HTTP-version.
    pub version: Version,
    /// Every field line in order, names lowercased, values with
    /// surrounding whitespace removed. Repeated names stay repeated.
    pub headers: Vec<(String, Vec<u8>)>,
    /// How the body is framed.
    pub body: BodyKind,
    /// Whether the connection may carry another request after this one:
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`.
    pub keep_alive: bool,
    /// An HTTP/1.1 request with `Expect: 100-continue`: the client may
    /// wait for `100 Continue` before sending the body.
    pub expect_continue: bool,
    /// The Upgrade field value of an HTTP/1.1 request whose Connection
    /// field lists `upgrade`, e.g. `websocket`.
    pub upgrade: Option<Vec<u8>>,
}

impl RequestHead {
    /// The first value of the field `name` (give it lowercased).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_slice())
    }
}

/// What the decoder found at the front of the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'b> {
    /// A complete request head. Always the first event of a request.
    Head(RequestHead),
    /// Body octets, transfer coding removed. Never empty.
    Data(&'b [u8]),
    /// The trailer fields of a chunked body, names lowercased; only sent
    /// when there are any, just before `End`. They are not merged into
    /// the head (RFC 9112 §7.1.2).
    Trailers(Vec<(String, Vec<u8>)>),
    /// The request is complete. For a request without a body this
    /// follows `Head` directly, consuming nothing.
    End,
}

/// Decodes the requests of one connection.
///
/// ```text
///        ┌─────────────── keep_alive ───────────────┐
///        ▼                                          │
///      Head ──Head──► Body ──Data…/Trailers──► Ending ──End──► Closed
///        │    (no body) ─────────────────────────▲   (not keep_alive)
///        └── any ParseError ──► Failed (returns it again)
/// ```
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    state: State,
}

/// Where the connection is between events.
#[derive(Debug)]
enum State {
    /// Waiting for (the rest of) a request head.
    Head(SectionScanner),
    /// Receiving a body.
    Body { body: Body, keep_alive: bool },
    /// The message is complete; `End` is next.
    Ending { keep_alive: bool },
    /// The last request ended and asked to close: RFC 9112 §9.6 "The
    /// server MUST NOT process any further requests received on that
    /// connection."
    Closed,
    /// The peer sent something invalid; nothing further is decoded.
    Failed(ParseError),
}

impl Decoder {
    /// A decoder for a fresh connection.
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            state: State::Head(SectionScanner::new(SectionKind::RequestHead)),
        }
    }

    /// Decodes from the front of `buf`, the connection's unconsumed bytes.
    ///
    /// Returns the event and how many bytes of `buf` it consumed; the
    /// caller drains those before the next call. `Ok(None)` means more
    /// bytes are needed and nothing was consumed: call again with the
    /// same bytes plus whatever arrives next (the decoder remembers how
    /// far it looked, so it does not rescan them). `Ok(None)` is also the
    /// answer forever after a request with `keep_alive == false` ends.
    ///
    /// An error is final: answer with [`crate::h1::error_response`] and
    /// close. Asking again returns the same error.
    ///
    /// If the caller accepts a request's `upgrade` (answers 101), the
    /// bytes after that request's `End` belong to the new protocol: it
    /// stops calling `decode` and hands them over undrained.
    pub fn decode<'b>(&mut self, buf: &'b [u8]) -> Result<Option<(Event<'b>, usize)>, ParseError> {
        let result = self.step(buf);
        if let Err(err) = result {
            self.state = State::Failed(err);
        }
        result
    }

    /// Whether the connection is between requests with nothing of the
    /// next one received: the moment it can be closed without loss.
    pub fn is_idle(&self) -> bool {
        matches!(&self.state, State::Head(scanner) if scanner.is_untouched())
    }

    fn step<'b>(&mut self, buf: &'b [u8]) -> Result<Option<(Event<'b>, usize)>, ParseError> {
        let limits = &self.limits;
        match &mut self.state {
            State::Failed(err) => Err(*err),
            State::Closed => Ok(None),
            State::Ending { keep_alive } => {
                self.state = after_end(*keep_alive);
                Ok(Some((Event::End, 0)))
            }
            State::Head(scanner) => {
                match scanner.scan(buf, limits.max_head_bytes, limits.max_headers)? {
                    Scan::Partial => {
                        if let Some(line) = scanner.partial_request_line() {
                            check_partial_target(buf.get(line..).unwrap_or_default(), limits)?;
                        }
                        Ok(None)
                    }
                    Scan::Complete { start, end, fields } => {
                        let bytes = buf.get(start..end).unwrap_or_default();
                        let head = parse_head(bytes, fields, limits)?;
                        let keep_alive = head.keep_alive;
                        self.state = match head.body {
                            BodyKind::Empty => State::Ending { keep_alive },
                            BodyKind::Length(remaining) => State::Body {
                                body: Body::Length { remaining },
                                keep_alive,
                            },
                            BodyKind::Chunked => State::Body {
                                body: Body::chunked(),
                                keep_alive,
                            },
                        };
                        Ok(Some((Event::Head(head), end)))
                    }
                }
            }
            State::Body { body, keep_alive } => {
                let keep_alive = *keep_alive;
                match body.step(buf, limits)? {
                    Step::NeedMore => Ok(None),
                    Step::Data {
                        data,
                        consumed,
                        last,
                    } => {
                        if last {
                            self.state = State::Ending { keep_alive };
                        }
                        Ok(Some((Event::Data(data), consumed)))
                    }
                    Step::Finished { trailers, consumed } if trailers.is_empty() => {
                        self.state = after_end(keep_alive);
                        Ok(Some((Event::End, consumed)))
                    }
                    Step::Finished { trailers, consumed } => {
                        self.state = State::Ending { keep_alive };
                        Ok(Some((Event::Trailers(trailers), consumed)))
                    }
                }
            }
        }
    }
}

fn after_end(keep_alive: bool) -> State {
    if keep_alive {
        State::Head(SectionScanner::new(SectionKind::RequestHead))
    } else {
        State::Closed
    }
}

/// Answers 414 before the head is complete when the target alone is
/// already too long, rather than 431 once the head limit is hit.
fn check_partial_target(line: &[u8], limits: &Limits) -> Result<(), ParseError> {
    if line.len() <= limits.max_target_bytes {
        return Ok(());
    }
    let Some(space) = line.iter().position(|b| *b == b' ') else {
        return Ok(());
    };
    let target = line.get(space + 1..).unwrap_or_default();
    let target_len = target
        .iter()
        .position(|b| *b == b' ' || *b == b'\r' || *b == b'\n')
        .unwrap_or(target.len());
    if target_len > limits.max_target_bytes {
        // RFC 9112 §3: "A server that receives a request-target longer
        // than any URI it wishes to parse MUST respond with a 414 (URI
        // Too Long) status code".
        return Err(ParseError::TargetTooLong);
    }
    Ok(())
}

/// Parses a complete head (request-line through the empty line) that has
/// `fields` field lines.
fn parse_head(bytes: &[u8], fields: usize, limits: &Limits) -> Result<RequestHead, ParseError> {
    if bytes.starts_with(b"PRI * HTTP/2.0") {
        return Err(ParseError::Http2Preface);
    }
    let mut slots = vec![httparse::EMPTY_HEADER; fields];
    let mut request = httparse::Request::new(&mut slots);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        // The scanner found the empty line, so httparse cannot want more.
        Ok(httparse::Status::Partial) => return Err(ParseError::InvalidRequestLine),
        Err(err) => {
            return Err(match err {
                httparse::Error::HeaderName => ParseError::InvalidHeaderName,
                httparse::Error::HeaderValue => ParseError::InvalidHeaderValue,
                httparse::Error::TooManyHeaders => ParseError::TooManyHeaders,
                httparse::Error::Version => ParseError::InvalidVersion,
                httparse::Error::Token | httparse::Error::Status | httparse::Error::NewLine => {
                    ParseError::InvalidRequestLine
                }
            });
        }
    }
    let (Some(method), Some(target), Some(version)) =
        (request.method, request.path, request.version)
    else {
        return Err(ParseError::InvalidRequestLine);
    };
    if target.len() > limits.max_target_bytes {
        // RFC 9112 §3: "... MUST respond with a 414 (URI Too Long)".
        return Err(ParseError::TargetTooLong);
    }
    if !target.is_ascii() {
        return Err(ParseError::InvalidRequestLine);
    }
    let version = match version {
        0 => Version::Http10,
        1 => Version::Http11,
        _ => return Err(ParseError::InvalidVersion),
    };
    let headers = owned_fields(request.headers);
    let framing = Framing::of(version, &headers, limits)?;
    Ok(RequestHead {
        method: method.to_owned(),
        target: target.to_owned(),
        version,
        headers,
        body: framing.body,
        keep_alive: framing.keep_alive,
        expect_continue: framing.expect_continue,
        upgrade: framing.upgrade,
    })
}

/// What the fields of a head say about the message and the connection.
struct Framing {
    body: BodyKind,
    keep_alive: bool,
    expect_continue: bool,
    upgrade: Option<Vec<u8>>,
}

impl Framing {
    fn of(
        version: Version,
        headers: &[(String, Vec<u8>)],
        limits: &Limits,
    ) -> Result<Framing, ParseError> {
        let body = body_kind(version, headers, limits)?;
        check_host(version, headers)?;

        let mut close = false;
        let mut keep_alive_token = false;
        let mut upgrade_token = false;
        for option in list_elements(headers, "connection") {
            close |= option.eq_ignore_ascii_case(b"close");
            keep_alive_token |= option.eq_ignore_ascii_case(b"keep-alive");
            upgrade_token |= option.eq_ignore_ascii_case(b"upgrade");
        }
        let http11 = version == Version::Http11;
        let keep_alive = !close && (http11 || keep_alive_token);
        // RFC 9110 §10.1.1: "A server that receives a 100-continue
        // expectation in an HTTP/1.0 request MUST ignore that expectation."
        let expect_continue = http11
            && list_elements(headers, "expect").any(|e| e.eq_ignore_ascii_case(b"100-continue"));
        // RFC 9110 §7.8: "A server that receives an Upgrade header field
        // in an HTTP/1.0 request MUST ignore that Upgrade field."
        let upgrade = if http11 && upgrade_token {
            field(headers, "upgrade").map(<[u8]>::to_vec)
        } else {
            None
        };
        Ok(Framing {
            body,
            keep_alive,
            expect_continue,
            upgrade,
        })
    }
}

/// RFC 9112 §6.3, rules 3 to 7, for requests.
fn body_kind(
    version: Version,
    headers: &[(String, Vec<u8>)],
    limits: &Limits,
) -> Result<BodyKind, ParseError> {
    let has_te = field(headers, "transfer-encoding").is_some();
    let has_cl = field(headers, "content-length").is_some();
    if has_te && has_cl {
        // Rule 3: "Such a message might indicate an attempt to perform
        // request smuggling ... and ought to be handled as an error."
        return Err(ParseError::ContentLengthWithTransferEncoding);
    }
    if has_te {
        // RFC 9112 §6.1: a server "that receives an HTTP/1.0 message
        // containing a Transfer-Encoding header field MUST treat the
        // message as if the framing is faulty".
        if version == Version::Http10 {
            return Err(ParseError::TransferEncodingInHttp10);
        }
        let mut codings = list_elements(headers, "transfer-encoding").peekable();
        let mut saw_final = false;
        let mut unsupported = false;
        while let Some(coding) = codings.next() {
            let is_chunked = coding.eq_ignore_ascii_case(b"chunked");
            if codings.peek().is_none() {
                saw_final = is_chunked;
            } else if is_chunked {
                // RFC 9112 §6.1: "A sender MUST NOT apply the chunked
                // transfer coding more than once to a message body".
                return Err(ParseError::InvalidTransferEncoding);
            } else {
                unsupported = true;
            }
        }
        if !saw_final {
            // Rule 4: "If a Transfer-Encoding header field is present in
            // a request and the chunked transfer coding is not the final
            // encoding ... the server MUST respond with the 400 (Bad
            // Request) status code and then close the connection."
            return Err(ParseError::InvalidTransferEncoding);
        }
        if unsupported {
            // RFC 9112 §6.1: "A server that receives a request message
            // with a transfer coding it does not understand SHOULD
            // respond with 501 (Not Implemented)."
            return Err(ParseError::UnsupportedTransferCoding);
        }
        return Ok(BodyKind::Chunked);
    }
    let mut length = None;
    for (_, value) in headers.iter().filter(|(name, _)| name == "content-length") {
        // Rule 5 accepts a list of identical valid values ("5, 5"). Each
        // element must be 1*DIGIT: unlike list fields, empty elements
        // are refused, since a peer reading "," as 0 would disagree with
        // us about where this request ends.
        for element in value.split(|b| *b == b',') {
            let parsed = decimal(trim_ows(element)).ok_or(ParseError::InvalidContentLength)?;
            match length {
                Some(seen) if seen != parsed => {
                    // Rule 5: "the recipient MUST treat it as an
                    // unrecoverable error ... the server MUST respond
                    // with a 400 (Bad Request) status code".
                    return Err(ParseError::ConflictingContentLength);
                }
                _ => length = Some(parsed),
            }
        }
    }
    match length {
        // Rule 7: "If this is a request message and none of the above
        // are true, then the message body length is zero".
        None | Some(0) => Ok(BodyKind::Empty),
        Some(length) if length > limits.max_body_bytes => Err(ParseError::BodyTooLarge),
        Some(length) => Ok(BodyKind::Length(length)),
    }
}

/// RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status
/// code to any HTTP/1.1 request message that lacks a Host header field
/// and to any request message that contains more than one Host header
/// field line or a Host header field with an invalid field value."
fn check_host(version: Version, headers: &[(String, Vec<u8>)]) -> Result<(), ParseError> {
    let mut hosts = headers.iter().filter(|(name, _)| name == "host");
    match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::Http11 => Err(ParseError::MissingHost),
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err(ParseError::DuplicateHost),
        (Some((_, value)), None) if value.iter().all(|b| is_host_byte(*b)) => Ok(()),
        (Some(_), None) => Err(ParseError::InvalidHost),
    }
}

/// Bytes of `uri-host [ ":" port ]` (RFC 3986 §3.2.2): unreserved,
/// sub-delims, percent-encoding, and the IP-literal brackets and colons.
fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%:[]".contains(&b)
}

/// The first value of field `name`.
fn field<'h>(headers: &'h [(String, Vec<u8>)], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_slice())
}

/// The non-empty elements of the list field `name` across all its field
/// lines (RFC 9110 §5.6.1: a recipient "MUST parse and ignore a
/// reasonable number of empty list elements"). Each element is trimmed;
/// parameters (`gzip; q=1`) stay attached, so they never compare equal to
/// a bare token.
fn list_elements<'h>(
    headers: &'h [(String, Vec<u8>)],
    name: &'h str,
) -> impl Iterator<Item = &'h [u8]> + 'h {
    headers
        .iter()
        .filter(move |(field, _)| field == name)
        .flat_map(|(_, value)| value.split(|b| *b == b','))
        .map(trim_ows)
        .filter(|element| !element.is_empty())
}

fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// `1*DIGIT` as a `u64`; `None` if empty, not digits, or too large.
fn decimal(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0u64, |acc, b| {
        let digit = char::from(*b).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests;
