//! Stories for the request decoder, run in memory: a byte pump feeds the
//! decoder the way the worker's read loop would.

use super::*;

/// What a decoder produced, body data coalesced so that different ways
/// of splitting the input compare equal.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Head(RequestHead),
    Body(Vec<u8>),
    Trailers(Vec<(String, Vec<u8>)>),
    End,
}

/// Feeds `pieces` one after another, draining consumed bytes like the
/// worker does, and returns what was seen and the error, if any.
fn pump(limits: Limits, pieces: &[&[u8]]) -> (Vec<Seen>, Option<ParseError>) {
    let mut decoder = Decoder::new(limits);
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&buf) {
                Ok(Some((event, consumed))) => {
                    match event {
                        Event::Head(head) => seen.push(Seen::Head(head)),
                        Event::Data(data) => match seen.last_mut() {
                            Some(Seen::Body(body)) => body.extend_from_slice(data),
                            _ => seen.push(Seen::Body(data.to_vec())),
                        },
                        Event::Trailers(fields) => seen.push(Seen::Trailers(fields)),
                        Event::End => seen.push(Seen::End),
                    }
                    buf.drain(..consumed);
                }
                Ok(None) => break,
                Err(err) => return (seen, Some(err)),
            }
        }
    }
    (seen, None)
}

fn decode_whole(input: &[u8]) -> (Vec<Seen>, Option<ParseError>) {
    pump(Limits::default(), &[input])
}

/// The error a lone request provokes.
fn rejection(input: &[u8]) -> ParseError {
    match decode_whole(input) {
        (_, Some(err)) => err,
        (seen, None) => panic!("accepted: {seen:?}"),
    }
}

fn heads(seen: &[Seen]) -> Vec<&RequestHead> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Head(head) => Some(head),
            _ => None,
        })
        .collect()
}

fn field(name: &str, value: &str) -> (String, Vec<u8>) {
    (name.to_owned(), value.as_bytes().to_vec())
}

const GET: &[u8] = b"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n";

#[test]
fn a_get_yields_head_then_end() {
    let (seen, err) = decode_whole(GET);
    assert_eq!(err, None);
    assert_eq!(
        seen,
        vec![
            Seen::Head(RequestHead {
                method: "GET".into(),
                target: "/a".into(),
                version: Version::Http11,
                headers: vec![field("host", "example.com")],
                body: BodyKind::Empty,
                keep_alive: true,
                expect_continue: false,
                upgrade: None,
            }),
            Seen::End,
        ]
    );
}

#[test]
fn keep_alive_requests_are_decoded_back_to_back() {
    let mut decoder = Decoder::new(Limits::default());
    assert!(decoder.is_idle());
    for path in ["/first", "/second", "/third"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: h\r\n\r\n");
        let Ok(Some((Event::Head(head), consumed))) = decoder.decode(request.as_bytes()) else {
            panic!("no head for {path}");
        };
        assert_eq!((head.target.as_str(), consumed), (path, request.len()));
        assert!(head.keep_alive);
        assert!(!decoder.is_idle());
        assert_eq!(decoder.decode(b""), Ok(Some((Event::End, 0))));
        assert!(decoder.is_idle());
        assert_eq!(decoder.decode(b""), Ok(None));
    }
}

#[test]
fn pipelined_requests_in_one_buffer_decode_in_order() {
    let input = b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n\
        POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\
        PUT /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
        GET /4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n\
        GET /never HTTP/1.1\r\nHost: h\r\n\r\n";
    let (seen, err) = decode_whole(input);
    assert_eq!(err, None);
    let targets: Vec<_> = heads(&seen).iter().map(|h| h.target.as_str()).collect();
    assert_eq!(targets, ["/1", "/2", "/3", "/4"], "nothing after close");
    let shape: Vec<_> = seen
        .iter()
        .map(|s| match s {
            Seen::Head(_) => "head".to_owned(),
            Seen::Body(body) => String::from_utf8_lossy(body).into_owned(),
            Seen::Trailers(_) => "trailers".to_owned(),
            Seen::End => "end".to_owned(),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "head", "end", "head", "hello", "end", "head", "abc", "end", "head", "end"
        ]
    );
}

