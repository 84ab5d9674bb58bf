//! Priorities deciding whose DATA goes first, informational responses,
//! h2c upgrade, shared bodies, and a few more defences.

use super::*;

// RFC 9218 and RFC 7540 priorities decide whose DATA goes first

fn request_with(c: &mut Client, stream: u32, extra: &[(&str, &str)]) {
    let mut fields = vec![
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.com"),
        (":path", "/"),
    ];
    fields.extend_from_slice(extra);
    let block = c.block(&fields);
    c.frame(|b| {
        Headers::new(StreamId::new(stream), &block)
            .end_headers()
            .end_stream()
            .encode(b)
    });
}

fn respond_big(c: &mut Client) {
    for e in c.events() {
        if let Event::Request { stream, .. } = e {
            c.conn.send_headers(stream, 200, &[], false).unwrap();
            c.conn.send_data(stream, &[0; 300_000], true).unwrap();
        }
    }
}

/// The streams of the DATA frames in the next 64 KiB of output.
fn data_order(c: &mut Client) -> Vec<u32> {
    c.frames()
        .into_iter()
        .filter(|f| f.kind == FrameType::DATA)
        .map(|f| f.stream)
        .collect()
}

#[test]
fn an_urgent_stream_by_the_priority_header_goes_first() {
    let mut c = Client::new();
    c.frame(|b| WindowUpdate::new(StreamId::CONNECTION, 10 << 20).encode(b));
    c.frame(|b| SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, 1 << 20)]).encode(b));
    request_with(&mut c, 1, &[("priority", "u=7")]);
    request_with(&mut c, 3, &[("priority", "u=0")]);
    respond_big(&mut c);
    let order = data_order(&mut c);
    assert!(!order.is_empty());
    assert!(order.iter().all(|&s| s == 3), "urgency 0 first: {order:?}");
}

#[test]
fn a_priority_update_reorders_a_stream() {
    let mut c = Client::new();
    c.frame(|b| WindowUpdate::new(StreamId::CONNECTION, 10 << 20).encode(b));
    c.frame(|b| SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, 1 << 20)]).encode(b));
    request_with(&mut c, 1, &[]);
    request_with(&mut c, 3, &[]);
    c.frame(|b| crate::h2::frame::PriorityUpdate::new(StreamId::new(3), b"u=1").encode(b));
    respond_big(&mut c);
    let order = data_order(&mut c);
    assert!(order.iter().all(|&s| s == 3), "{order:?}");
}

#[test]
fn rfc7540_exclusive_dependency_puts_a_stream_first() {
    let mut c = Client::new();
    c.frame(|b| WindowUpdate::new(StreamId::CONNECTION, 10 << 20).encode(b));
    c.frame(|b| SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, 1 << 20)]).encode(b));
    request_with(&mut c, 1, &[]);
    request_with(&mut c, 3, &[]);
    // RFC 7540 §5.3.3: stream 1 now depends on stream 3, so 3 goes first.
    // (A dependency on a stream not yet in the tree would get the default
    // priority instead, §5.3.1.)
    c.frame(|b| {
        PriorityFrame::new(
            StreamId::new(1),
            StreamDependency::new(StreamId::new(3), true, 16),
        )
        .encode(b)
    });
    respond_big(&mut c);
    let order = data_order(&mut c);
    assert!(order.iter().all(|&s| s == 3), "parent first: {order:?}");
}

// §8.1: informational responses

#[test]
fn a_100_continue_precedes_the_final_response() {
    let mut c = Client::new();
    c.post(1, &[("expect", "100-continue")]);
    c.events();
    c.conn
        .send_headers(StreamId::new(1), 100, &[], false)
        .unwrap();
    assert_eq!(
        c.conn.send_headers(StreamId::new(1), 100, &[], true),
        Err(SendError::NotSendable),
        "a 1xx cannot end the stream"
    );
    c.frame(|b| Data::new(StreamId::new(1), b"body").end_stream().encode(b));
    c.events();
    c.conn
        .send_headers(StreamId::new(1), 201, &[], true)
        .unwrap();
    let heads: Vec<Out> = c
        .frames()
        .into_iter()
        .filter(|f| f.kind == FrameType::HEADERS)
        .collect();
    assert_eq!(heads.len(), 2);
    assert_eq!(c.decode(&heads[0].payload)[0].1, "100");
    assert_eq!(heads[0].flags & 1, 0, "no END_STREAM on the 1xx");
    assert_eq!(c.decode(&heads[1].payload)[0].1, "201");
    assert_eq!(heads[1].flags & 1, 1);
}

