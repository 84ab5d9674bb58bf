//! Response encoding, compared byte for byte.

use super::*;

const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

fn head(status: u16, headers: &[(&str, &[u8])], framing: BodyFraming, keep_alive: bool) -> String {
    let mut out = Vec::new();
    let head = ResponseHead { status, headers };
    encode_head(&head, framing, keep_alive, DATE, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn a_sized_response_carries_date_and_content_length() {
    assert_eq!(
        head(
            200,
            &[("content-type", b"text/plain")],
            BodyFraming::Length(12),
            true
        ),
        "HTTP/1.1 200 OK\r\n\
         date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         content-length: 12\r\n\
         content-type: text/plain\r\n\
         \r\n"
    );
}

#[test]
fn a_streamed_response_is_chunked_and_may_close() {
    assert_eq!(
        head(404, &[], BodyFraming::Chunked, false),
        "HTTP/1.1 404 Not Found\r\n\
         date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         transfer-encoding: chunked\r\n\
         connection: close\r\n\
         \r\n"
    );
    let mut out = Vec::new();
    encode_chunk(b"hello", &mut out);
    encode_chunk(b"", &mut out);
    encode_chunk(&[b'x'; 26], &mut out);
    encode_last_chunk(&mut out);
    let expected = [&b"5\r\nhello\r\n1a\r\n"[..], &[b'x'; 26], b"\r\n0\r\n\r\n"].concat();
    assert_eq!(out, expected);
}

#[test]
fn statuses_without_content_get_no_framing() {
    let no_framing = |status: u16, reason: &str| {
        format!("HTTP/1.1 {status} {reason}\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
    };
    assert_eq!(
        head(204, &[], BodyFraming::Length(5), true),
        no_framing(204, "No Content")
    );
    assert_eq!(
        head(101, &[], BodyFraming::Chunked, true),
        no_framing(101, "Switching Protocols")
    );
    assert_eq!(
        head(304, &[], BodyFraming::Empty, true),
        no_framing(304, "Not Modified")
    );
    assert_eq!(
        head(304, &[], BodyFraming::Length(7), true),
        "HTTP/1.1 304 Not Modified\r\n\
         date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         content-length: 7\r\n\r\n"
    );
    assert_eq!(
        head(200, &[], BodyFraming::Empty, true),
        "HTTP/1.1 200 OK\r\n\
         date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         content-length: 0\r\n\r\n"
    );
}

#[test]
fn unknown_and_out_of_range_statuses_stay_well_formed() {
    assert!(head(299, &[], BodyFraming::Empty, true).starts_with("HTTP/1.1 299 \r\n"));
    assert!(
        head(42, &[], BodyFraming::Empty, true)
            .starts_with("HTTP/1.1 500 Internal Server Error\r\n")
    );
}

#[test]
fn caller_fields_cannot_split_the_response_or_reframe_it() {
    let fields: &[(&str, &[u8])] = &[
        ("x-ok", b"1"),
        ("x-evil", b"a\r\nset-cookie: stolen"),
        ("bad name", b"1"),
        ("Content-Length", b"999"),
        ("transfer-encoding", b"chunked"),
        ("date", b"yesterday"),
        ("connection", b"upgrade"),
    ];
    assert_eq!(
        head(200, fields, BodyFraming::Length(1), true),
        "HTTP/1.1 200 OK\r\n\
         date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         content-length: 1\r\n\
         x-ok: 1\r\n\
         connection: upgrade\r\n\r\n"
    );
}

#[test]
fn continue_is_a_bare_interim_response() {
    let mut out = Vec::new();
    encode_continue(&mut out);
    assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn a_parse_error_becomes_a_closing_plain_text_response() {
    let mut out = Vec::new();
    error_response(&ParseError::ObsFold, DATE, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 400 Bad Request\r\n\
         date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         content-length: 38\r\n\
         connection: close\r\n\
         content-type: text/plain; charset=utf-8\r\n\
         \r\n\
         obsolete line folding is not accepted\n"
    );
    let mut out = Vec::new();
    error_response(&ParseError::HeadTooLarge, DATE, &mut out);
    assert!(out.starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
}

#[test]
fn numbers_are_written_in_full() {
    let mut out = Vec::new();
    push_decimal(&mut out, 0);
    out.push(b' ');
    push_decimal(&mut out, u64::MAX);
    out.push(b' ');
    push_hex(&mut out, 0);
    out.push(b' ');
    push_hex(&mut out, 0x10);
    out.push(b' ');
    push_hex(&mut out, usize::MAX);
    let expected = format!("0 {} 0 10 {:x}", u64::MAX, usize::MAX);
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}
