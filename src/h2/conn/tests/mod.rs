//! In-memory conversations with a scripted client: bytes in, frames out,
//! time passed explicitly. Organised by RFC 9113 section.

use std::time::{Duration, Instant};

use super::*;
use crate::h2::frame::{
    Continuation, Data, FrameHeader, FrameType, Headers, PriorityFrame, RstStream, StreamDependency,
};
use crate::hpack::{Decoder, DecoderLimits, Encoder, HeaderField};

/// A frame the server sent, owned.
#[derive(Debug, Clone)]
struct Out {
    kind: FrameType,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

impl Out {
    fn error_code(&self) -> u32 {
        let p = &self.payload;
        let at = if self.kind == FrameType::GOAWAY { 4 } else { 0 };
        u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]])
    }
}

struct Client {
    conn: Connection,
    now: Instant,
    enc: Encoder,
    dec: Decoder,
}

impl Client {
    fn new() -> Self {
        Self::with(Config::default())
    }

    /// Preface and SETTINGS exchanged; our ACK sent.
    fn with(config: Config) -> Self {
        let now = Instant::now();
        let mut c = Self {
            conn: Connection::new(config, now),
            now,
            enc: Encoder::default(),
            dec: Decoder::new(4096, DecoderLimits::default()),
        };
        let mut b = PREFACE.to_vec();
        SettingsFrame::new(&[]).encode(&mut b);
        c.send(&b);
        let out = c.frames();
        assert_eq!(out[0].kind, FrameType::SETTINGS, "server preface first");
        assert!(
            out.iter()
                .any(|f| f.kind == FrameType::SETTINGS && f.flags & 1 == 1)
        );
        let mut ack = Vec::new();
        SettingsFrame::ack().encode(&mut ack);
        c.send(&ack);
        c
    }

    fn send(&mut self, bytes: &[u8]) {
        self.conn.recv(bytes, self.now);
    }

    fn frame(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut b = Vec::new();
        f(&mut b);
        self.send(&b);
    }

    fn frames(&mut self) -> Vec<Out> {
        let bytes = self.conn.pending_output().to_vec();
        self.conn.consume_output(bytes.len());
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(h) = FrameHeader::parse(&bytes[at..]) {
            let end = at + h.frame_len();
            out.push(Out {
                kind: h.kind(),
                flags: h.flags().bits(),
                stream: h.stream_id().value(),
                payload: bytes[at + 9..end].to_vec(),
            });
            at = end;
        }
        assert_eq!(at, bytes.len(), "output is whole frames");
        out
    }

    fn block(&mut self, fields: &[(&str, &str)]) -> Vec<u8> {
        let mut b = Vec::new();
        self.enc.encode(
            fields
                .iter()
                .map(|(n, v)| HeaderField::new(n.as_bytes(), v.as_bytes())),
            &mut b,
        );
        b
    }

    fn get(&mut self, stream: u32, path: &str) {
        let block = self.block(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "example.com"),
            (":path", path),
        ]);
        self.frame(|b| {
            Headers::new(StreamId::new(stream), &block)
                .end_headers()
                .end_stream()
                .encode(b)
        });
    }

    fn post(&mut self, stream: u32, extra: &[(&str, &str)]) {
        let mut fields = vec![
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", "example.com"),
            (":path", "/upload"),
        ];
        fields.extend_from_slice(extra);
        let block = self.block(&fields);
        self.frame(|b| {
            Headers::new(StreamId::new(stream), &block)
                .end_headers()
                .encode(b)
        });
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }

    fn goaway(&mut self) -> Option<Out> {
        self.frames()
            .into_iter()
            .find(|f| f.kind == FrameType::GOAWAY)
    }

    fn rst(&mut self, stream: u32) -> Option<u32> {
        self.frames()
            .into_iter()
            .find(|f| f.kind == FrameType::RST_STREAM && f.stream == stream)
            .map(|f| f.error_code())
    }

    fn decode(&mut self, block: &[u8]) -> Vec<(String, String)> {
        let mut list = crate::hpack::HeaderList::new();
        self.dec.decode(block, &mut list).unwrap();
        list.iter()
            .map(|f| {
                (
                    String::from_utf8_lossy(f.name).into_owned(),
                    String::from_utf8_lossy(f.value).into_owned(),
                )
            })
            .collect()
    }
}

