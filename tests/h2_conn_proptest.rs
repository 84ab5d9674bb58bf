//! Property stories for the HTTP/2 connection: whatever a client sends,
//! the engine never panics, its output is always whole frames, and its
//! unwritten output stays bounded.

use std::time::{Duration, Instant};

use bicorn::h2::ErrorCode;
use bicorn::h2::StreamId;
use bicorn::h2::conn::{Config, Connection, Event, PREFACE};
use bicorn::h2::frame::{
    Continuation, Data, FrameHeader, Headers, Ping, PriorityFrame, RstStream, SettingId,
    SettingsFrame, StreamDependency, WindowUpdate,
};
use bicorn::hpack::{Encoder, HeaderField};
use proptest::prelude::*;

/// One thing a client may do, well-formed at the frame level.
#[derive(Debug, Clone)]
enum Act {
    Get(u8),
    Post(u8),
    Data(u8, u16, bool),
    Reset(u8),
    Window(u8, u32),
    Ping,
    Settings(u32),
    Priority(u8, u8, bool),
    SplitHeaders(u8, u8),
    Garbage(Vec<u8>),
    Tick(u16),
    Respond,
    ReadOutput,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        (0..16u8).prop_map(Act::Get),
        (0..16u8).prop_map(Act::Post),
        (0..16u8, 0..20_000u16, any::<bool>()).prop_map(|(s, n, e)| Act::Data(s, n, e)),
        (0..16u8).prop_map(Act::Reset),
        (0..16u8, 0..(1u32 << 31)).prop_map(|(s, n)| Act::Window(s, n)),
        Just(Act::Ping),
        (0..(1u32 << 31)).prop_map(Act::Settings),
        (0..16u8, 0..16u8, any::<bool>()).prop_map(|(s, d, e)| Act::Priority(s, d, e)),
        (0..16u8, 0..8u8).prop_map(|(s, n)| Act::SplitHeaders(s, n)),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Act::Garbage),
        any::<u16>().prop_map(Act::Tick),
        Just(Act::Respond),
        Just(Act::ReadOutput),
    ]
}

fn id(s: u8) -> StreamId {
    StreamId::new(u32::from(s) * 2 + 1)
}

fn check_output(conn: &mut Connection) {
    let out = conn.pending_output().to_vec();
    let mut at = 0;
    while let Some(h) = FrameHeader::parse(&out[at..]) {
        at += h.frame_len();
    }
    assert_eq!(at, out.len(), "output is whole frames");
    assert!(
        out.len() < 1 << 20,
        "unwritten output stays bounded: {}",
        out.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20), with_preface in any::<bool>()) {
        let now = Instant::now();
        let mut conn = Connection::new(Config::default(), now);
        if with_preface {
            let mut b = PREFACE.to_vec();
            SettingsFrame::new(&[]).encode(&mut b);
            conn.recv(&b, now);
        }
        for c in &chunks {
            conn.recv(c, now);
            while conn.poll_event().is_some() {}
        }
        check_output(&mut conn);
    }

    #[test]
    fn random_client_conversations_never_panic(acts in proptest::collection::vec(act(), 1..80)) {
        let mut now = Instant::now();
        let mut conn = Connection::new(Config::default(), now);
        let mut enc = Encoder::default();
        let mut b = PREFACE.to_vec();
        SettingsFrame::new(&[]).encode(&mut b);
        SettingsFrame::ack().encode(&mut b);
        conn.recv(&b, now);
        let mut open = Vec::new();
        for a in acts {
            let mut f = Vec::new();
            match a {
                Act::Get(s) | Act::Post(s) | Act::SplitHeaders(s, _) => {
                    let method: &[u8] = if matches!(a, Act::Get(_)) { b"GET" } else { b"POST" };
                    let mut block = Vec::new();
                    enc.encode([
                        HeaderField::new(b":method", method),
                        HeaderField::new(b":scheme", b"https"),
                        HeaderField::new(b":path", b"/"),
                        HeaderField::new(b":authority", b"x"),
                    ], &mut block);
                    match a {
                        Act::SplitHeaders(_, n) => {
                            let at = usize::from(n).min(block.len());
                            Headers::new(id(s), &block[..at]).encode(&mut f);
                            Continuation::new(id(s), &block[at..]).end_headers().encode(&mut f);
                        }
                        Act::Get(_) => Headers::new(id(s), &block).end_headers().end_stream().encode(&mut f),
                        _ => Headers::new(id(s), &block).end_headers().encode(&mut f),
                    }
                }
                Act::Data(s, n, end) => {
                    let d = vec![0u8; usize::from(n)];
                    let frame = Data::new(id(s), &d);
                    if end { frame.end_stream() } else { frame }.encode(&mut f);
                }
                Act::Reset(s) => RstStream::new(id(s), ErrorCode::CANCEL).encode(&mut f),
                Act::Window(s, n) => WindowUpdate::new(if s == 0 { StreamId::CONNECTION } else { id(s) }, n.max(1)).encode(&mut f),
                Act::Ping => Ping::new([7; 8]).encode(&mut f),
                Act::Settings(w) => SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, w)]).encode(&mut f),
                Act::Priority(s, d, e) => PriorityFrame::new(id(s), StreamDependency::new(id(d), e, 16)).encode(&mut f),
                Act::Garbage(g) => f = g,
                Act::Tick(ms) => {
                    now += Duration::from_millis(u64::from(ms));
                    conn.on_deadline(now);
                }
                Act::Respond => {
                    for s in open.drain(..) {
                        let _ = conn.send_headers(s, 200, &[(b"content-type", b"text/plain")], false);
                        let _ = conn.send_data(s, &[1; 3000], true);
                    }
                }
                Act::ReadOutput => {
                    // A peer reading about half of what is pending, in
                    // whole frames (the check below starts at a frame).
                    let out = conn.pending_output().to_vec();
                    let mut at = 0;
                    while let Some(h) = FrameHeader::parse(&out[at..]) {
                        if at + h.frame_len() > out.len() / 2 {
                            break;
                        }
                        at += h.frame_len();
                    }
                    conn.consume_output(at);
                }
            }
            conn.recv(&f, now);
            while let Some(e) = conn.poll_event() {
                match e {
                    Event::Request { stream, head, .. } => {
                        open.push(stream);
                        conn.recycle_fields(head.into_fields());
                    }
                    Event::Data { stream, data, .. } => conn.release_body(stream, data),
                    _ => {}
                }
            }
            check_output(&mut conn);
        }
    }
}
