//! Property tests for the HTTP/1.1 decoder: whatever a peer sends, it
//! never panics, never claims more bytes than it was given, never stalls;
//! and how a valid byte stream is split into reads never changes what it
//! decodes to.

use bicorn::h1::{Decoder, Event, Limits, ParseError};
use proptest::prelude::*;

/// What the decoder produced, body data coalesced across reads.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Head {
        method: String,
        target: String,
        headers: Vec<(String, Vec<u8>)>,
    },
    Body(Vec<u8>),
    Trailers(Vec<(String, Vec<u8>)>),
    End,
}

/// Feeds `input` in reads ending at `cuts`, draining consumed bytes as
/// the worker does, checking the decoder's contract on every call.
fn pump(limits: Limits, input: &[u8], cuts: &[usize]) -> (Vec<Seen>, Option<ParseError>) {
    let mut decoder = Decoder::new(limits);
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    let mut fed = 0;
    let mut ends: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
    ends.sort_unstable();
    ends.push(input.len());
    for end in ends {
        buf.extend_from_slice(&input[fed..end.max(fed)]);
        fed = end.max(fed);
        let mut calls = 0;
        loop {
            calls += 1;
            assert!(calls < 100_000, "decoder made no progress");
            match decoder.decode(&buf) {
                Ok(Some((event, consumed))) => {
                    assert!(consumed <= buf.len(), "consumed more than given");
                    match event {
                        Event::Head(head) => seen.push(Seen::Head {
                            method: head.method,
                            target: head.target,
                            headers: head.headers,
                        }),
                        Event::Data(data) => {
                            assert!(!data.is_empty(), "empty Data event");
                            match seen.last_mut() {
                                Some(Seen::Body(body)) => body.extend_from_slice(data),
                                _ => seen.push(Seen::Body(data.to_vec())),
                            }
                        }
                        Event::Trailers(fields) => seen.push(Seen::Trailers(fields)),
                        Event::End => seen.push(Seen::End),
                    }
                    buf.drain(..consumed);
                }
                Ok(None) => break,
                Err(err) => {
                    assert_eq!(decoder.decode(&buf), Err(err), "errors are final");
                    let status = err.status();
                    assert!(matches!(status, 400 | 413 | 414 | 431 | 501 | 505));
                    return (seen, Some(err));
                }
            }
        }
    }
    (seen, None)
}

fn small_limits() -> Limits {
    Limits {
        max_head_bytes: 256,
        max_headers: 8,
        max_target_bytes: 64,
        max_body_bytes: 1024,
        max_chunk_ext_bytes: 16,
    }
}

/// Fragments that steer random input into the decoder's deeper states.
fn http_fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"GET / HTTP/1.1\r\n".to_vec()),
        Just(b"POST /x HTTP/1.0\r\n".to_vec()),
        Just(b"Host: h\r\n".to_vec()),
        Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
        Just(b"Content-Length: 3\r\n".to_vec()),
        Just(b"Connection: keep-alive\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\t".to_vec()),
        Just(b";a=\"b\"".to_vec()),
        Just(b"0".to_vec()),
        Just(b"f".to_vec()),
        Just(b"FFFFFFFFFFFFFFFFF".to_vec()),
        Just(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ]
}