const PROTOCOL_ERROR: u32 = 0x1;
const FLOW_CONTROL_ERROR: u32 = 0x3;
const SETTINGS_TIMEOUT: u32 = 0x4;
const STREAM_CLOSED: u32 = 0x5;
const REFUSED_STREAM: u32 = 0x7;
const COMPRESSION_ERROR: u32 = 0x9;
const ENHANCE_YOUR_CALM: u32 = 0xb;

// §3.4 — preface

#[test]
fn an_invalid_preface_is_a_protocol_error() {
    let mut conn = Connection::new(Config::default(), Instant::now());
    conn.recv(b"GET / HTTP/1.1\r\n\r\n", Instant::now());
    assert_eq!(
        conn.error().map(|e| e.code()),
        Some(ErrorCode::PROTOCOL_ERROR)
    );
}

#[test]
fn a_preface_split_across_reads_is_accepted() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    let mut b = PREFACE.to_vec();
    SettingsFrame::new(&[]).encode(&mut b);
    for chunk in b.chunks(5) {
        conn.recv(chunk, now);
    }
    assert!(conn.error().is_none());
    assert!(conn.pending_output().len() > 9);
}

#[test]
fn a_first_frame_other_than_settings_is_a_protocol_error() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    let mut b = PREFACE.to_vec();
    Ping::new([0; 8]).encode(&mut b);
    conn.recv(&b, now);
    assert_eq!(
        conn.error().map(|e| e.code()),
        Some(ErrorCode::PROTOCOL_ERROR)
    );
}

// §8 — a request and its response

#[test]
fn a_get_becomes_a_request_event_and_the_response_goes_out_in_order() {
    let mut c = Client::new();
    c.get(1, "/index.html");
    let events = c.events();
    let [
        Event::Request {
            stream,
            head,
            end_stream: true,
        },
    ] = &events[..]
    else {
        panic!("{events:?}");
    };
    assert_eq!(head.path(), Some(&b"/index.html"[..]));
    let stream = *stream;
    c.conn
        .send_headers(stream, 200, &[(b"content-type", b"text/plain")], false)
        .unwrap();
    c.conn.send_data(stream, b"hello", true).unwrap();
    let out = c.frames();
    assert_eq!(out[0].kind, FrameType::HEADERS);
    let fields = c.decode(&out[0].payload);
    assert_eq!(fields[0], (":status".into(), "200".into()));
    assert_eq!(out[1].kind, FrameType::DATA);
    assert_eq!(out[1].payload, b"hello");
    assert_eq!(out[1].flags & 1, 1, "END_STREAM");
    assert_eq!(c.conn.open_streams(), 0, "both sides closed");
}

