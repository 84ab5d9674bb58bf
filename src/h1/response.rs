//! Writing HTTP/1.1 responses into the connection's output buffer: the
//! status line and head with the framing fields this codec owns, chunked
//! body encoding, `100 Continue`, and the canned answer to a
//! [`ParseError`].
//!
//! It does not decide framing; the caller chooses a [`BodyFraming`]
//! (Content-Length when the size is known, chunked otherwise) and must
//! not choose chunked for an HTTP/1.0 request (RFC 9112 §6.1: "A server
//! MUST NOT send a response containing Transfer-Encoding unless the
//! corresponding request indicates HTTP/1.1").

use super::body::is_tchar;
use super::error::ParseError;

/// A response head to encode. Framing (`content-length`,
/// `transfer-encoding`), `date` and `connection: close` are written by
/// [`encode_head`]; copies of the first three in `headers` are skipped.
#[derive(Clone, Copy, Debug)]
pub struct ResponseHead<'a> {
    /// Three-digit status code.
    pub status: u16,
    /// Fields after the ones the codec writes, as `(name, value)`, in
    /// order. Names should be lowercase tokens; values must not hold CR,
    /// LF or NUL.
    pub headers: &'a [(&'a str, &'a [u8])],
}

/// How the response body will be delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No content: `content-length: 0`, or nothing for statuses that
    /// never have content (1xx, 204, 304).
    Empty,
    /// Exactly this many octets follow. For a response to HEAD, the
    /// length the GET would have had, and no octets follow.
    Length(u64),
    /// Chunks from [`encode_chunk`], ended by [`encode_last_chunk`].
    Chunked,
}

/// Appends the status line, `date`, the framing field, `connection:
/// close` unless `keep_alive`, the caller's fields and the empty line.
///
/// An out-of-range status is written as 500. A caller field whose name is
/// not a token or whose value holds CR, LF or NUL is dropped (and logged
/// as our bug) rather than let it split the response.
pub fn encode_head(
    head: &ResponseHead<'_>,
    framing: BodyFraming,
    keep_alive: bool,
    date: &[u8],
    out: &mut Vec<u8>,
) {
    let status = if (100..=999).contains(&head.status) {
        head.status
    } else {
        log::error!("response status {} out of range; sending 500", head.status);
        500
    };
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\ndate: ");
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n");

    // RFC 9110 §8.6: "A server MUST NOT send a Content-Length header
    // field in any response with a status code of 1xx (Informational) or
    // 204 (No Content)." RFC 9112 §6.1 says the same of Transfer-Encoding.
    let no_content = status < 200 || status == 204;
    match framing {
        _ if no_content => {}
        BodyFraming::Length(length) => {
            out.extend_from_slice(b"content-length: ");
            push_decimal(out, length);
            out.extend_from_slice(b"\r\n");
        }
        // A 304 has no content; Content-Length there would describe the
        // 200, which we only know if the caller said Length.
        BodyFraming::Empty | BodyFraming::Chunked if status == 304 => {}
        BodyFraming::Empty => out.extend_from_slice(b"content-length: 0\r\n"),
        BodyFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    }
    for &(name, value) in head.headers {
        if ["content-length", "transfer-encoding", "date"]
            .iter()
            .any(|owned| name.eq_ignore_ascii_case(owned))
        {
            continue;
        }
        let name_ok = !name.is_empty() && name.bytes().all(is_tchar);
        let value_ok = !value.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0'));
        if !(name_ok && value_ok) {
            log::error!("dropping response field {name:?}: invalid name or value");
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `HTTP/1.1 100 Continue`, the interim answer to a request with
/// `expect_continue` whose body the application wants.
pub fn encode_continue(out: &mut Vec<u8>) {
    out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
}

/// Appends one chunk. An empty `data` appends nothing: a zero-size chunk
/// would end the body.
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    push_hex(out, data.len());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last chunk and an empty trailer section.
pub fn encode_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

/// Appends a complete response for a request that failed to parse: the
/// error's status, a one-line plain-text explanation (RFC 9112 §5.2 asks
/// for one for obs-fold), and `connection: close`. The caller closes the
/// connection once it is written.
pub fn error_response(err: &ParseError, date: &[u8], out: &mut Vec<u8>) {
    let body = format!("{err}\n");
    let head = ResponseHead {
        status: err.status(),
        headers: &[("content-type", b"text/plain; charset=utf-8")],
    };
    encode_head(
        &head,
        BodyFraming::Length(body.len() as u64),
        false,
        date,
        out,
    );
    out.extend_from_slice(body.as_bytes());
}

/// The RFC 9110 §15 reason phrase for `status`, or `""` for codes it
/// does not define (the status line keeps its space either way).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

fn push_decimal(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `value % 10 < 10`, and 20 digits hold any u64.
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

fn push_hex(out: &mut Vec<u8>, value: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let nibbles = (usize::BITS - value.leading_zeros()).div_ceil(4).max(1);
    for shift in (0..nibbles).rev() {
        out.push(HEX[(value >> (shift * 4)) & 0xf]);
    }
}

#[cfg(test)]
mod tests;