#[test]
fn a_settings_frame_with_too_many_entries_is_answered_with_enhance_your_calm() {
    let mut c = Client::new();
    let entries: Vec<(SettingId, u32)> = (0..40).map(|i| (SettingId::new(0x100 + i), 1)).collect();
    c.frame(|b| SettingsFrame::new(&entries).encode(b));
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
    assert_eq!(c.conn.counters().settings_floods, 1);
}

#[test]
fn an_empty_headers_flood_is_answered_with_enhance_your_calm() {
    let mut c = Client::new();
    let mut id = 1;
    for _ in 0..5000 {
        // An empty HEADERS without END_HEADERS, ended by an empty
        // CONTINUATION: a header block that costs us work and carries
        // nothing (it then fails validation, which costs the reset budget
        // too).
        c.frame(|b| Headers::new(StreamId::new(id), &[]).encode(b));
        c.frame(|b| {
            Continuation::new(StreamId::new(id), &[])
                .end_headers()
                .encode(b)
        });
        id += 2;
        if c.conn.error().is_some() {
            break;
        }
    }
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
}

// RFC 7540 §3.2: h2c upgrade

#[test]
fn an_upgraded_connection_answers_the_request_on_stream_1_after_the_preface() {
    let now = Instant::now();
    // INITIAL_WINDOW_SIZE = 10 from the HTTP2-Settings field applies at once.
    let settings = crate::h2::conn::parse_http2_settings(b"AAQAAAAK").unwrap();
    let mut conn = Connection::new_upgraded(Config::default(), now, &settings).unwrap();
    conn.send_headers(StreamId::new(1), 200, &[], false)
        .unwrap();
    conn.send_data(StreamId::new(1), &[b'x'; 100], true)
        .unwrap();
    let mut b = PREFACE.to_vec();
    SettingsFrame::new(&[]).encode(&mut b);
    conn.recv(&b, now);
    assert!(conn.error().is_none());
    let out = conn.pending_output().to_vec();
    let mut at = 0;
    let mut data = 0;
    let mut kinds = Vec::new();
    while let Some(h) = FrameHeader::parse(&out[at..]) {
        kinds.push(h.kind());
        if h.kind() == FrameType::DATA {
            assert_eq!(h.stream_id().value(), 1);
            data += h.length();
        }
        at += h.frame_len();
    }
    assert_eq!(kinds[0], FrameType::SETTINGS, "our preface first");
    assert_eq!(data, 10, "the client's window from HTTP2-Settings");
    // A new client stream must be above 1.
    let mut b = Vec::new();
    let mut enc = Encoder::default();
    let mut block = Vec::new();
    enc.encode([HeaderField::new(b":method", b"GET")], &mut block);
    Headers::new(StreamId::new(1), &block)
        .end_headers()
        .encode(&mut b);
    let n = conn.pending_output().len();
    conn.consume_output(n);
    conn.recv(&b, now);
    // Stream 1 is half-closed (remote) since the upgrade: §5.1 makes
    // another HEADERS on it a stream error of type STREAM_CLOSED.
    let out = conn.pending_output().to_vec();
    let h = FrameHeader::parse(&out).unwrap();
    assert_eq!(h.kind(), FrameType::RST_STREAM);
    assert_eq!(h.stream_id().value(), 1);
    assert_eq!(&out[9..13], &STREAM_CLOSED.to_be_bytes());
}

#[test]
fn a_shared_body_is_framed_without_copying_into_the_queue() {
    let mut c = Client::new();
    c.frame(|b| WindowUpdate::new(StreamId::CONNECTION, 1 << 20).encode(b));
    c.frame(|b| SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, 1 << 20)]).encode(b));
    c.get(1, "/big");
    c.events();
    let body: std::sync::Arc<[u8]> = (0..100_000u32).map(|i| i as u8).collect::<Vec<_>>().into();
    c.conn
        .send_headers(StreamId::new(1), 200, &[], false)
        .unwrap();
    c.conn
        .send_shared(StreamId::new(1), body.clone(), true)
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..10 {
        for f in c.frames() {
            if f.kind == FrameType::DATA {
                got.extend_from_slice(&f.payload);
            }
        }
    }
    assert_eq!(&got[..], &body[..]);
    assert_eq!(c.conn.open_streams(), 0);
}