#[test]
fn a_request_body_arrives_as_data_events_and_credit_returns_as_it_is_released() {
    // Small windows, so the 600 kB upload only fits if credit comes back.
    let mut c = Client::with(Config {
        stream_window: 65_535,
        connection_window: 262_144,
        ..Config::default()
    });
    c.post(1, &[("content-length", "600000")]);
    let chunk = vec![7u8; 10_000];
    let (mut got, mut stream_updates, mut conn_updates) = (0, 0, 0);
    for i in 0..60 {
        c.frame(|b| {
            let d = Data::new(StreamId::new(1), &chunk);
            if i == 59 { d.end_stream() } else { d }.encode(b)
        });
        for e in c.events() {
            match e {
                Event::Data { stream, data, .. } => {
                    got += data.len();
                    c.conn.release_body(stream, data);
                }
                Event::Request { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        for f in c.frames() {
            if f.kind == FrameType::WINDOW_UPDATE {
                if f.stream == 0 {
                    conn_updates += 1;
                } else {
                    stream_updates += 1;
                }
            }
        }
    }
    assert!(c.conn.error().is_none(), "{:?}", c.conn.error());
    assert_eq!(got, 600_000);
    // One update per half window consumed, not one per frame.
    // 10 kB frames against a 32 KiB threshold: an update every 4 frames,
    // none once the client has ended the stream.
    assert!(
        (13..=15).contains(&stream_updates),
        "stream updates: {stream_updates}"
    );
    assert!(
        (3..=5).contains(&conn_updates),
        "connection updates: {conn_updates}"
    );
}

#[test]
fn trailers_end_the_request() {
    let mut c = Client::new();
    c.post(1, &[]);
    c.frame(|b| Data::new(StreamId::new(1), b"abc").encode(b));
    let block = c.block(&[("x-checksum", "1")]);
    c.frame(|b| {
        Headers::new(StreamId::new(1), &block)
            .end_headers()
            .end_stream()
            .encode(b)
    });
    let events = c.events();
    assert!(
        matches!(events.last(), Some(Event::Trailers { .. })),
        "{events:?}"
    );
}

#[test]
fn a_long_response_head_is_split_into_continuations() {
    let mut c = Client::new();
    c.get(1, "/");
    c.events();
    let big = vec![b'a'; 40_000];
    c.conn
        .send_headers(StreamId::new(1), 200, &[(b"x-big", &big)], true)
        .unwrap();
    let out = c.frames();
    assert_eq!(out[0].kind, FrameType::HEADERS);
    assert!(out[1..].iter().all(|f| f.kind == FrameType::CONTINUATION));
    assert_eq!(
        out.last().map(|f| f.flags & 0x4),
        Some(0x4),
        "END_HEADERS last"
    );
}

// §8.1 — malformed requests are stream errors

#[test]
fn an_uppercase_field_name_resets_the_stream_with_protocol_error() {
    let mut c = Client::new();
    let block = c.block(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/"),
        ("X-Upper", "1"),
    ]);
    c.frame(|b| {
        Headers::new(StreamId::new(1), &block)
            .end_headers()
            .end_stream()
            .encode(b)
    });
    assert_eq!(c.rst(1), Some(PROTOCOL_ERROR));
    assert!(c.conn.error().is_none(), "only the stream");
}

#[test]
fn data_not_matching_content_length_resets_the_stream() {
    let mut c = Client::new();
    c.post(1, &[("content-length", "10")]);
    c.frame(|b| Data::new(StreamId::new(1), b"12345").end_stream().encode(b));
    assert_eq!(c.rst(1), Some(PROTOCOL_ERROR));
}

// §5.1, §5.1.1 — stream states and identifiers

#[test]
fn an_even_stream_id_from_a_client_is_a_connection_error() {
    let mut c = Client::new();
    c.get(2, "/");
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(PROTOCOL_ERROR));
}

#[test]
fn a_new_stream_below_an_earlier_one_is_a_protocol_error() {
    // §5.1.1 (h2spec 5.1.1/2): stream 3 was never opened, 5 was.
    let mut c = Client::new();
    c.get(5, "/");
    c.get(3, "/");
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(PROTOCOL_ERROR));
}

#[test]
fn headers_on_a_stream_that_closed_is_stream_closed() {
    // §5.1 closed (h2spec 5.1/12): stream 1 finished both ways.
    let mut c = Client::new();
    c.get(1, "/");
    c.events();
    c.conn
        .send_headers(StreamId::new(1), 204, &[], true)
        .unwrap();
    c.frames();
    c.get(1, "/");
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(STREAM_CLOSED));
}

#[test]
fn data_on_an_idle_stream_is_a_protocol_error() {
    let mut c = Client::new();
    c.frame(|b| Data::new(StreamId::new(1), b"x").encode(b));
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(PROTOCOL_ERROR));
}