/// A Content-Length request after a skipped empty line, then a chunked
/// one whose head ends its lines with bare LF and lists an empty element.
const MIXED: &[u8] = b"\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 11\r\n\
    X-A: 1\r\n\r\nhello world\
    POST /lf HTTP/1.1\nHost: h\nTransfer-Encoding: , chunked\n\n4\r\nbody\r\n0\r\n\r\n";

const CHUNKED: &[u8] = b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
    5;name=value;q=\"a \\\"b\"\r\nhello\r\n\
    1A\r\nabcdefghijklmnopqrstuvwxyz\r\n\
    000\r\nChecksum: abc\r\nX-Other:  2 \r\n\r\n\
    GET /after HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";

#[test]
fn request_split_at_every_byte_decodes_identically() {
    let input = [MIXED, CHUNKED].concat();
    let whole = decode_whole(&input);
    assert_eq!(whole.1, None);
    assert_eq!(heads(&whole.0).len(), 4);
    for split in 0..=input.len() {
        let (front, back) = input.split_at(split);
        assert_eq!(
            pump(Limits::default(), &[front, back]),
            whole,
            "split at {split}"
        );
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(pump(Limits::default(), &bytes), whole, "byte at a time");
}

#[test]
fn chunked_body_with_extensions_and_trailers_decodes() {
    let (seen, err) = decode_whole(CHUNKED);
    assert_eq!(err, None);
    assert_eq!(
        seen[1..],
        [
            Seen::Body(b"helloabcdefghijklmnopqrstuvwxyz".to_vec()),
            Seen::Trailers(vec![field("checksum", "abc"), field("x-other", "2")]),
            Seen::End,
            seen[4].clone_head(),
            Seen::End,
        ]
    );
    assert_eq!(heads(&seen)[0].body, BodyKind::Chunked);
}

impl Seen {
    fn clone_head(&self) -> Seen {
        match self {
            Seen::Head(head) => Seen::Head(head.clone()),
            other => panic!("not a head: {other:?}"),
        }
    }
}

#[test]
fn content_length_with_transfer_encoding_is_rejected_as_smuggling() {
    for input in [
        &b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
    ] {
        let err = rejection(input);
        assert_eq!(err, ParseError::ContentLengthWithTransferEncoding);
        assert_eq!(err.status(), 400);
    }
}

#[test]
fn differing_duplicate_content_length_is_rejected() {
    for cl in [
        "Content-Length: 5\r\nContent-Length: 6",
        "Content-Length: 5, 6",
    ] {
        let input = format!("POST / HTTP/1.1\r\nHost: h\r\n{cl}\r\n\r\nhello!");
        assert_eq!(
            rejection(input.as_bytes()),
            ParseError::ConflictingContentLength
        );
    }
}

#[test]
fn identical_duplicate_content_length_is_accepted_once() {
    for cl in [
        "Content-Length: 5\r\nContent-Length: 5",
        "Content-Length: 5, 5",
    ] {
        let input = format!("POST / HTTP/1.1\r\nHost: h\r\n{cl}\r\n\r\nhello");
        let (seen, err) = decode_whole(input.as_bytes());
        assert_eq!(err, None);
        assert_eq!(heads(&seen)[0].body, BodyKind::Length(5));
        assert_eq!(seen[1], Seen::Body(b"hello".to_vec()));
    }
}

#[test]
fn malformed_content_length_is_rejected() {
    for value in [
        "-1",
        "+5",
        "0x5",
        "5 5",
        "",
        "5,",
        " , 5",
        "99999999999999999999999",
    ] {
        let input = format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {value}\r\n\r\n");
        assert_eq!(
            rejection(input.as_bytes()),
            ParseError::InvalidContentLength,
            "{value:?}"
        );
    }
}

#[test]
fn obs_fold_is_rejected() {
    let err = rejection(b"GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  continued\r\n\r\n");
    assert_eq!(err, ParseError::ObsFold);
    assert_eq!(err.status(), 400);
    // Detected as soon as the folded line starts, not at the end of head.
    let (_, err) = decode_whole(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\t");
    assert_eq!(err, Some(ParseError::ObsFold));
}

#[test]
fn whitespace_before_the_first_field_or_the_colon_is_rejected() {
    assert_eq!(
        rejection(b"GET / HTTP/1.1\r\n Host: h\r\n\r\n"),
        ParseError::InvalidHeaderName
    );
    assert_eq!(
        rejection(b"GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        ParseError::InvalidHeaderName
    );
}

#[test]
fn bare_cr_in_head_is_rejected() {
    for input in [
        &b"GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: h\rX-Evil: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\r\n",
    ] {
        assert_eq!(rejection(input), ParseError::BareCr, "{input:?}");
    }
}

#[test]
fn control_characters_in_values_are_rejected() {
    assert_eq!(
        rejection(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"),
        ParseError::InvalidHeaderValue
    );
}

#[test]
fn chunk_size_overflow_is_rejected() {
    let input = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
        10000000000000000\r\n";
    assert_eq!(rejection(input), ParseError::ChunkSizeOverflow);
    let largest = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
        FFFFFFFFFFFFFFFF\r\n";
    assert_eq!(rejection(largest), ParseError::BodyTooLarge);
}

#[test]
fn chunked_body_over_the_limit_is_413() {
    let limits = Limits {
        max_body_bytes: 8,
        ..Limits::default()
    };
    let input = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
        5\r\nhello\r\n4\r\nmore\r\n0\r\n\r\n";
    let (seen, err) = pump(limits, &[input]);
    assert_eq!(seen[1], Seen::Body(b"hello".to_vec()));
    assert_eq!(err, Some(ParseError::BodyTooLarge));
    assert_eq!(ParseError::BodyTooLarge.status(), 413);
}

#[test]
fn declared_body_over_the_limit_is_413_before_any_byte_of_it() {
    let limits = Limits {
        max_body_bytes: 8,
        ..Limits::default()
    };
    let input = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n";
    assert_eq!(
        pump(limits, &[input]),
        (vec![], Some(ParseError::BodyTooLarge))
    );
}

#[test]
fn malformed_chunk_framing_is_rejected() {
    let cases: [(&[u8], ParseError); 7] = [
        (b"5\r\nhelloXX", ParseError::InvalidChunkDelimiter),
        (b"5\nhello\r\n", ParseError::InvalidChunkDelimiter),
        (b"5\r\nhello\n0\r\n\r\n", ParseError::InvalidChunkDelimiter),
        (b"x\r\n", ParseError::InvalidChunkSize),
        (b"\r\n", ParseError::InvalidChunkSize),
        (b"5;\r\nhello\r\n", ParseError::InvalidChunkExtension),
        (
            b"5 ; a = \"unterminated\r\n",
            ParseError::InvalidChunkExtension,
        ),
    ];
    for (body, expected) in cases {
        let input = [
            &b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            body,
        ]
        .concat();
        assert_eq!(decode_whole(&input).1, Some(expected), "{body:?}");
    }
}

#[test]
fn long_chunk_extensions_are_rejected_before_the_line_ends() {
    let limits = Limits {
        max_chunk_ext_bytes: 8,
        ..Limits::default()
    };
    let input = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;abcdefghij";
    assert_eq!(
        pump(limits, &[input]).1,
        Some(ParseError::ChunkExtensionTooLong)
    );
    let fits = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;abcdefg\r\nhello\r\n0\r\n\r\n";
    assert_eq!(pump(limits, &[fits]).1, None);
}

#[test]
fn oversized_head_is_431_even_when_partial() {
    let limits = Limits {
        max_head_bytes: 64,
        ..Limits::default()
    };
    let mut partial = b"GET / HTTP/1.1\r\nHost: h\r\nX-Filler: ".to_vec();
    partial.resize(64, b'a');
    assert_eq!(
        pump(limits, &[&partial]),
        (vec![], None),
        "at the limit: wait"
    );
    partial.push(b'a');
    let err = pump(limits, &[&partial]).1;
    assert_eq!(err, Some(ParseError::HeadTooLarge));
    assert_eq!(ParseError::HeadTooLarge.status(), 431);
}

#[test]
fn too_many_headers_is_431() {
    let limits = Limits {
        max_headers: 3,
        ..Limits::default()
    };
    let ok = b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    assert_eq!(pump(limits, &[ok]).1, None);
    let over = b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n";
    assert_eq!(pump(limits, &[over]).1, Some(ParseError::TooManyHeaders));
}

#[test]
fn long_target_is_414() {
    let limits = Limits {
        max_target_bytes: 16,
        ..Limits::default()
    };
    let fits = b"GET /0123456789abcde HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_eq!(pump(limits, &[fits]).1, None);
    let long = b"GET /0123456789abcdef HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_eq!(pump(limits, &[long]).1, Some(ParseError::TargetTooLong));
    let partial = b"GET /0123456789abcdef";
    assert_eq!(pump(limits, &[partial]).1, Some(ParseError::TargetTooLong));
    assert_eq!(ParseError::TargetTooLong.status(), 414);
}

#[test]
fn unknown_transfer_coding_is_501() {
    for te in [
        "x-custom, chunked",
        "gzip, chunked",
        "gzip\r\nTransfer-Encoding: chunked",
    ] {
        let input = format!("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: {te}\r\n\r\n");
        let err = rejection(input.as_bytes());
        assert_eq!(err, ParseError::UnsupportedTransferCoding, "{te:?}");
        assert_eq!(err.status(), 501);
    }
}

#[test]
fn transfer_encoding_not_ending_in_chunked_is_400() {
    for te in [
        "gzip",
        "chunked, gzip",
        "chunked, chunked",
        "chunked;q=1",
        ",",
        "x-custom",
    ] {
        let input = format!("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: {te}\r\n\r\n");
        assert_eq!(
            rejection(input.as_bytes()),
            ParseError::InvalidTransferEncoding,
            "{te:?}"
        );
    }
    let http10 = b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(rejection(http10), ParseError::TransferEncodingInHttp10);
}

#[test]
fn http10_without_keep_alive_closes() {
    let input = b"GET / HTTP/1.0\r\n\r\nGET /ignored HTTP/1.0\r\n\r\n";
    let mut decoder = Decoder::new(Limits::default());
    let Ok(Some((Event::Head(head), consumed))) = decoder.decode(input) else {
        panic!("no head");
    };
    assert_eq!(head.version, Version::Http10);
    assert!(!head.keep_alive);
    let rest = &input[consumed..];
    assert_eq!(decoder.decode(rest), Ok(Some((Event::End, 0))));
    assert_eq!(decoder.decode(rest), Ok(None), "no request after close");
    assert!(!decoder.is_idle());
}

#[test]
fn connection_options_decide_persistence() {
    let cases: [(&str, &str, bool); 5] = [
        ("1.0", "Connection: keep-alive", true),
        ("1.0", "Connection: Keep-Alive, close", false),
        ("1.1", "Connection: close", false),
        ("1.1", "Connection: foo,,CLOSE", false),
        ("1.1", "Connection: keep-alive", true),
    ];
    for (version, connection, keep_alive) in cases {
        let input = format!("GET / HTTP/{version}\r\nHost: h\r\n{connection}\r\n\r\n");
        let (seen, _) = decode_whole(input.as_bytes());
        assert_eq!(heads(&seen)[0].keep_alive, keep_alive, "{input:?}");
    }
}

#[test]
fn expect_and_upgrade_are_reported_for_http11_only() {
    let input = b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\
        Upgrade: websocket\r\nExpect: 100-Continue\r\n\r\n";
    let (seen, _) = decode_whole(input);
    let head = heads(&seen)[0];
    assert!(head.expect_continue);
    assert_eq!(head.upgrade.as_deref(), Some(&b"websocket"[..]));
    assert_eq!(head.header("upgrade"), Some(&b"websocket"[..]));

    let old = b"GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\
        Expect: 100-continue\r\n\r\n";
    let (seen, _) = decode_whole(old);
    let head = heads(&seen)[0];
    assert!(!head.expect_continue);
    assert_eq!(head.upgrade, None);

    let no_option = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n";
    assert_eq!(heads(&decode_whole(no_option).0)[0].upgrade, None);
}

#[test]
fn host_must_be_present_once_and_valid() {
    let missing = rejection(b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!((missing, missing.status()), (ParseError::MissingHost, 400));
    assert_eq!(
        rejection(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ParseError::DuplicateHost
    );
    assert_eq!(
        rejection(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
        ParseError::InvalidHost
    );
    for host in ["", "[::1]:8080", "xn--bcher-kva.example", "127.0.0.1:80"] {
        let input = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(decode_whole(input.as_bytes()).1, None, "{host:?}");
    }
    assert_eq!(decode_whole(b"GET / HTTP/1.0\r\n\r\n").1, None);
}

#[test]
fn malformed_request_lines_are_rejected() {
    let cases: [(&[u8], ParseError); 5] = [
        (
            b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
            ParseError::InvalidRequestLine,
        ),
        (
            b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
            ParseError::InvalidRequestLine,
        ),
        (
            b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
            ParseError::InvalidRequestLine,
        ),
        (
            b"GET / HTTP/1.2\r\nHost: h\r\n\r\n",
            ParseError::InvalidVersion,
        ),
        (
            b"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
            ParseError::InvalidVersion,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(rejection(input), expected, "{input:?}");
    }
}

#[test]
fn h2_preface_is_recognised_before_and_by_the_decoder() {
    assert!(is_h2_preface_prefix(b""));
    assert!(is_h2_preface_prefix(b"PRI * HT"));
    assert!(is_h2_preface_prefix(H2_PREFACE));
    assert!(is_h2_preface_prefix(
        &[&H2_PREFACE[..], b"\0\0\x12\x04"].concat()
    ));
    assert!(!is_h2_preface_prefix(b"GET / HTTP/1.1\r\n"));
    assert!(!is_h2_preface_prefix(b"PRI * HTTP/2.0\r\n\r\nXX"));
    let err = rejection(H2_PREFACE);
    assert_eq!((err, err.status()), (ParseError::Http2Preface, 505));
}

#[test]
fn errors_are_final() {
    let mut decoder = Decoder::new(Limits::default());
    let bad = b"GET / HTTP/1.1\r\nHost: h\rX\r\n\r\n";
    assert_eq!(decoder.decode(bad), Err(ParseError::BareCr));
    assert_eq!(decoder.decode(GET), Err(ParseError::BareCr));
    assert!(!decoder.is_idle());
}

#[test]
fn content_length_body_arrives_in_pieces() {
    let mut decoder = Decoder::new(Limits::default());
    let head = b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n";
    let Ok(Some((Event::Head(_), consumed))) = decoder.decode(head) else {
        panic!("no head");
    };
    assert_eq!(consumed, head.len());
    assert_eq!(decoder.decode(b""), Ok(None));
    assert_eq!(decoder.decode(b"abc"), Ok(Some((Event::Data(b"abc"), 3))));
    assert_eq!(
        decoder.decode(b"defGET"),
        Ok(Some((Event::Data(b"def"), 3)))
    );
    assert_eq!(decoder.decode(b"GET"), Ok(Some((Event::End, 0))));
    assert_eq!(decoder.decode(b"GET"), Ok(None));
}

#[test]
fn empty_lines_before_a_request_are_skipped() {
    let input = b"\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    let (seen, err) = decode_whole(input);
    assert_eq!((heads(&seen).len(), err), (1, None));
}