/// One valid request, as bytes, and what decoding it must yield.
fn request() -> impl Strategy<Value = (Vec<u8>, Vec<Seen>)> {
    let method = prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("X-CUSTOM")];
    let target = "/[a-zA-Z0-9._~%/?=&-]{0,30}";
    let fields = proptest::collection::vec(("x-[a-z0-9-]{1,10}", "[ -~]{0,20}"), 0..4);
    let body = prop_oneof![
        Just(None),
        proptest::collection::vec(any::<u8>(), 1..64).prop_map(|b| Some((b, vec![]))),
        (
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..20), 0..4),
            proptest::collection::vec(("t-[a-z]{1,5}", "[a-z0-9]{0,8}"), 0..3),
        )
            .prop_map(|(chunks, trailers)| Some((chunks.concat(), vec![(chunks, trailers)]))),
    ];
    let lf_only = any::<bool>();
    (method, target, fields, body, lf_only).prop_map(|(method, target, fields, body, lf_only)| {
        let eol: &[u8] = if lf_only { b"\n" } else { b"\r\n" };
        let mut bytes = format!("{method} {target} HTTP/1.1").into_bytes();
        bytes.extend_from_slice(eol);
        let mut headers = vec![("host".to_owned(), b"example.com".to_vec())];
        bytes.extend_from_slice(b"Host: example.com");
        bytes.extend_from_slice(eol);
        for (name, value) in &fields {
            bytes.extend_from_slice(format!("{name}: {value}").as_bytes());
            bytes.extend_from_slice(eol);
            headers.push((name.clone(), value.trim_matches(' ').as_bytes().to_vec()));
        }
        let mut seen_after = vec![];
        match &body {
            None => {}
            Some((data, chunked)) if chunked.is_empty() => {
                let line = format!("Content-Length: {}", data.len());
                bytes.extend_from_slice(line.as_bytes());
                bytes.extend_from_slice(eol);
                headers.push(("content-length".into(), data.len().to_string().into_bytes()));
            }
            Some(_) => {
                bytes.extend_from_slice(b"Transfer-Encoding: chunked");
                bytes.extend_from_slice(eol);
                headers.push(("transfer-encoding".into(), b"chunked".to_vec()));
            }
        }
        bytes.extend_from_slice(eol);
        match body {
            None => {}
            Some((data, chunked)) => match chunked.into_iter().next() {
                None => {
                    bytes.extend_from_slice(&data);
                    seen_after.push(Seen::Body(data));
                }
                Some((chunks, trailers)) => {
                    for (i, chunk) in chunks.iter().enumerate() {
                        let ext = if i % 2 == 0 { "" } else { " ; n = \"v\"" };
                        bytes.extend_from_slice(format!("{:X}{ext}\r\n", chunk.len()).as_bytes());
                        bytes.extend_from_slice(chunk);
                        bytes.extend_from_slice(b"\r\n");
                    }
                    bytes.extend_from_slice(b"0\r\n");
                    for (name, value) in &trailers {
                        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
                    }
                    bytes.extend_from_slice(b"\r\n");
                    if !data.is_empty() {
                        seen_after.push(Seen::Body(data));
                    }
                    if !trailers.is_empty() {
                        seen_after.push(Seen::Trailers(
                            trailers
                                .into_iter()
                                .map(|(n, v)| (n, v.into_bytes()))
                                .collect(),
                        ));
                    }
                }
            },
        }
        seen_after.push(Seen::End);
        let mut expected = vec![Seen::Head {
            method: method.to_owned(),
            target,
            headers,
        }];
        expected.extend(seen_after);
        (bytes, expected)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(
        input in proptest::collection::vec(any::<u8>(), 0..1024),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        pump(small_limits(), &input, &cuts);
        pump(Limits::default(), &input, &cuts);
    }

    #[test]
    fn http_shaped_garbage_never_panics(
        fragments in proptest::collection::vec(http_fragment(), 0..40),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let input = fragments.concat();
        pump(small_limits(), &input, &cuts);
        pump(Limits::default(), &input, &cuts);
    }

    #[test]
    fn valid_requests_split_anywhere_decode_as_whole(
        requests in proptest::collection::vec(request(), 1..4),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let input: Vec<u8> = requests.iter().flat_map(|(bytes, _)| bytes.clone()).collect();
        let expected: Vec<Seen> = requests.into_iter().flat_map(|(_, seen)| seen).collect();
        let whole = pump(Limits::default(), &input, &[]);
        prop_assert_eq!(&whole, &(expected, None));
        prop_assert_eq!(pump(Limits::default(), &input, &cuts), whole);
    }
}