#[test]
fn window_update_on_an_idle_stream_is_a_protocol_error() {
    let mut c = Client::new();
    c.frame(|b| WindowUpdate::new(StreamId::new(1), 1).encode(b));
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(PROTOCOL_ERROR));
}

#[test]
fn data_after_end_stream_is_stream_closed() {
    let mut c = Client::new();
    c.get(1, "/");
    c.frame(|b| Data::new(StreamId::new(1), b"x").encode(b));
    assert_eq!(c.rst(1), Some(STREAM_CLOSED));
}

#[test]
fn streams_beyond_max_concurrent_streams_are_refused() {
    let mut c = Client::with(Config {
        max_concurrent_streams: 2,
        ..Config::default()
    });
    c.get(1, "/");
    c.get(3, "/");
    c.get(5, "/");
    assert_eq!(c.rst(5), Some(REFUSED_STREAM));
    assert_eq!(c.conn.open_streams(), 2);
}

#[test]
fn a_stream_depending_on_itself_is_a_stream_error() {
    let mut c = Client::new();
    c.frame(|b| {
        PriorityFrame::new(
            StreamId::new(3),
            StreamDependency::new(StreamId::new(3), false, 16),
        )
        .encode(b)
    });
    assert_eq!(c.rst(3), Some(PROTOCOL_ERROR));
}

// §6.2, §6.10 — header blocks

#[test]
fn a_header_block_over_continuations_is_assembled() {
    let mut c = Client::new();
    let block = c.block(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/split"),
    ]);
    let (a, rest) = block.split_at(3);
    let (b2, d) = rest.split_at(2);
    c.frame(|b| Headers::new(StreamId::new(1), a).end_stream().encode(b));
    c.frame(|b| Continuation::new(StreamId::new(1), b2).encode(b));
    c.frame(|b| {
        Continuation::new(StreamId::new(1), d)
            .end_headers()
            .encode(b)
    });
    let events = c.events();
    assert!(matches!(events[..], [Event::Request { .. }]), "{events:?}");
}

#[test]
fn a_frame_inside_a_header_block_is_a_protocol_error() {
    let mut c = Client::new();
    let block = c.block(&[(":method", "GET")]);
    c.frame(|b| Headers::new(StreamId::new(1), &block).encode(b));
    c.frame(|b| Ping::new([0; 8]).encode(b));
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(PROTOCOL_ERROR));
}

#[test]
fn an_undecodable_header_block_is_a_compression_error() {
    let mut c = Client::new();
    c.frame(|b| {
        Headers::new(StreamId::new(1), &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
            .end_headers()
            .encode(b)
    });
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(COMPRESSION_ERROR));
}

// §6.5 — SETTINGS

#[test]
fn settings_must_be_acknowledged_in_time() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    let mut b = PREFACE.to_vec();
    SettingsFrame::new(&[]).encode(&mut b);
    conn.recv(&b, now);
    let deadline = conn.next_deadline().unwrap();
    assert_eq!(deadline, now + Duration::from_secs(10));
    conn.on_deadline(deadline);
    assert_eq!(
        conn.error().map(|e| e.code().value()),
        Some(SETTINGS_TIMEOUT)
    );
}

// §6.9 — flow control

#[test]
fn response_data_respects_the_client_stream_window() {
    let mut c = Client::new();
    c.frame(|b| SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, 10)]).encode(b));
    c.get(1, "/");
    c.events();
    c.frames();
    c.conn
        .send_headers(StreamId::new(1), 200, &[], false)
        .unwrap();
    c.conn
        .send_data(StreamId::new(1), &[b'x'; 100], true)
        .unwrap();
    let data: usize = c
        .frames()
        .iter()
        .filter(|f| f.kind == FrameType::DATA)
        .map(|f| f.payload.len())
        .sum();
    assert_eq!(data, 10);
    c.frame(|b| WindowUpdate::new(StreamId::new(1), 90).encode(b));
    let out = c.frames();
    let data: usize = out
        .iter()
        .filter(|f| f.kind == FrameType::DATA)
        .map(|f| f.payload.len())
        .sum();
    assert_eq!(data, 90);
    assert_eq!(
        out.last().map(|f| f.flags & 1),
        Some(1),
        "END_STREAM at the end"
    );
}

#[test]
fn lowering_initial_window_size_makes_open_windows_negative() {
    let mut c = Client::new();
    c.get(1, "/");
    c.events();
    c.conn
        .send_headers(StreamId::new(1), 200, &[], false)
        .unwrap();
    c.conn
        .send_data(StreamId::new(1), &[b'x'; 1000], false)
        .unwrap();
    c.frames();
    c.frame(|b| SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, 500)]).encode(b));
    c.conn
        .send_data(StreamId::new(1), &[b'y'; 10], true)
        .unwrap();
    assert!(
        c.frames().iter().all(|f| f.kind != FrameType::DATA),
        "window is -500"
    );
    c.frame(|b| WindowUpdate::new(StreamId::new(1), 510).encode(b));
    let sent: usize = c
        .frames()
        .iter()
        .filter(|f| f.kind == FrameType::DATA)
        .map(|f| f.payload.len())
        .sum();
    assert_eq!(sent, 10);
}

#[test]
fn a_connection_window_above_2_31_minus_1_is_a_flow_control_error() {
    let mut c = Client::new();
    c.frame(|b| WindowUpdate::new(StreamId::CONNECTION, (1 << 31) - 1).encode(b));
    assert_eq!(c.goaway().map(|g| g.error_code()), Some(FLOW_CONTROL_ERROR));
}

#[test]
fn data_beyond_the_stream_window_resets_the_stream() {
    let mut c = Client::with(Config {
        stream_window: 65_535,
        ..Config::default()
    });
    c.post(1, &[]);
    let chunk = vec![0u8; 16_384];
    for _ in 0..5 {
        c.frame(|b| Data::new(StreamId::new(1), &chunk).encode(b));
    }
    assert_eq!(c.rst(1), Some(FLOW_CONTROL_ERROR));
}

// §6.7, §6.8 — PING and GOAWAY

#[test]
fn a_ping_is_answered_with_its_payload() {
    let mut c = Client::new();
    c.frame(|b| Ping::new(*b"12345678").encode(b));
    let out = c.frames();
    assert_eq!(out[0].kind, FrameType::PING);
    assert_eq!(out[0].flags & 1, 1);
    assert_eq!(out[0].payload, b"12345678");
}

#[test]
fn graceful_shutdown_sends_two_goaways_around_a_ping() {
    let mut c = Client::new();
    c.get(1, "/");
    c.events();
    c.conn.start_shutdown(c.now);
    let out = c.frames();
    assert_eq!(out[0].kind, FrameType::GOAWAY);
    assert_eq!(&out[0].payload[..4], &[0x7f, 0xff, 0xff, 0xff]);
    let ping = out
        .iter()
        .find(|f| f.kind == FrameType::PING)
        .unwrap()
        .clone();
    // A request already in flight is still accepted.
    c.get(3, "/");
    assert_eq!(c.events().len(), 1);
    let mut opaque = [0u8; 8];
    opaque.copy_from_slice(&ping.payload);
    c.frame(|b| Ping::new(opaque).ack().encode(b));
    let g = c.goaway().unwrap();
    assert_eq!(&g.payload[..4], &[0, 0, 0, 3], "real last stream id");
    // Newer streams are ignored; open ones finish, then the connection is done.
    c.get(5, "/");
    assert!(c.events().is_empty());
    for id in [1, 3] {
        c.conn
            .send_headers(StreamId::new(id), 204, &[], true)
            .unwrap();
    }
    c.frames();
    assert!(c.conn.is_done());
}

mod defences;
mod heads;
mod more;
mod output;
